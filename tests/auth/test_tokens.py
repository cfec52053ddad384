from datetime import UTC, datetime, timedelta

import jwt
import pytest

from auth.errors import AuthError, AuthErrorCode
from auth.tokens import AccessClaims, RefreshClaims, TokenSigner

SECRET = "s" * 40
T0 = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def signer(clock):
    return TokenSigner(SECRET, "qiandian", timedelta(minutes=15), timedelta(days=30), clock)


def code_of(fn, *args):
    with pytest.raises(AuthError) as exc:
        fn(*args)
    return exc.value.code


def test_issue_and_verify_pair(signer):
    pair = signer.issue_pair("customer:12", 7)
    assert pair.access_expires_at == T0 + timedelta(minutes=15)
    assert pair.refresh_expires_at == T0 + timedelta(days=30)
    access = signer.verify_access(pair.access)
    refresh = signer.verify_refresh(pair.refresh)
    assert isinstance(access, AccessClaims) and isinstance(refresh, RefreshClaims)
    assert (access.subject, access.tenant_id, access.issued_at) == ("customer:12", 7, T0)
    assert access.expires_at == pair.access_expires_at
    assert refresh.jti == pair.refresh_jti != access.jti


def test_jti_is_random(signer):
    assert signer.issue_pair("staff:3", 1).refresh_jti != signer.issue_pair("staff:3", 1).refresh_jti


def test_kind_confusion_rejected(signer):
    pair = signer.issue_pair("customer:12", 7)
    assert code_of(signer.verify_access, pair.refresh) is AuthErrorCode.WRONG_TOKEN_KIND
    assert code_of(signer.verify_refresh, pair.access) is AuthErrorCode.WRONG_TOKEN_KIND


def test_expiry_with_leeway(signer, clock):
    pair = signer.issue_pair("customer:12", 7)
    clock.now = T0 + timedelta(minutes=15, seconds=9)
    assert signer.verify_access(pair.access).subject == "customer:12"
    clock.now = T0 + timedelta(minutes=15, seconds=10)
    assert code_of(signer.verify_access, pair.access) is AuthErrorCode.TOKEN_EXPIRED
    assert signer.verify_refresh(pair.refresh)  # refresh still valid
    clock.now = T0 + timedelta(days=31)
    assert code_of(signer.verify_refresh, pair.refresh) is AuthErrorCode.TOKEN_EXPIRED


def test_issued_in_future_rejected(signer, clock):
    pair = signer.issue_pair("customer:12", 7)
    clock.now = T0 - timedelta(seconds=11)
    assert code_of(signer.verify_access, pair.access) is AuthErrorCode.TOKEN_INVALID


def test_tampered_token_rejected(signer):
    token = signer.issue_pair("customer:12", 7).access
    header, payload, sig = token.split(".")
    forged_payload = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(b"customer:12", b"customer:13")
    ).decode()
    assert code_of(signer.verify_access, f"{header}.{forged_payload}.{sig}") is AuthErrorCode.TOKEN_INVALID
    flipped = sig[:-2] + ("AA" if sig[-2:] != "AA" else "BB")
    assert code_of(signer.verify_access, f"{header}.{payload}.{flipped}") is AuthErrorCode.TOKEN_INVALID


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", None])
def test_garbage_rejected(signer, token):
    assert code_of(signer.verify_access, token) is AuthErrorCode.TOKEN_INVALID


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_other_secret_issuer_and_alg_rejected(signer, clock):
    token = signer.issue_pair("customer:12", 7).access
    other = TokenSigner("t" * 40, "qiandian", clock=clock)
    assert code_of(other.verify_access, token) is AuthErrorCode.TOKEN_INVALID
    other_iss = TokenSigner(SECRET, "someone-else", clock=clock)
    assert code_of(other_iss.verify_access, token) is AuthErrorCode.TOKEN_INVALID
    claims = {"iss": "qiandian", "sub": "staff:1", "tenant": 1, "kind": "ACCESS", "jti": "x",
              "iat": int(T0.timestamp()), "exp": int(T0.timestamp()) + 60}
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert code_of(signer.verify_access, unsigned) is AuthErrorCode.TOKEN_INVALID
    hs512 = jwt.encode(claims, SECRET, algorithm="HS512")
    assert code_of(signer.verify_access, hs512) is AuthErrorCode.TOKEN_INVALID
    assert signer.verify_access(jwt.encode(claims, SECRET, algorithm="HS256")).subject == "staff:1"


@pytest.mark.parametrize("patch", [{"kind": "ADMIN"}, {"tenant": "7"}, {"tenant": True}, {"sub": ""}, {"jti": None}])
def test_malformed_claims_rejected(signer, patch):
    claims = {"iss": "qiandian", "sub": "staff:1", "tenant": 1, "kind": "ACCESS", "jti": "x",
              "iat": int(T0.timestamp()), "exp": int(T0.timestamp()) + 60}
    claims.update(patch)
    token = jwt.encode({k: v for k, v in claims.items() if v is not None}, SECRET, algorithm="HS256")
    assert code_of(signer.verify_access, token) is AuthErrorCode.TOKEN_INVALID


def test_constructor_validation(clock):
    with pytest.raises(ValueError):
        TokenSigner("short", "qiandian", clock=clock)
    with pytest.raises(ValueError):
        TokenSigner(SECRET, "qiandian", access_ttl=timedelta(0), clock=clock)
    naive = TokenSigner(SECRET, "qiandian", clock=lambda: datetime(2025, 1, 1))
    with pytest.raises(ValueError):
        naive.issue_pair("customer:1", 1)
