"""Password hashing with hashlib.scrypt.

Stored format: ``scrypt$<n>$<r>$<p>$<salt_b64>$<hash_b64>`` (URL-safe base64,
no padding). Parameters live in the hash so they can be raised later; use
``needs_rehash`` after a successful login to upgrade old hashes.

Default cost n=2**14, r=8, p=1 (~16 MiB, ~55 ms on the 2-vCPU dev box,
measured; n=2**15 was ~110 ms).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata

from auth.errors import AuthError, AuthErrorCode

SCHEME = "scrypt"
DEFAULT_N = 2**14
DEFAULT_R = 8
DEFAULT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
MAX_PASSWORD_CHARS = 1024

# Upper bounds on parameters read back from storage, so a corrupted/hostile
# stored value cannot make verification allocate gigabytes.
_MAX_N = 2**20
_MAX_R = 32
_MAX_P = 16


class PasswordPolicyError(AuthError):
    """Raised by ``hash_password`` for an empty or over-long password."""

    def __init__(self, message: str) -> None:
        super().__init__(AuthErrorCode.PASSWORD_INVALID, message)


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _password_bytes(plain: str) -> bytes:
    # NFKC so the same password typed via different input methods (full-width
    # vs half-width characters, composed vs decomposed) hashes identically.
    return unicodedata.normalize("NFKC", plain).encode("utf-8")


def _check_policy(plain: object) -> str:
    if not isinstance(plain, str) or plain == "":
        raise PasswordPolicyError("password must be a non-empty string")
    if len(plain) > MAX_PASSWORD_CHARS:
        raise PasswordPolicyError(f"password must be at most {MAX_PASSWORD_CHARS} characters")
    return plain


def _scrypt(password: bytes, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    maxmem = 128 * r * (n + p + 2) + 1024 * 1024
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=dklen)


def _validate_params(n: int, r: int, p: int) -> None:
    if n < 2 or n & (n - 1) or n > _MAX_N:
        raise ValueError(f"scrypt n must be a power of two in [2, {_MAX_N}]")
    if not 1 <= r <= _MAX_R or not 1 <= p <= _MAX_P:
        raise ValueError("scrypt r/p out of range")


def hash_password(plain: str, *, n: int = DEFAULT_N, r: int = DEFAULT_R, p: int = DEFAULT_P) -> str:
    """Hash ``plain`` with a fresh random salt. Raises PasswordPolicyError."""
    _check_policy(plain)
    _validate_params(n, r, p)
    salt = os.urandom(SALT_BYTES)
    digest = _scrypt(_password_bytes(plain), salt, n, r, p, HASH_BYTES)
    return f"{SCHEME}${n}${r}${p}${_b64e(salt)}${_b64e(digest)}"


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes]:
    parts = stored.split("$") if isinstance(stored, str) else []
    if len(parts) != 6 or parts[0] != SCHEME or not all(x.isascii() and x.isdigit() for x in parts[1:4]):
        raise ValueError("malformed password hash")
    n, r, p = (int(x) for x in parts[1:4])
    _validate_params(n, r, p)
    try:
        salt, digest = _b64d(parts[4]), _b64d(parts[5])
    except (ValueError, TypeError) as exc:
        raise ValueError("malformed password hash") from exc
    if not salt or not 16 <= len(digest) <= 64:
        raise ValueError("malformed password hash")
    return n, r, p, salt, digest


def verify_password(plain: str, stored: str) -> bool:
    """True iff ``plain`` matches ``stored``.

    Returns False (never raises) for passwords outside the policy, since they
    cannot have been hashed. Raises ValueError if ``stored`` is malformed:
    that is a data bug, not a wrong password.
    """
    n, r, p, salt, expected = _parse(stored)
    try:
        _check_policy(plain)
    except PasswordPolicyError:
        return False
    actual = _scrypt(_password_bytes(plain), salt, n, r, p, len(expected))
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str, *, n: int = DEFAULT_N, r: int = DEFAULT_R, p: int = DEFAULT_P) -> bool:
    """True if ``stored`` was hashed with parameters other than the given ones."""
    sn, sr, sp, _, _ = _parse(stored)
    return (sn, sr, sp) != (n, r, p)
