"""Opaque slot IDs: base64url("DeliverySlot:<store>:<kind>:<unix start>").

Not signed on purpose: checkout re-derives everything from it (the store must be the
caller's tenant's and the checkout's store, the start must be a real slot of that store,
capacity is re-checked), so a hand-made ID can only name a slot that exists anyway.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timezone

from core.errors import DomainError
from delivery.errors import SlotErrorCode, SlotKind

_PREFIX = "DeliverySlot"


@dataclass(frozen=True)
class SlotRef:
    store_id: int
    kind: SlotKind
    key: datetime  # UTC start of the slot (express: of its half-hour bucket)


def encode(store_id: int, kind: SlotKind, key: datetime) -> str:
    raw = f"{_PREFIX}:{store_id}:{kind.value}:{int(key.timestamp())}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(value: str, field: str = "slotId") -> SlotRef:
    invalid = DomainError(SlotErrorCode.SLOT_INVALID, "not a valid slot ID", field)
    if not isinstance(value, str) or not 8 <= len(value) <= 120:
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid from None
    parts = raw.split(":")
    if len(parts) != 4 or parts[0] != _PREFIX or not parts[1].isdigit() or len(parts[1]) > 18:
        raise invalid
    if parts[2] not in SlotKind.__members__ or not parts[3].isdigit() or len(parts[3]) > 11:
        raise invalid
    return SlotRef(int(parts[1]), SlotKind(parts[2]), datetime.fromtimestamp(int(parts[3]), timezone.utc))
