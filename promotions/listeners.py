"""Start-up wiring of promotions: the checkout adjuster, the flash-sale price step, and the
release of coupons and flash-sale quota when an unpaid order is cancelled or expires.

Policy (documented in the README): cancelling or expiring an UNPAID order gives its coupons
back and returns its flash-sale units (Vendure's behaviour; commercetools keeps the count). A
refund of a paid order does not restore them: the discount was enjoyed.
"""
from __future__ import annotations

from sqlalchemy import func, literal, update

from commerce import ports, pricing
from events import OrderCancelled, register
from events.types import NetworkNodeMoved
from promotions import flash_sales, group_buys, service
from promotions.models import FlashSale, GroupBuy, Promotion


async def _on_cancelled(session, event: OrderCancelled) -> None:
    if event.from_status == "UNPAID":
        await service.release_for_order(session, event.order_id)


async def _on_node_moved(session, event: NetworkNodeMoved) -> None:
    """Campaigns keep their node's path (their scope): a moved partner or store keeps its own
    campaigns, and its stores stop matching the old parent's and start matching the new one's."""
    for model in (Promotion, FlashSale, GroupBuy):
        await session.execute(
            update(model)
            .where(model.tenant_id == event.tenant_id, model.node_path.startswith(event.old_path))
            .values(node_path=literal(event.new_path) + func.substr(model.node_path, len(event.old_path) + 1))
            .execution_options(synchronize_session=False)
        )


def register_listeners() -> None:
    ports.set_order_adjuster(service.adjust_order_at_checkout)
    pricing.add_step(flash_sales.FlashSalePrice())
    register(OrderCancelled, _on_cancelled)
    register(NetworkNodeMoved, _on_node_moved)
    group_buys.register_listeners()  # group buys: places held by payment, hold until formed
