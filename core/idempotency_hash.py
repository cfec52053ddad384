"""Request fingerprints for idempotency keys.

``request_fingerprint(op, payload)`` is the sha256 hex of a canonical JSON
encoding of ``["v1", op, payload]``: keys sorted, no whitespace, UTF-8.
Stored next to an idempotency key, it tells "same key + same input" (replay
the stored response) from "same key + different input" (reject).

Canonical forms (value-based, so equal values hash equally):
  Decimal  -> plain string without exponent or trailing zeros ("1.50" -> "1.5")
  datetime -> must be aware; UTC "YYYY-MM-DDTHH:MM:SS.ffffffZ"
  date     -> "YYYY-MM-DD"
  Enum     -> its value (canonicalised)
  UUID     -> str; bytes -> base64
  set      -> sorted list; tuple -> list; dataclass -> dict of its fields
  float    -> JSON repr (NaN/Infinity rejected)
Anything else raises TypeError, as do non-string mapping keys.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

FINGERPRINT_VERSION = "v1"


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError("non-finite Decimal cannot be fingerprinted")
    if value.is_zero():
        return "0"
    text = format(value, "f")  # exact, no exponent
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _canonical(value: Any) -> Any:
    if isinstance(value, Enum):
        return _canonical(value.value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("NaN/Infinity cannot be fingerprinted")
        return value
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime cannot be fingerprinted")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            k = key.value if isinstance(key, Enum) else key
            if not isinstance(k, str):
                raise TypeError(f"mapping keys must be strings, got {type(key).__name__}")
            if k in out:
                raise ValueError(f"duplicate key after canonicalisation: {k!r}")
            out[k] = _canonical(item)
        return out
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [_canonical(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, separators=(",", ":")))
    raise TypeError(f"cannot fingerprint value of type {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """Deterministic JSON text for ``value`` (see module docstring)."""
    return json.dumps(
        _canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def request_fingerprint(operation: str, payload: Mapping[str, Any]) -> str:
    """sha256 hex of the canonical encoding of ``(operation, payload)``."""
    if not isinstance(operation, str) or not operation:
        raise ValueError("operation must be a non-empty string")
    if not isinstance(payload, Mapping):
        raise TypeError("payload must be a mapping")
    text = canonical_json([FINGERPRINT_VERSION, operation, payload])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
