"""JWT access/refresh tokens (HS256, PyJWT).

Time checks (exp/iat) are done here against the injected clock, not by
PyJWT (which always uses the wall clock), so tests can move time freely.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt

from auth.errors import AuthError, AuthErrorCode

ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32
_REQUIRED_CLAIMS = ["iss", "sub", "tenant", "kind", "jti", "iat", "exp"]


class TokenKind(StrEnum):
    ACCESS = "ACCESS"
    REFRESH = "REFRESH"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subject: str  # e.g. "customer:12", "staff:3"
    tenant_id: int
    jti: str
    issued_at: datetime
    expires_at: datetime
    family_id: str | None = None  # the sign-in this token descends from; None in tokens minted before families


@dataclass(frozen=True, slots=True)
class AccessClaims(TokenClaims):
    pass


@dataclass(frozen=True, slots=True)
class RefreshClaims(TokenClaims):
    pass


@dataclass(frozen=True, slots=True)
class TokenPair:
    access: str
    refresh: str
    access_expires_at: datetime
    refresh_expires_at: datetime
    refresh_jti: str  # persist this to support rotation / revocation
    family_id: str | None = None


def utc_now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("clock must return a timezone-aware datetime")
    return value


def _from_ts(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class TokenSigner:
    def __init__(
        self,
        secret: str | bytes,
        issuer: str,
        access_ttl: timedelta = timedelta(minutes=15),
        refresh_ttl: timedelta = timedelta(days=30),
        clock: Callable[[], datetime] = utc_now,
        *,
        leeway: timedelta = timedelta(seconds=10),
    ) -> None:
        key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        if len(key) < MIN_SECRET_BYTES:
            raise ValueError(f"token secret must be at least {MIN_SECRET_BYTES} bytes")
        if not issuer:
            raise ValueError("issuer must be non-empty")
        for name, ttl in (("access_ttl", access_ttl), ("refresh_ttl", refresh_ttl)):
            if ttl < timedelta(seconds=1):
                raise ValueError(f"{name} must be at least one second")
        if leeway < timedelta(0):
            raise ValueError("leeway must be >= 0")
        self._key = key
        self._issuer = issuer
        self._access_ttl = access_ttl
        self._refresh_ttl = refresh_ttl
        self._clock = clock
        self._leeway = leeway

    # -- issuing ---------------------------------------------------------

    def issue_pair(self, subject: str, tenant_id: int, family_id: str | None = None) -> TokenPair:
        """Both tokens carry `family_id` (claim `fam`) when given, so revoking the family ends both."""
        access, access_exp, _ = self._issue(TokenKind.ACCESS, subject, tenant_id, self._access_ttl, family_id)
        refresh, refresh_exp, refresh_jti = self._issue(TokenKind.REFRESH, subject, tenant_id, self._refresh_ttl, family_id)
        return TokenPair(access, refresh, access_exp, refresh_exp, refresh_jti, family_id)

    def _issue(
        self, kind: TokenKind, subject: str, tenant_id: int, ttl: timedelta, family_id: str | None = None
    ) -> tuple[str, datetime, str]:
        if not isinstance(subject, str) or not subject:
            raise ValueError("subject must be a non-empty string")
        if not isinstance(tenant_id, int) or isinstance(tenant_id, bool):
            raise ValueError("tenant_id must be an int")
        if family_id is not None and (not isinstance(family_id, str) or not 0 < len(family_id) <= 64):
            raise ValueError("family_id must be a string of 1 to 64 characters")
        iat = int(_aware(self._clock()).timestamp())
        exp = iat + int(ttl.total_seconds())
        jti = secrets.token_urlsafe(16)
        payload = {
            "iss": self._issuer,
            "sub": subject,
            "tenant": tenant_id,
            "kind": kind.value,
            "jti": jti,
            "iat": iat,
            "exp": exp,
        }
        if family_id is not None:
            payload["fam"] = family_id
        return jwt.encode(payload, self._key, algorithm=ALGORITHM), _from_ts(exp), jti

    # -- verifying -------------------------------------------------------

    def verify_access(self, token: str) -> AccessClaims:
        return self._verify(token, TokenKind.ACCESS, AccessClaims)

    def verify_refresh(self, token: str, *, check_expiry: bool = True) -> RefreshClaims:
        """`check_expiry=False` only to revoke (logout): ending a session needs no live token."""
        return self._verify(token, TokenKind.REFRESH, RefreshClaims, check_expiry=check_expiry)

    def _verify(self, token: str, expected: TokenKind, cls: type[TokenClaims], *, check_expiry: bool = True) -> Any:
        if not isinstance(token, str) or not token or len(token) > 8192:
            raise AuthError(AuthErrorCode.TOKEN_INVALID, "token is missing or malformed")
        try:
            payload = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                options={
                    "require": _REQUIRED_CLAIMS,
                    "verify_exp": False,  # checked below against the injected clock
                    "verify_iat": False,
                    "verify_nbf": False,
                    "verify_aud": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise AuthError(AuthErrorCode.TOKEN_INVALID, "token is invalid") from exc

        sub, tenant, kind, jti = payload["sub"], payload["tenant"], payload["kind"], payload["jti"]
        iat, exp = payload["iat"], payload["exp"]
        family = payload.get("fam")
        if (
            not isinstance(sub, str) or not sub
            or not isinstance(tenant, int) or isinstance(tenant, bool)
            or not isinstance(jti, str) or not jti
            or not isinstance(iat, int) or isinstance(iat, bool)
            or not isinstance(exp, int) or isinstance(exp, bool)
            or kind not in TokenKind._value2member_map_
            or family is not None and (not isinstance(family, str) or not 0 < len(family) <= 64)
        ):
            raise AuthError(AuthErrorCode.TOKEN_INVALID, "token claims are malformed")
        if kind != expected.value:
            raise AuthError(
                AuthErrorCode.WRONG_TOKEN_KIND,
                f"expected a {expected.value.lower()} token, got a {kind.lower()} token",
            )

        now = _aware(self._clock()).timestamp()
        leeway = self._leeway.total_seconds()
        if iat > now + leeway:
            raise AuthError(AuthErrorCode.TOKEN_INVALID, "token issued in the future")
        if check_expiry and exp <= now - leeway:
            raise AuthError(AuthErrorCode.TOKEN_EXPIRED, "token has expired")
        return cls(
            subject=sub, tenant_id=tenant, jti=jti, issued_at=_from_ts(iat), expires_at=_from_ts(exp), family_id=family
        )
