"""Store network administration's Query and Mutation fields (base classes of schema.root.Query / Mutation).

Resolvers are imported inside each field: schema modules never import resolvers at import time.
"""
from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema import store_network_admin as t
from schema.common import Connection
from schema.store import NetworkNode, Store


def _r():
    from resolvers import store_network_admin

    return store_network_admin


@strawberry.type
class StoreNetworkAdminQuery:
    @strawberry.field(description="Staff: the network nodes in your part of the network (HQ, partners, stores), parents first.")
    async def network_nodes(
        self, info: Info, first: int | None = 20, after: str | None = None, filter: t.NetworkNodesFilter | None = None
    ) -> Connection[NetworkNode]:
        return await _r().network_nodes(info, first, after, filter)

    @strawberry.field(description="Staff: the stores in your part of the network, whatever their status, by code.")
    async def managed_stores(
        self, info: Info, first: int | None = 20, after: str | None = None, filter: t.ManagedStoresFilter | None = None
    ) -> Connection[Store]:
        return await _r().managed_stores(info, first, after, filter)


@strawberry.type
class StoreNetworkAdminMutation:
    @strawberry.mutation(description="HQ or partner admin: a partner (region, franchisee) under HQ or a partner you manage.")
    async def partner_create(self, info: Info, input: t.PartnerCreateInput) -> t.PartnerPayload:
        return await _r().partner_create(info, input)

    @strawberry.mutation(description="HQ or partner admin: rename a partner you manage.")
    async def partner_update(self, info: Info, input: t.PartnerUpdateInput) -> t.PartnerPayload:
        return await _r().partner_update(info, input)

    @strawberry.mutation(description="HQ or partner admin: move a partner (with its subtree) or a store under another partner or HQ; "
                                     "you must manage both the node and its new parent. Grants, policies and settings below follow.")
    async def node_move(self, info: Info, input: t.NodeMoveInput) -> t.NodeMovePayload:
        return await _r().node_move(info, input)

    @strawberry.mutation(description="HQ or partner admin: a store (and its network node) under HQ or a partner you manage.")
    async def store_create(self, info: Info, input: t.StoreCreateInput) -> t.StoreCreatePayload:
        return await _r().store_create(info, input)

    @strawberry.mutation(description="HQ or partner admin: move a store along its lifecycle (OPENING_SOON -> OPEN <-> PAUSED -> CLOSED); "
                                     "takes effect at once for nearby stores, delivery, slots and checkout. Emits store.status_changed.")
    async def store_status_set(self, info: Info, input: t.StoreStatusSetInput) -> t.StoreStatusSetPayload:
        return await _r().store_status_set(info, input)

    @strawberry.mutation(description="HQ or partner admin: create stores from CSV under a node: every row checked, all created or none.")
    async def stores_import(self, info: Info, input: t.StoresImportInput) -> t.StoresImportPayload:
        return await _r().stores_import(info, input)
