"""What commerce needs from other domains, as ports they plug in at start-up.

Commerce never imports delivery: checkout asks the registered slot holder to validate and
reserve the delivery/pickup slot (delivery.promise.hold_for_checkout, plugged in by
delivery.order_listeners.register). Order transitions reach delivery as domain events instead.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession


class SlotHold(Protocol):
    def order_fields(self) -> dict[str, Any]: ...


class SlotHolder(Protocol):
    async def __call__(
        self, session: AsyncSession, store: Any, store_path: str, fulfilment: str, slot_id: str | None, point: Any,
        now: datetime,
    ) -> SlotHold | None:
        """Reserve the slot's capacity in the caller's transaction, or raise DomainError (the
        checkout rolls back); None when the order needs no slot."""


_slot_holder: SlotHolder | None = None


def set_slot_holder(holder: SlotHolder) -> None:
    global _slot_holder
    _slot_holder = holder


async def hold_slot(
    session: AsyncSession, store: Any, store_path: str, fulfilment: str, slot_id: str | None, point: Any, now: datetime
) -> SlotHold | None:
    if _slot_holder is None:
        # Fail loudly: checking out without the promise would sell slots nobody can deliver.
        raise RuntimeError("no slot holder registered: call events.wiring.register_listeners() at start-up")
    return await _slot_holder(session, store, store_path, fulfilment, slot_id, point, now)


# --- Order adjustments (promotions) -------------------------------------------------------
# Checkout calls `adjust_order` once, after every line is priced and reserved: the registered
# adjuster (promotions.service.adjust_order_at_checkout, plugged in by promotions.listeners)
# applies automatic promotions, coupons and flash-sale quotas, records them on the order and
# returns the discount in fen (goods + delivery). Without one, nothing is taken off.


class OrderAdjuster(Protocol):
    async def __call__(
        self, session: AsyncSession, order: Any, store_path: str, lines: list[tuple[Any, Any, Any]],
        coupon_ids: tuple[int, ...], coupon_code: str | None, now: datetime,
    ) -> int:
        """`lines` are (OrderLine, Product, pricing.UnitPrice) flushed with ids; raise DomainError to refuse."""


_order_adjuster: OrderAdjuster | None = None


def set_order_adjuster(adjuster: OrderAdjuster) -> None:
    global _order_adjuster
    _order_adjuster = adjuster


async def adjust_order(
    session: AsyncSession, order: Any, store_path: str, lines: list[tuple[Any, Any, Any]], coupon_ids: tuple[int, ...],
    coupon_code: str | None, now: datetime,
) -> int:
    """`store_path`: the store's network path, which checkout has loaded already (promotions
    are scoped by it)."""
    if _order_adjuster is None:
        return 0
    return await _order_adjuster(session, order, store_path, lines, coupon_ids, coupon_code, now)
