"""HMAC-SHA256 webhook signatures for payment and courier callbacks.

Header format: ``t=<unix seconds>,v1=<hex>[,v1=<hex>...]`` where
``v1 = hex(HMAC-SHA256(secret, f"{t}.".encode() + body))``. Several v1
entries (and several accepted secrets) support secret rotation; unknown
keys (e.g. a future ``v2``) are ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

MAX_HEADER_LENGTH = 4096
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


class SignatureErrorCode(StrEnum):
    MISSING = "MISSING"
    MALFORMED = "MALFORMED"
    TIMESTAMP_OUT_OF_TOLERANCE = "TIMESTAMP_OUT_OF_TOLERANCE"
    MISMATCH = "MISMATCH"


class SignatureError(Exception):
    def __init__(self, code: SignatureErrorCode, message: str | None = None) -> None:
        self.code = SignatureErrorCode(code)
        self.message = message or self.code.value
        super().__init__(f"{self.code.value}: {self.message}")


def _digest(secret: bytes, body: bytes, timestamp: int) -> str:
    return hmac.new(secret, f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()


def sign(secret: bytes, body: bytes, timestamp: int) -> str:
    """Return the header value ``t=<timestamp>,v1=<hex>``."""
    if not secret:
        raise ValueError("secret must be non-empty")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ValueError("timestamp must be a non-negative int (unix seconds)")
    return f"t={timestamp},v1={_digest(secret, body, timestamp)}"


def _parse(header: str) -> tuple[int, list[str]]:
    if len(header) > MAX_HEADER_LENGTH:
        raise SignatureError(SignatureErrorCode.MALFORMED, "header too long")
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise SignatureError(SignatureErrorCode.MALFORMED, "expected key=value pairs")
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            if not _HEX64.fullmatch(value):
                raise SignatureError(SignatureErrorCode.MALFORMED, "v1 must be 64 hex characters")
            signatures.append(value.lower())
    if len(timestamps) != 1 or not (timestamps[0].isascii() and timestamps[0].isdigit()) or len(timestamps[0]) > 12:
        raise SignatureError(SignatureErrorCode.MALFORMED, "expected exactly one numeric t")
    if not signatures:
        raise SignatureError(SignatureErrorCode.MALFORMED, "no v1 signature")
    return int(timestamps[0]), signatures


def verify(
    header: str | None,
    body: bytes,
    secrets: Sequence[bytes],
    now: int | float | datetime,
    tolerance_s: int = 300,
) -> int:
    """Verify a signature header; return its timestamp or raise SignatureError.

    ``now`` is unix seconds or an aware datetime. Timestamps more than
    ``tolerance_s`` in the past or the future are rejected. Any of ``secrets``
    may match any v1 entry. Callers should additionally de-duplicate
    deliveries (e.g. by event id) to stop replays inside the tolerance window.
    """
    live_secrets = [s for s in secrets if s]
    if not live_secrets:
        raise ValueError("at least one non-empty secret is required")
    if isinstance(now, datetime):
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        now_ts = now.timestamp()
    else:
        now_ts = float(now)
    if header is None or not header.strip():
        raise SignatureError(SignatureErrorCode.MISSING, "signature header missing")

    timestamp, signatures = _parse(header)
    if abs(now_ts - timestamp) > tolerance_s:
        raise SignatureError(SignatureErrorCode.TIMESTAMP_OUT_OF_TOLERANCE, "timestamp outside tolerance")

    matched = False
    for secret in live_secrets:
        expected = _digest(secret, body, timestamp)
        for candidate in signatures:
            # Evaluate every pair: no early exit, so timing does not reveal which matched.
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError(SignatureErrorCode.MISMATCH, "signature mismatch")
    return timestamp
