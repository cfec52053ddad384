"""Store-network pricing's Query and Mutation fields (base classes of schema.root.Query / Mutation).

Resolvers are imported inside each field: schema modules never import resolvers at import time.
"""
from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema import network_pricing as t
from schema.common import Connection


def _r():
    from resolvers import network_pricing

    return network_pricing


@strawberry.type
class NetworkPricingQuery:
    @strawberry.field(description="Staff (MANAGE_PRICES there): audited price changes in a store or a node's subtree, newest first.")
    async def price_changes(
        self, info: Info, store_id: strawberry.ID | None = None, node_id: strawberry.ID | None = None,
        sku_id: strawberry.ID | None = None, first: int | None = 20, after: str | None = None,
    ) -> Connection[t.PriceChange]:
        return await _r().price_changes(info, store_id, node_id, sku_id, first, after)


@strawberry.type
class NetworkPricingMutation:
    @strawberry.mutation(description="HQ or a partner: the band around HQ's price for the stores below a node (never wider than a band above: BAND_WIDER_THAN_PARENT).")
    async def network_node_price_band_set(self, info: Info, input: t.NetworkNodePriceBandSetInput) -> t.NetworkNodePriceBandSetPayload:
        return await _r().network_node_price_band_set(info, input)

    @strawberry.mutation(description="A partner's price for a SKU in every store below it (PRICES control at the partner; inside the band).")
    async def partner_price_set(self, info: Info, input: t.PartnerPriceSetInput) -> t.PartnerPriceSetPayload:
        return await _r().partner_price_set(info, input)

    @strawberry.mutation(description="A time price for a SKU in a store or a partner's stores: percent off or a fixed price, in a daily window and/or a date range.")
    async def time_price_create(self, info: Info, input: t.TimePriceCreateInput) -> t.TimePricePayload:
        return await _r().time_price_create(info, input)

    @strawberry.mutation(description="End a time price now (idempotent: ending it again answers it unchanged).")
    async def time_price_end(self, info: Info, input: t.TimePriceEndInput) -> t.TimePricePayload:
        return await _r().time_price_end(info, input)

    @strawberry.mutation(description="Import store, partner and time prices from CSV: every row is validated, all or none is applied.")
    async def prices_import(self, info: Info, input: t.PricesImportInput) -> t.PricesImportPayload:
        return await _r().prices_import(info, input)
