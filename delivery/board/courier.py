"""The seam for courier partners (Dada, SF Intra-city, Meituan, ...): none is wired yet.

When the engine hands an order off (the fleet cannot keep the promise, or a courier is
cheaper), `engine.run_partition` calls `CourierAdapter.book` and records the order's
assignment as HANDED_TO_COURIER with the engine's reason and the adapter's reference.
A real adapter books the courier (and may return None to refuse, leaving the order open
for the next cycle); `cancel` is called when staff take the order back by hand.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CourierRequest:
    tenant_id: int
    order_id: int
    store_id: int
    reason: str  # the engine's UnassignedReason value
    quote: float  # the cost the engine compared against (cost units)


class CourierAdapter(Protocol):
    name: str

    async def book(self, request: CourierRequest) -> str | None:
        """A booking reference, or None if the courier refused (the order stays with the engine)."""
        ...

    async def cancel(self, tenant_id: int, order_id: int, reference: str | None) -> None: ...


class RecordOnlyCourier:
    """No partner integration: record the hand-off so staff see it on the board and act."""

    name = "record-only"

    async def book(self, request: CourierRequest) -> str | None:
        log.info("order %s handed to courier (%s); no courier adapter configured", request.order_id, request.reason)
        return ""  # booked in name only: staff follow up by hand

    async def cancel(self, tenant_id: int, order_id: int, reference: str | None) -> None:
        return None
