import hashlib
import re

import pytest

from auth.api_keys import generate_api_key, parse_api_key, verify_api_key
from auth.errors import AuthError, AuthErrorCode


def test_generate_shape():
    plain, prefix, digest = generate_api_key()
    assert re.fullmatch(r"qd_[a-z0-9]{8}_[A-Za-z0-9_-]{32,}", plain)
    assert plain.startswith(f"qd_{prefix}_")
    assert digest == hashlib.sha256(plain.encode()).hexdigest()
    assert parse_api_key(plain) == (prefix, plain[12:])
    assert generate_api_key()[0] != plain


def test_verify():
    plain, _, digest = generate_api_key()
    assert verify_api_key(plain, digest)
    assert verify_api_key(plain, digest.upper())
    assert not verify_api_key(plain[:-1] + ("A" if plain[-1] != "A" else "B"), digest)
    other, _, other_digest = generate_api_key()
    assert not verify_api_key(other, digest)
    assert not verify_api_key("qd_garbage", digest)


def test_secret_may_contain_underscores():
    plain = "qd_abcd1234_" + "a_b-" * 10
    assert parse_api_key(plain) == ("abcd1234", "a_b-" * 10)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "qd_",
        "qd_abcd1234_",
        "qd_abcd1234_short",
        "xx_abcd1234_" + "a" * 40,
        "qd_ABCD1234_" + "a" * 40,
        "qd_abcd123_" + "a" * 40,
        "qd_abcd1234_" + "a" * 39 + "!",
        "qd_abcd1234_" + "a" * 300,
        "Bearer qd_abcd1234_" + "a" * 40,
        None,
    ],
)
def test_parse_rejects_malformed(bad):
    with pytest.raises(AuthError) as exc:
        parse_api_key(bad)
    assert exc.value.code is AuthErrorCode.TOKEN_INVALID
