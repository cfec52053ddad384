"""Error codes of the reports."""
from __future__ import annotations

from enum import Enum


class ReportErrorCode(str, Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    RANGE_TOO_LONG = "RANGE_TOO_LONG"  # more than MAX_DAYS local days
    TOO_MANY_STORES = "TOO_MANY_STORES"  # more than MAX_STORE_IDS store ids
