"""Thin resolvers for community-leader pickup points (distribution.pickup_points)."""
from __future__ import annotations

from strawberry.types import Info

from core.clock import utc_now
from core.errors import DomainError
from delivery import pickup_codes
from distribution import pickup_points as service
from distribution.errors import PickupPointErrorCode as Codes
from resolvers.errors import UserInputError
from resolvers.mutation_support import guarded, in_transaction
from schema import pickup_points as t
from schema.ids import decode, encode


def point_type(row) -> t.PickupPoint:
    return t.PickupPoint(
        id=encode("PickupPoint", row.id), store_id=encode("Store", row.store_id), salesperson_id=encode("Salesperson", row.salesperson_id),
        name=row.name, address=row.address, longitude=row.lon, latitude=row.lat, hours=row.hours, status=t.PickupPointStatus(row.status),
    )


def order_type(order, point_id: int) -> t.PickupOrder:
    return t.PickupOrder(order_id=encode("Order", order.id), number=order.number, status=order.status,
                         pickup_point_id=encode("PickupPoint", point_id), created_at=order.created_at)


async def _read(info: Info, work):
    try:
        async with info.context.database.read() as session:
            return await work(session)
    except DomainError as exc:
        raise UserInputError(exc.message) from None


async def my_points(info: Info) -> list[t.PickupPoint]:
    async def work(session):
        return [point_type(p) for p in await service.my_points(session, info.context.principal)]

    return await _read(info, work)


async def store_points(info: Info, store_id: str) -> list[t.PickupPoint]:
    async def work(session):
        pk = decode(store_id, "Store", Codes, "storeId")
        return [point_type(p) for p in await service.store_points(session, info.context.principal, pk)]

    return await _read(info, work)


async def waiting_orders(info: Info) -> list[t.PickupOrder]:
    async def work(session):
        return [order_type(o, link.pickup_point_id) for o, link in await service.waiting_orders(session, info.context.principal)]

    return await _read(info, work)


async def register(info: Info, input: t.PickupPointRegisterInput) -> t.PickupPointPayload:
    async def work(session):
        point = await service.register(session, info.context.principal, name=input.name, address=input.address,
                                       lon=input.longitude, lat=input.latitude, hours=input.hours, now=utc_now())
        return {"pickup_point": point_type(point)}

    return await in_transaction(info, t.PickupPointPayload, t.PickupPointError, Codes, work)


async def decide(info: Info, input: t.PickupPointDecideInput) -> t.PickupPointPayload:
    async def work(session):
        point = await service.decide(session, info.context.principal, decode(input.id, "PickupPoint", Codes, "id"), input.approve)
        return {"pickup_point": point_type(point)}

    return await in_transaction(info, t.PickupPointPayload, t.PickupPointError, Codes, work)


async def choose(info: Info, input: t.OrderPickupPointChooseInput) -> t.PickupOrderPayload:
    async def work(session):
        order, point = await service.choose(session, info.context.principal, decode(input.order_id, "Order", Codes, "orderId"),
                                            decode(input.pickup_point_id, "PickupPoint", Codes, "pickupPointId"))
        return {"pickup_order": order_type(order, point.id)}

    return await in_transaction(info, t.PickupOrderPayload, t.PickupPointError, Codes, work)


async def hand_over(info: Info, input: t.PickupHandOverInput) -> t.PickupOrderPayload:
    async def work():
        order_id = decode(input.order_id, "Order", Codes, "orderId")
        key = pickup_codes.pickup_key(info.context.services.settings.secret_key)
        async with info.context.database.write() as session:  # a refused code's attempt is committed
            done, error = await service.hand_over(session, info.context.principal, key, order_id, input.code, utc_now())
        if error is not None:
            raise error
        return {"pickup_order": order_type(*done)}

    return await guarded(t.PickupOrderPayload, t.PickupPointError, Codes, work)
