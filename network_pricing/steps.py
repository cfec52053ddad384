"""The PARTNER and TIME steps of the price pipeline (commerce.pricing), added at start-up.

Each loads what it needs for the whole batch in one SELECT in `prepare`: the rows on the
store's node or on any node above it (a materialised-path prefix match), nearest node first.
"""
from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from commerce import pricing
from network_pricing import windows
from network_pricing.models import PartnerPrice, TimePrice
from store_network.models import NetworkNode, Store

_StoreNode = aliased(NetworkNode, name="store_node")
_OwnerNode = aliased(NetworkNode, name="owner_node")


def _above_store(query, owner_node_id_column):
    """Restrict `query` to rows whose node is the priced store's node or an ancestor of it."""
    return (
        query.join(_OwnerNode, _OwnerNode.id == owner_node_id_column)
        .join(Store, Store.id == bindparam("store_id"))
        .join(_StoreNode, _StoreNode.id == Store.node_id)
        .where(_StoreNode.path.startswith(_OwnerNode.path), Store.tenant_id == bindparam("tenant_id"))
    )


# Both statements are built once with bound parameters: they run for every priced page and
# cart, and building them cost more Python than running them (bench/hot_paths.py).
_PARTNER_PRICES = _above_store(
    select(PartnerPrice.sku_id, PartnerPrice.price_fen, func.length(_OwnerNode.path).label("depth")), PartnerPrice.node_id,
).where(PartnerPrice.tenant_id == bindparam("tenant_id"), PartnerPrice.sku_id.in_(bindparam("sku_ids", expanding=True)))

_TIME_PRICES = _above_store(
    select(TimePrice, func.length(_OwnerNode.path).label("depth"), Store.timezone), TimePrice.node_id,
).where(
    TimePrice.tenant_id == bindparam("tenant_id"), TimePrice.sku_id.in_(bindparam("sku_ids", expanding=True)),
    TimePrice.ended_at.is_(None),
    (TimePrice.starts_at.is_(None)) | (TimePrice.starts_at <= bindparam("at")),
    (TimePrice.ends_at.is_(None)) | (TimePrice.ends_at > bindparam("at")),
)


def _params(context: pricing.PriceContext, ids: list[int]) -> dict:
    return {"store_id": context.store_id, "tenant_id": context.tenant_id, "sku_ids": ids, "at": context.at}


class PartnerPriceStep:
    """The nearest partner ancestor's price for the SKU (replaces HQ's; a store's own price follows)."""

    source = pricing.PriceSource.PARTNER

    async def prepare(self, db, context, facts):
        ids = sorted({f.sku_id for f in facts})
        if db is None or not ids:
            return {}
        best: dict[int, tuple[int, int]] = {}
        for sku_id, price_fen, depth in (await db.execute(_PARTNER_PRICES, _params(context, ids))).all():
            if sku_id not in best or depth > best[sku_id][0]:
                best[sku_id] = (depth, price_fen)
        return {sku_id: price for sku_id, (_, price) in best.items()}

    def apply(self, current_fen, facts, context, prepared):
        return prepared.get(facts.sku_id)


class TimePriceStep:
    """A time price active at the context's moment in the store's timezone: percent off the
    price so far (rounded half up) or a fixed price. The nearest node's wins, then the newest."""

    source = pricing.PriceSource.TIME

    async def prepare(self, db, context, facts):
        ids = sorted({f.sku_id for f in facts})
        if db is None or not ids:
            return {}
        at = context.at
        best: dict[int, tuple[tuple[int, int], TimePrice]] = {}
        for row, depth, timezone in (await db.execute(_TIME_PRICES, _params(context, ids))).all():
            if not windows.is_active(at, timezone, start_minute=row.daily_start_minute, end_minute=row.daily_end_minute,
                                     starts_at=row.starts_at, ends_at=row.ends_at, ended_at=row.ended_at):
                continue
            rank = (depth, row.id)
            if row.sku_id not in best or rank > best[row.sku_id][0]:
                best[row.sku_id] = (rank, row)
        return {sku_id: (row.percent_off, row.price_fen) for sku_id, (_, row) in best.items()}

    def apply(self, current_fen, facts, context, prepared):
        found = prepared.get(facts.sku_id)
        if found is None:
            return None
        percent, price_fen = found
        if price_fen is not None:
            return price_fen
        return windows.percent_off(current_fen, percent)


def register() -> None:
    pricing.add_step(PartnerPriceStep())
    pricing.add_step(TimePriceStep())
