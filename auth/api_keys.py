"""Server-to-server API keys: ``qd_<prefix>_<secret>``.

The 8-char prefix ([a-z0-9]) is stored in clear to look the key up; only
sha256(full plain key) is stored. Keys are high-entropy, so a plain sha256
(no salt, no slow hash) is sufficient.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from auth.errors import AuthError, AuthErrorCode

KEY_TAG = "qd"
PREFIX_LENGTH = 8
_PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_PREFIX_RE = re.compile(r"[a-z0-9]{8}")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{32,128}")


def hash_api_key(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def generate_api_key() -> tuple[str, str, str]:
    """Return ``(plain, prefix, sha256_hex)``. Show ``plain`` once; store prefix + hash."""
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    secret = secrets.token_urlsafe(32)  # 43 chars, 256 bits
    plain = f"{KEY_TAG}_{prefix}_{secret}"
    return plain, prefix, hash_api_key(plain)


def parse_api_key(plain: str) -> tuple[str, str]:
    """Split into ``(prefix, secret)``; AuthError(TOKEN_INVALID) if malformed."""
    if isinstance(plain, str) and len(plain) <= 256:
        parts = plain.split("_", 2)
        if (
            len(parts) == 3
            and parts[0] == KEY_TAG
            and _PREFIX_RE.fullmatch(parts[1])
            and _SECRET_RE.fullmatch(parts[2])
        ):
            return parts[1], parts[2]
    raise AuthError(AuthErrorCode.TOKEN_INVALID, "malformed API key")


def verify_api_key(plain: str, stored_hash: str) -> bool:
    """Constant-time check of ``plain`` against the stored sha256 hex."""
    try:
        parse_api_key(plain)
    except AuthError:
        return False
    return hmac.compare_digest(hash_api_key(plain), stored_hash.lower())
