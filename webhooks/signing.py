"""The signature header: `Qiandian-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>`.

Same scheme as Stripe's (timestamp inside the MAC, so a captured request cannot be replayed
later with a new timestamp); receivers check it against the raw bytes before parsing JSON.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER = "Qiandian-Signature"
SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_S = 300


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, tolerance_s: int = DEFAULT_TOLERANCE_S, now: float | None = None) -> bool:
    """True if `header` signs `body` with `secret` and its timestamp is within the tolerance."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
