import time

import pytest

from auth.errors import AuthError, AuthErrorCode
from auth.passwords import (
    MAX_PASSWORD_CHARS,
    PasswordPolicyError,
    hash_password,
    needs_rehash,
    verify_password,
)

CHEAP = {"n": 16, "r": 1, "p": 1}


def test_roundtrip_and_wrong_password():
    stored = hash_password("correct horse 电池", **CHEAP)
    assert verify_password("correct horse 电池", stored)
    assert not verify_password("correct horse 电池 ", stored)
    assert not verify_password("Correct horse 电池", stored)


def test_format_and_random_salt():
    a, b = hash_password("pw", **CHEAP), hash_password("pw", **CHEAP)
    assert a != b
    scheme, n, r, p, salt, digest = a.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16", "1", "1")
    assert salt and digest and "=" not in a


def test_nfkc_equivalent_passwords_match():
    stored = hash_password("ｐａｓｓ１２３", **CHEAP)  # full-width input
    assert verify_password("pass123", stored)


@pytest.mark.parametrize("bad", ["", "x" * (MAX_PASSWORD_CHARS + 1), None])
def test_policy_rejects(bad):
    with pytest.raises(PasswordPolicyError) as exc:
        hash_password(bad, **CHEAP)
    assert isinstance(exc.value, AuthError)
    assert exc.value.code is AuthErrorCode.PASSWORD_INVALID


def test_max_length_accepted_and_out_of_policy_verify_is_false():
    stored = hash_password("x" * MAX_PASSWORD_CHARS, **CHEAP)
    assert verify_password("x" * MAX_PASSWORD_CHARS, stored)
    assert not verify_password("", stored)
    assert not verify_password("x" * (MAX_PASSWORD_CHARS + 1), stored)


@pytest.mark.parametrize(
    "stored",
    ["", "plain", "bcrypt$16$1$1$AAAA$AAAA", "scrypt$15$1$1$AAAAAAAA$" + "A" * 43, "scrypt$16$1$1$AAAAAAAA$AA",
     "scrypt$%d$1$1$AAAAAAAA$%s" % (2**30, "A" * 43)],
)
def test_malformed_stored_hash_raises(stored):
    with pytest.raises(ValueError):
        verify_password("pw", stored)


def test_needs_rehash():
    stored = hash_password("pw", **CHEAP)
    assert needs_rehash(stored)
    assert not needs_rehash(stored, **CHEAP)


def test_default_cost_is_fast_enough():
    start = time.perf_counter()
    stored = hash_password("pw")
    assert verify_password("pw", stored)
    assert (time.perf_counter() - start) / 2 < 0.25  # ~55 ms each on the dev box; generous for CI
