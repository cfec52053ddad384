"""Courier partner entry points (staff): mixed into Query and Mutation in schema/root.py."""
from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema import couriers as types


@strawberry.type
class CouriersQuery:
    @strawberry.field(description="Live quotes from every courier partner enabled for the order's store, side by side (staff).")
    async def courier_quotes(self, info: Info, order_id: strawberry.ID) -> list[types.CourierQuote]:
        from resolvers import couriers

        return await couriers.courier_quotes(info, order_id)

    @strawberry.field(description="The order's courier bookings, newest first (at most 20), with their timelines (staff).")
    async def courier_deliveries(self, info: Info, order_id: strawberry.ID) -> list[types.CourierDelivery]:
        from resolvers import couriers

        return await couriers.courier_deliveries(info, order_id)


@strawberry.type
class CouriersMutation:
    @strawberry.mutation(description="Call a courier for the order: one partner (one click), or the store's policy chooses.")
    async def courier_call(self, info: Info, input: types.CourierCallInput) -> types.CourierDeliveryPayload:
        from resolvers import couriers

        return await couriers.courier_call(info, input)

    @strawberry.mutation(description="Cancel a courier delivery with its partner; the fee the partner deducts is recorded.")
    async def courier_cancel(self, info: Info, input: types.CourierCancelInput) -> types.CourierDeliveryPayload:
        from resolvers import couriers

        return await couriers.courier_cancel(info, input)

    @strawberry.mutation(description="Add a tip to a live courier delivery (partners with a tip API). Idempotent per key.")
    async def courier_tip(self, info: Info, input: types.CourierTipInput) -> types.CourierDeliveryPayload:
        from resolvers import couriers

        return await couriers.courier_tip(info, input)

    @strawberry.mutation(description="Add a courier partner contract for the brand or one store; returns its webhook URL once.")
    async def courier_account_add(self, info: Info, input: types.CourierAccountAddInput) -> types.CourierAccountAddPayload:
        from resolvers import couriers

        return await couriers.courier_account_add(info, input)

    @strawberry.mutation(description="Set a network node's courier calling policy (unset fields inherit from the parent node).")
    async def courier_policy_set(self, info: Info, input: types.CourierPolicySetInput) -> types.CourierPolicySetPayload:
        from resolvers import couriers

        return await couriers.courier_policy_set(info, input)
