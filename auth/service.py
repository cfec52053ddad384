"""Login flows and request authentication on top of the pure auth primitives and the DB."""
from __future__ import annotations

import dataclasses
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.api_keys import parse_api_key, verify_api_key
from auth.errors import AuthError, AuthErrorCode
from auth.models import LoginCode, RefreshToken, RefreshTokenFamily
from auth import sms_budgets
from auth.one_time_codes import CODE_REFUSED, DEFAULT_MAX_ATTEMPTS, code_matches, new_code, normalize_mobile
from auth.one_time_codes import MOBILE_SENDS_CAP, SEND_WINDOW, next_send_at
from auth.passwords import hash_password, verify_password
from auth.roles import Principal, RoleGrant
from auth.sms_budgets import SmsBudgets
from auth.tokens import TokenPair, TokenSigner
from commerce.models import Customer
from core.attempts import take_attempt
from core.clock import require_aware
from core.errors import DomainError
from store_network.models import ApiKey, NetworkNode, Staff, StaffRoleGrant

# Verifying against a real hash even for unknown usernames keeps response time from
# revealing which usernames exist.
_DUMMY_HASH = hash_password("timing-equaliser-not-a-password")


class AccountErrorCode(str, Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    UNKNOWN_TENANT = "UNKNOWN_TENANT"  # X-Tenant names no brand
    MOBILE_INVALID = "MOBILE_INVALID"
    CODE_INVALID = "CODE_INVALID"
    CODE_EXPIRED = "CODE_EXPIRED"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    RATE_LIMITED = "RATE_LIMITED"
    CAPTCHA_REQUIRED = "CAPTCHA_REQUIRED"
    CAPTCHA_FAILED = "CAPTCHA_FAILED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    TOKEN_INVALID = "TOKEN_INVALID"
    WRONG_TOKEN_KIND = "WRONG_TOKEN_KIND"


@dataclass(frozen=True)
class LoginResult:
    tokens: TokenPair
    customer_id: int | None = None
    staff_id: int | None = None
    rider_id: int | None = None


@dataclass(frozen=True)
class CodeToSend:
    """A login code to text once its row and budget spends are committed: no transaction, and no
    budget row's lock, is held while the SMS provider is called."""

    mobile: str
    code: str


async def request_login_code(
    session: AsyncSession, tenant_id: int, raw_mobile: str, now: datetime, ttl: timedelta, pepper: bytes,
    *, client_address: str | None = None, budgets: SmsBudgets = SmsBudgets(),
) -> CodeToSend:
    """Store a new code for the mobile, within its cooldown and the client's and brand's SMS
    budgets (RATE_LIMITED with the seconds to wait, otherwise); the caller commits, then sends."""
    require_aware(now)
    mobile = normalize_mobile(raw_mobile)
    network = sms_budgets.client_key(client_address)[:64] if client_address is not None else None
    # The mobile's own budget first: it queues concurrent requests for this mobile, so the
    # cooldown below sees every earlier send (and the locks are always taken in one order).
    # Its cap is MOBILE_SENDS_CAP from all networks together; the hourly SEND_MAX_PER_WINDOW
    # counts per requesting network, so an outsider spending a victim's budget from one network
    # does not lock the victim (asking from their own) out. The one-per-minute cooldown holds
    # across networks: a victim waits at most a minute after an outsider's send, whose code
    # reached the victim's phone anyway.
    blocked = await sms_budgets.spend(
        session, sms_budgets.mobile_key(tenant_id, mobile), MOBILE_SENDS_CAP, SEND_WINDOW, now, tenant_id
    )
    recent = (
        await session.execute(
            select(LoginCode.created_at, LoginCode.client_key).where(
                LoginCode.tenant_id == tenant_id, LoginCode.mobile == mobile, LoginCode.created_at >= now - SEND_WINDOW
            )
        )
    ).all()
    every = [at for at, _ in recent]
    from_here = every if network is None else [at for at, key in recent if key == network]
    earliest = max(next_send_at(every, now, max_per_window=MOBILE_SENDS_CAP), next_send_at(from_here, now))
    if blocked is not None or earliest > now:
        wait = sms_budgets.seconds_until(max(blocked or now, earliest), now)
        raise DomainError(AccountErrorCode.RATE_LIMITED, f"too many codes requested for this number; try again in {wait} s", "mobile")
    if client_address is not None:
        blocked = await sms_budgets.spend(
            session, sms_budgets.client_key(client_address), budgets.per_client, budgets.per_client_window, now
        )
        if blocked is not None:
            wait = sms_budgets.seconds_until(blocked, now)
            raise DomainError(AccountErrorCode.RATE_LIMITED, f"too many codes requested from this network; try again in {wait} s")
    blocked = await sms_budgets.spend(
        session, sms_budgets.brand_key(tenant_id), budgets.per_brand, budgets.per_brand_window, now, tenant_id
    )
    if blocked is not None:
        wait = sms_budgets.seconds_until(blocked, now)
        raise DomainError(AccountErrorCode.RATE_LIMITED, f"too many codes are being sent right now; try again in {wait} s")
    plain, record = new_code(mobile, now, ttl, random.SystemRandom(), pepper=pepper)
    session.add(
        LoginCode(
            tenant_id=tenant_id,
            mobile=mobile,
            code_hash=record.code_hash,
            expires_at=record.expires_at,
            attempts=0,
            created_at=now,
            client_key=network,
        )
    )
    await session.flush()
    return CodeToSend(mobile, plain)


async def consume_login_code(
    session: AsyncSession, tenant_id: int, raw_mobile: str, code: str, now: datetime, pepper: bytes
) -> str | AuthError:
    """Check and spend the mobile's latest one-time code; the normalised mobile on success.

    The attempt is taken before the code is compared, by a conditional UPDATE that counts only
    below the limit and only for an unconsumed, unexpired code, so concurrent guesses can never
    evaluate more than DEFAULT_MAX_ATTEMPTS codes. Consuming is a compare-and-set on consumed_at:
    of two concurrent right guesses exactly one signs in. Every refusal (no code, wrong, used,
    expired, out of attempts, lost the consume race) is the same AuthError, *returned* after the
    attempt is counted: commit, then report it."""
    mobile = normalize_mobile(raw_mobile)
    refused = AuthError(AuthErrorCode.CODE_INVALID, CODE_REFUSED)
    row = (
        await session.execute(
            select(LoginCode.id, LoginCode.code_hash)
            .where(LoginCode.tenant_id == tenant_id, LoginCode.mobile == mobile)
            .order_by(LoginCode.created_at.desc(), LoginCode.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return refused
    this_code = (LoginCode.id == row.id, LoginCode.consumed_at.is_(None), LoginCode.expires_at > now)
    if not await take_attempt(session, LoginCode.attempts, this_code, limit=DEFAULT_MAX_ATTEMPTS):
        return refused
    if not code_matches(mobile, row.code_hash, code, pepper):
        return refused
    consumed = await session.execute(
        update(LoginCode).where(*this_code).values(consumed_at=now), execution_options={"synchronize_session": False}
    )
    if consumed.rowcount != 1:
        return refused
    return mobile


async def login_with_code(
    session: AsyncSession, signer: TokenSigner, tenant_id: int, raw_mobile: str, code: str, now: datetime, pepper: bytes
) -> LoginResult | AuthError:
    """A wrong code is *returned* as an AuthError after its attempt is counted; commit, then report it."""
    mobile = await consume_login_code(session, tenant_id, raw_mobile, code, now, pepper)
    if isinstance(mobile, AuthError):
        return mobile
    customer = await session.scalar(select(Customer).where(Customer.tenant_id == tenant_id, Customer.mobile == mobile))
    if customer is None:
        customer = Customer(tenant_id=tenant_id, mobile=mobile, name="", created_at=now)
        session.add(customer)
        await session.flush()
    tokens = await issue_tokens(session, signer, f"customer:{customer.id}", tenant_id)
    return LoginResult(tokens, customer_id=customer.id)


async def login_rider_with_code(
    session: AsyncSession, signer: TokenSigner, tenant_id: int, raw_mobile: str, code: str, now: datetime, pepper: bytes
) -> LoginResult | AuthError:
    """Riders sign in like customers (requestLoginCode, then this), identified by Rider.mobile in the
    tenant. Unknown mobiles and suspended riders get the same answer as a wrong code, once the code
    is spent, so the call reveals neither who rides for the brand nor that the guess was right."""
    from delivery.models import Rider  # local: delivery imports auth

    mobile = await consume_login_code(session, tenant_id, raw_mobile, code, now, pepper)
    if isinstance(mobile, AuthError):
        return mobile
    rider = await session.scalar(select(Rider).where(Rider.tenant_id == tenant_id, Rider.mobile == mobile))
    if rider is None or rider.status == "SUSPENDED":
        return AuthError(AuthErrorCode.CODE_INVALID, CODE_REFUSED)
    tokens = await issue_tokens(session, signer, f"rider:{rider.id}", tenant_id)
    return LoginResult(tokens, rider_id=rider.id)


async def login_staff(
    session: AsyncSession, signer: TokenSigner, tenant_id: int, username: str, password: str
) -> LoginResult:
    staff = await session.scalar(select(Staff).where(Staff.tenant_id == tenant_id, Staff.username == username))
    ok = verify_password(password, staff.password_hash if staff else _DUMMY_HASH)
    if staff is None or not ok or not staff.active:
        raise AuthError(AuthErrorCode.INVALID_CREDENTIALS, "wrong username or password")
    tokens = await issue_tokens(session, signer, f"staff:{staff.id}", tenant_id)
    return LoginResult(tokens, staff_id=staff.id)


async def issue_tokens(
    session: AsyncSession, signer: TokenSigner, subject: str, tenant_id: int, family_id: str | None = None
) -> TokenPair:
    """A sign-in (no `family_id`) starts a new family; a refresh continues its token's family."""
    if family_id is None:
        family_id = secrets.token_urlsafe(16)
        session.add(RefreshTokenFamily(id=family_id, tenant_id=tenant_id, subject=subject))
        await session.flush()  # before the token row that refers to it
    pair = signer.issue_pair(subject, tenant_id, family_id=family_id)
    session.add(
        RefreshToken(
            jti=pair.refresh_jti, tenant_id=tenant_id, family_id=family_id, subject=subject, expires_at=pair.refresh_expires_at
        )
    )
    await session.flush()
    return pair


async def refresh_tokens(
    session: AsyncSession, signer: TokenSigner, refresh_token: str, now: datetime
) -> LoginResult | AuthError:
    """Rotate: the presented refresh token is spent by a compare-and-set, so of two refreshes with
    one token exactly one gets a new pair. A spent token presented again means two parties hold
    it (one of them a thief, and we cannot tell which), so the whole family is revoked: every
    refresh and access token of that sign-in stops working. That applies to a client racing
    itself too: refreshes must be serialised per sign-in.

    A replay is *returned* as an AuthError after the family's revocation; commit, then report it."""
    claims = signer.verify_refresh(refresh_token)
    row = (
        await session.execute(
            select(RefreshToken.family_id, RefreshTokenFamily.revoked_at)
            .join(RefreshTokenFamily, RefreshTokenFamily.id == RefreshToken.family_id)
            .where(RefreshToken.jti == claims.jti, RefreshToken.tenant_id == claims.tenant_id)
        )
    ).first()
    if row is None or (claims.family_id is not None and claims.family_id != row.family_id):
        raise AuthError(AuthErrorCode.TOKEN_INVALID, "unknown refresh token")
    if row.revoked_at is not None:
        raise AuthError(AuthErrorCode.TOKEN_INVALID, "this session has ended; sign in again")
    spent = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.jti == claims.jti, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if spent.rowcount != 1:
        await revoke_family(session, row.family_id, now, "REPLAY")
        return AuthError(AuthErrorCode.TOKEN_INVALID, "this refresh token was already used; the session has ended, sign in again")
    tokens = await issue_tokens(session, signer, claims.subject, claims.tenant_id, family_id=row.family_id)
    kind, _, raw_id = claims.subject.partition(":")
    return LoginResult(
        tokens,
        customer_id=int(raw_id) if kind == "customer" else None,
        staff_id=int(raw_id) if kind == "staff" else None,
        rider_id=int(raw_id) if kind == "rider" else None,
    )


async def revoke_family(session: AsyncSession, family_id: str, now: datetime, reason: str) -> bool:
    """Compare-and-set: the first revocation's time and reason stay. True if this call revoked it."""
    revoked = await session.execute(
        update(RefreshTokenFamily)
        .where(RefreshTokenFamily.id == family_id, RefreshTokenFamily.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    return revoked.rowcount == 1


async def logout(
    session: AsyncSession, signer: TokenSigner, principal: Principal, refresh_token: str | None, now: datetime
) -> None:
    """End a sign-in: the family of `refresh_token` if given (an expired one will do), else the
    family of the caller's access token. Idempotent: ending an ended session succeeds."""
    if refresh_token:
        claims = signer.verify_refresh(refresh_token, check_expiry=False)
        family_id = await session.scalar(
            select(RefreshToken.family_id).where(RefreshToken.jti == claims.jti, RefreshToken.tenant_id == claims.tenant_id)
        )
        if family_id is None:
            raise AuthError(AuthErrorCode.TOKEN_INVALID, "unknown refresh token")
    elif principal.token_family is not None:
        family_id = principal.token_family
    else:
        raise AuthError(AuthErrorCode.UNAUTHENTICATED, "send the refresh token, or the access token of the session to end")
    await revoke_family(session, family_id, now, "LOGOUT")


async def staff_grants(session: AsyncSession, staff_id: int) -> tuple[RoleGrant, ...]:
    rows = (
        await session.execute(
            select(StaffRoleGrant.role, NetworkNode.id, NetworkNode.path)
            .join(NetworkNode, NetworkNode.id == StaffRoleGrant.node_id)
            .where(StaffRoleGrant.staff_id == staff_id)
        )
    ).all()
    return tuple(RoleGrant(role, node_id, path) for role, node_id, path in rows)


async def principal_from_access_token(session: AsyncSession, signer: TokenSigner, token: str) -> Principal:
    claims = signer.verify_access(token)
    principal = await _principal_for_subject(session, claims.subject, claims.tenant_id)
    if claims.family_id is None:
        return principal  # minted before families existed (or by a test): lives out its 15 minutes
    # One primary-key read per signed-in request, so logout and replay end access tokens at once
    # instead of up to 15 minutes later.
    family = (
        await session.execute(
            select(RefreshTokenFamily.revoked_at).where(
                RefreshTokenFamily.id == claims.family_id, RefreshTokenFamily.tenant_id == claims.tenant_id
            )
        )
    ).first()
    if family is None or family.revoked_at is not None:
        raise AuthError(AuthErrorCode.TOKEN_INVALID, "this session has ended; sign in again")
    return dataclasses.replace(principal, token_family=claims.family_id)


async def _principal_for_subject(session: AsyncSession, subject: str, tenant_id: int) -> Principal:
    kind, _, raw_id = subject.partition(":")
    if not raw_id.isdigit():
        raise AuthError(AuthErrorCode.TOKEN_INVALID, "malformed subject")
    if kind == "customer":
        return Principal.customer(tenant_id, int(raw_id))
    if kind == "staff":
        staff = await session.scalar(
            select(Staff).where(Staff.id == int(raw_id), Staff.tenant_id == tenant_id)
        )
        if staff is None or not staff.active:
            raise AuthError(AuthErrorCode.TOKEN_INVALID, "staff account is disabled")
        return Principal.staff(tenant_id, staff.id, await staff_grants(session, staff.id))
    if kind == "rider":
        from delivery.models import Rider  # local: delivery imports auth

        status = await session.scalar(
            select(Rider.status).where(Rider.id == int(raw_id), Rider.tenant_id == tenant_id)
        )
        if status is None or status == "SUSPENDED":
            raise AuthError(AuthErrorCode.TOKEN_INVALID, "rider account is suspended")
        return Principal.rider(tenant_id, int(raw_id))
    raise AuthError(AuthErrorCode.TOKEN_INVALID, "unknown subject kind")


async def principal_from_api_key(session: AsyncSession, plain: str) -> Principal:
    prefix, _ = parse_api_key(plain)
    row = (
        await session.execute(
            select(ApiKey, NetworkNode.path)
            .join(NetworkNode, NetworkNode.id == ApiKey.node_id)
            .where(ApiKey.prefix == prefix)
        )
    ).first()
    if row is None or row[0].revoked_at is not None or not verify_api_key(plain, row[0].key_hash):
        raise AuthError(AuthErrorCode.TOKEN_INVALID, "unknown or revoked API key")
    key, path = row
    return Principal.api_key(key.tenant_id, key.id, (RoleGrant(key.role, key.node_id, path),))
