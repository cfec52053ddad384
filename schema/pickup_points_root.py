"""Query and Mutation fields of community-leader pickup points; base classes of schema.root's Query/Mutation."""
from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema import pickup_points as t


@strawberry.type
class PickupPointsQuery:
    @strawberry.field(description="Leader: your pickup points and their approval status.")
    async def my_pickup_points(self, info: Info) -> list[t.PickupPoint]:
        from resolvers import pickup_points as r

        return await r.my_points(info)

    @strawberry.field(description="Customer: your leader's approved points at this store. Staff (MANAGE_DISTRIBUTION): every point the store serves.")
    async def pickup_points(self, info: Info, store_id: strawberry.ID) -> list[t.PickupPoint]:
        from resolvers import pickup_points as r

        return await r.store_points(info, store_id)

    @strawberry.field(description="Leader: orders sent to your points and not yet handed over (at most 200).")
    async def my_pickup_orders(self, info: Info) -> list[t.PickupOrder]:
        from resolvers import pickup_points as r

        return await r.waiting_orders(info)


@strawberry.type
class PickupPointsMutation:
    @strawberry.mutation(description="Leader: register a pickup point (PENDING until the serving store or HQ approves it).")
    async def pickup_point_register(self, info: Info, input: t.PickupPointRegisterInput) -> t.PickupPointPayload:
        from resolvers import pickup_points as r

        return await r.register(info, input)

    @strawberry.mutation(description="Staff with MANAGE_DISTRIBUTION on the serving store: approve or reject a pending point, once.")
    async def pickup_point_decide(self, info: Info, input: t.PickupPointDecideInput) -> t.PickupPointPayload:
        from resolvers import pickup_points as r

        return await r.decide(info, input)

    @strawberry.mutation(description="Customer: send your STORE_PICKUP order to your leader's approved point (before it is packed).")
    async def order_pickup_point_choose(self, info: Info, input: t.OrderPickupPointChooseInput) -> t.PickupOrderPayload:
        from resolvers import pickup_points as r

        return await r.choose(info, input)

    @strawberry.mutation(description="Leader: hand an order waiting at your point over against the customer's pickup code; completes it.")
    async def pickup_hand_over(self, info: Info, input: t.PickupHandOverInput) -> t.PickupOrderPayload:
        from resolvers import pickup_points as r

        return await r.hand_over(info, input)
