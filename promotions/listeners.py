"""Start-up wiring of promotions: the checkout adjuster, the flash-sale price step, and the
release of coupons and flash-sale quota when an unpaid order is cancelled or expires.

Policy (documented in the README): cancelling or expiring an UNPAID order gives its coupons
back and returns its flash-sale units (Vendure's behaviour; commercetools keeps the count). A
refund of a paid order does not restore them: the discount was enjoyed.
"""
from __future__ import annotations

from commerce import ports, pricing
from events import OrderCancelled, register
from promotions import flash_sales, group_buys, service


async def _on_cancelled(session, event: OrderCancelled) -> None:
    if event.from_status == "UNPAID":
        await service.release_for_order(session, event.order_id)


def register_listeners() -> None:
    ports.set_order_adjuster(service.adjust_order_at_checkout)
    pricing.add_step(flash_sales.FlashSalePrice())
    register(OrderCancelled, _on_cancelled)
    group_buys.register_listeners()  # group buys: places held by payment, hold until formed
