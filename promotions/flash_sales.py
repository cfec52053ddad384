"""Flash sales (秒杀): a scheduled unit price with a quota, as a step of the one price owner.

The step (PriceSource.PROMOTION) shows the flash price while the sale runs and has quota left;
checkout then takes the quota with one conditional UPDATE (`sold + n <= quota`) and the
customer's units with another (`quantity + n <= per_customer_limit`), so concurrent buyers can
never oversell: on PostgreSQL a waiting UPDATE re-checks its WHERE on the committed row. An
unpaid order that is cancelled or expires gives both back (promotions.listeners).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from commerce import pricing
from core.errors import DomainError
from promotions.errors import PromotionErrorCode as Codes
from promotions.models import FlashSale, FlashSaleBuyer, FlashSalePurchase
from store_network.models import NetworkNode, Store

_NO_SYNC = {"synchronize_session": False}


def _store_path(store_id):
    return (
        select(NetworkNode.path).join(Store, Store.node_id == NetworkNode.id).where(Store.id == store_id).scalar_subquery()
    )


# Built once: this runs for every priced page and cart, and constructing the statement cost more
# Python than executing it (bench/hot_paths.py). Parameters are bound per call.
_ACTIVE_SALES = select(FlashSale).where(
    FlashSale.tenant_id == bindparam("tenant_id"),
    FlashSale.sku_id.in_(bindparam("sku_ids", expanding=True)),
    FlashSale.starts_at <= bindparam("at"),
    FlashSale.ends_at > bindparam("at"),
    FlashSale.sold < FlashSale.quota,
    or_(
        FlashSale.store_id == bindparam("store_id"),
        (FlashSale.store_id.is_(None)) & _store_path(bindparam("store_id")).like(FlashSale.node_path.concat("%")),
    ),
).order_by(FlashSale.price_fen, FlashSale.id)


async def active_sales(db, tenant_id: int, store_id: int, sku_ids: Iterable[int], at: datetime) -> dict[int, FlashSale]:
    """The running sale with quota left for each SKU in this store (lowest price, then oldest)."""
    ids = sorted(set(sku_ids))
    if not ids:
        return {}
    found: dict[int, FlashSale] = {}
    params = {"tenant_id": tenant_id, "sku_ids": ids, "at": at, "store_id": store_id}
    for row in (await db.execute(_ACTIVE_SALES, params)).scalars():
        found.setdefault(row.sku_id, row)
    return found


class FlashSalePrice:
    """Pipeline step: the flash price, when lower than the price so far."""

    source = pricing.PriceSource.PROMOTION

    async def prepare(self, db, context, facts):
        if db is None:  # pricing without a database (pure pipeline tests): no sales to look up
            return {}
        return await active_sales(db, context.tenant_id, context.store_id, (f.sku_id for f in facts), context.at)

    def apply(self, current_fen, facts, context, prepared):
        sale = prepared.get(facts.sku_id)
        if sale is None or (current_fen is not None and sale.price_fen >= current_fen):
            return None
        return sale.price_fen


async def take(session: AsyncSession, sale: FlashSale, order_id: int, customer_id: int, quantity: int, now: datetime, field: str) -> None:
    """Take `quantity` units of the sale's quota for an order, or raise a typed sold-out/limit error."""
    if quantity > sale.per_customer_limit:
        raise DomainError(Codes.FLASH_SALE_LIMIT_REACHED, f"at most {sale.per_customer_limit} per customer in this flash sale", field)
    taken = await session.execute(
        update(FlashSale)
        .where(FlashSale.id == sale.id, FlashSale.sold + quantity <= FlashSale.quota, FlashSale.ends_at > now)
        .values(sold=FlashSale.sold + quantity),
        execution_options=_NO_SYNC,
    )
    if taken.rowcount != 1:
        raise DomainError(Codes.FLASH_SALE_SOLD_OUT, "this flash sale has sold out", field)
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(FlashSaleBuyer).values(flash_sale_id=sale.id, customer_id=customer_id, quantity=0).on_conflict_do_nothing(
            index_elements=["flash_sale_id", "customer_id"]
        )
    )
    mine = await session.execute(
        update(FlashSaleBuyer)
        .where(
            FlashSaleBuyer.flash_sale_id == sale.id,
            FlashSaleBuyer.customer_id == customer_id,
            FlashSaleBuyer.quantity + quantity <= sale.per_customer_limit,
        )
        .values(quantity=FlashSaleBuyer.quantity + quantity),
        execution_options=_NO_SYNC,
    )
    if mine.rowcount != 1:
        raise DomainError(Codes.FLASH_SALE_LIMIT_REACHED, f"at most {sale.per_customer_limit} per customer in this flash sale", field)
    session.add(FlashSalePurchase(flash_sale_id=sale.id, order_id=order_id, customer_id=customer_id, quantity=quantity))


async def release_for_order(session: AsyncSession, order_id: int) -> int:
    """Give back the quota an order took (once, however often it is called); units released."""
    purchases = (
        await session.scalars(select(FlashSalePurchase).where(FlashSalePurchase.order_id == order_id, FlashSalePurchase.released.is_(False)))
    ).all()
    released = 0
    for purchase in purchases:
        done = await session.execute(
            update(FlashSalePurchase)
            .where(FlashSalePurchase.id == purchase.id, FlashSalePurchase.released.is_(False))
            .values(released=True),
            execution_options=_NO_SYNC,
        )
        if done.rowcount != 1:
            continue
        await session.execute(
            update(FlashSale)
            .where(FlashSale.id == purchase.flash_sale_id, FlashSale.sold >= purchase.quantity)
            .values(sold=FlashSale.sold - purchase.quantity),
            execution_options=_NO_SYNC,
        )
        await session.execute(
            update(FlashSaleBuyer)
            .where(
                FlashSaleBuyer.flash_sale_id == purchase.flash_sale_id,
                FlashSaleBuyer.customer_id == purchase.customer_id,
                FlashSaleBuyer.quantity >= purchase.quantity,
            )
            .values(quantity=FlashSaleBuyer.quantity - purchase.quantity),
            execution_options=_NO_SYNC,
        )
        released += purchase.quantity
    return released
