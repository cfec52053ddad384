import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from core.signing import SignatureError, SignatureErrorCode, sign, verify

SECRET = b"whsec_current"
OLD = b"whsec_previous"
BODY = b'{"order_id": 42, "status": "PAID"}'
T = 1_700_000_000


def code_of(*args, **kw):
    with pytest.raises(SignatureError) as exc:
        verify(*args, **kw)
    return exc.value.code


def test_sign_format_matches_spec():
    header = sign(SECRET, BODY, T)
    expected = hmac.new(SECRET, f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={T},v1={expected}"


def test_roundtrip_returns_timestamp():
    assert verify(sign(SECRET, BODY, T), BODY, [SECRET], T) == T
    assert verify(sign(SECRET, BODY, T), BODY, [SECRET], datetime.fromtimestamp(T + 5, UTC)) == T


def test_tolerance_both_directions():
    header = sign(SECRET, BODY, T)
    assert verify(header, BODY, [SECRET], T + 300) == T
    assert verify(header, BODY, [SECRET], T - 300) == T
    assert code_of(header, BODY, [SECRET], T + 301) is SignatureErrorCode.TIMESTAMP_OUT_OF_TOLERANCE
    assert code_of(header, BODY, [SECRET], T - 301) is SignatureErrorCode.TIMESTAMP_OUT_OF_TOLERANCE
    assert verify(header, BODY, [SECRET], T + 3000, tolerance_s=3600) == T


def test_mismatch_on_body_secret_or_timestamp_change():
    header = sign(SECRET, BODY, T)
    assert code_of(header, BODY + b" ", [SECRET], T) is SignatureErrorCode.MISMATCH
    assert code_of(header, BODY, [b"other"], T) is SignatureErrorCode.MISMATCH
    moved = header.replace(f"t={T}", f"t={T + 1}")
    assert code_of(moved, BODY, [SECRET], T) is SignatureErrorCode.MISMATCH


def test_rotation_any_secret_any_v1():
    old_header = sign(OLD, BODY, T)
    assert verify(old_header, BODY, [SECRET, OLD], T) == T  # receiver accepts both during rotation
    both = f"{sign(SECRET, BODY, T)},v1={old_header.split('v1=')[1]}"
    assert verify(both, BODY, [SECRET], T) == T  # sender signs with both
    assert verify(both, BODY, [OLD], T) == T
    assert code_of(both, BODY, [b"retired"], T) is SignatureErrorCode.MISMATCH


def test_whitespace_unknown_schemes_and_uppercase_hex():
    sig = sign(SECRET, BODY, T).split("v1=")[1]
    assert verify(f"t={T}, v0=whatever, v1={sig.upper()}", BODY, [SECRET], T) == T


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing(header):
    assert code_of(header, BODY, [SECRET], T) is SignatureErrorCode.MISSING


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        f"t={T}",
        "v1=" + "a" * 64,
        f"t={T},t={T},v1=" + "a" * 64,
        "t=-5,v1=" + "a" * 64,
        "t=abc,v1=" + "a" * 64,
        f"t={T},v1=" + "a" * 63,
        f"t={T},v1=" + "g" * 64,
        f"t={T},v1=" + "a" * 64 + ",junk",
        f"t={T}," + ",".join(["v1=" + "a" * 64] * 100),
    ],
)
def test_malformed(header):
    assert code_of(header, BODY, [SECRET], T) is SignatureErrorCode.MALFORMED


def test_bad_arguments():
    with pytest.raises(ValueError):
        verify(sign(SECRET, BODY, T), BODY, [], T)
    with pytest.raises(ValueError):
        verify(sign(SECRET, BODY, T), BODY, [SECRET], datetime(2023, 11, 14))
    with pytest.raises(ValueError):
        sign(b"", BODY, T)
