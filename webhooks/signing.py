"""The webhook signature header: `Qiandian-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>`.

The scheme of core.signing (shared with payment and courier callbacks; timestamp inside the MAC,
so a captured request cannot be replayed later under a new timestamp). Receivers check it against
the raw bytes before parsing JSON; the README has a standalone verifier.
"""
from __future__ import annotations

import secrets
import time

from core import signing as core_signing

HEADER = "Qiandian-Signature"
SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_S = 300


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return core_signing.sign(secret.encode(), body, timestamp)


def verify(secret: str, header: str, body: bytes, *, tolerance_s: int = DEFAULT_TOLERANCE_S, now: float | None = None) -> bool:
    """True if `header` signs `body` with `secret` and its timestamp is within the tolerance."""
    try:
        core_signing.verify(header, body, [secret.encode()], time.time() if now is None else now, tolerance_s)
    except (core_signing.SignatureError, ValueError):
        return False
    return True
