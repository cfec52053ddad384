from __future__ import annotations

from enum import Enum


class PaymentErrorCode(str, Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    ORDER_NOT_PAYABLE = "ORDER_NOT_PAYABLE"
    ORDER_NOT_REFUNDABLE = "ORDER_NOT_REFUNDABLE"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    CONCURRENT_UPDATE = "CONCURRENT_UPDATE"
    IDEMPOTENCY_KEY_INVALID = "IDEMPOTENCY_KEY_INVALID"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    PROVIDER_NOT_AVAILABLE = "PROVIDER_NOT_AVAILABLE"
    ORDERS_LOCKED_BY_HQ = "ORDERS_LOCKED_BY_HQ"  # staff cancel/refund under strong orders control


class CallbackRejected(Exception):
    """A provider callback we must not act on; the endpoint answers `http_status` and the
    provider retries (or gives up) by its own rules. Nothing has been written."""

    http_status = 400
    kind = "malformed"

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class CallbackSignatureInvalid(CallbackRejected):
    """Missing, malformed, stale or wrong signature: `detail` is the signature error code."""

    http_status = 401
    kind = "signature"


class CallbackMalformed(CallbackRejected):
    """Signed correctly but not a callback we understand: `detail` names the bad field."""
