"""Courier adapters are registered by name and chosen per tenant: the engine books hand-offs
with the tenant's adapter, dispatchNow included, and other tenants keep record-only."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from commerce.models import Order
from core.clock import utc_now
from delivery.board.courier import CourierRegistry, CourierRequest
from delivery.board.engine import run_partition
from delivery.dispatch_models import DeliveryAssignment
from tests.dispatch_api.helpers import DISPATCH_NOW, add_rider, delivery_order, partition_of, pk, set_all_riders


class PartnerCourier:
    """A partner adapter as a test double: remembers what it was asked to book."""

    def __init__(self, name: str):
        self.name = name
        self.booked: list[CourierRequest] = []

    async def book(self, request: CourierRequest) -> str | None:
        self.booked.append(request)
        return f"{self.name}-{request.order_id}"

    async def cancel(self, tenant_id: int, order_id: int, reference: str | None) -> None:
        return None


async def hopeless_order(client, world) -> str:
    """A paid order promised 30 minutes ago: no rider can make it, so the engine hands it
    to a courier in its first run (CANNOT_MAKE_PROMISE)."""
    order = await delivery_order(client, world, status="PAID")
    async with world.services.database.write() as session:
        (await session.get(Order, pk(order))).promised_by = utc_now() - timedelta(minutes=30)
    await set_all_riders(world, "OFF_SHIFT")
    await add_rider(world)
    return order


def test_registry_picks_per_tenant_and_refuses_unknown_names():
    dada = PartnerCourier("dada")
    registry = CourierRegistry(adapters=(dada,))
    registry.use(7, "dada")
    assert registry.for_tenant(7) is dada
    assert registry.for_tenant(8).name == "record-only"
    with pytest.raises(KeyError):
        registry.use(8, "fengniao")
    with pytest.raises(KeyError):
        CourierRegistry({9: "sf"})  # a misconfigured tenant fails at start-up, not at the first hand-off
    assert registry.names() == ["dada", "record-only"]


async def test_the_engine_books_with_the_tenants_adapter(client, world):
    order = await hopeless_order(client, world)
    dada, sf = PartnerCourier("dada"), PartnerCourier("sf")
    registry = CourierRegistry(adapters=(dada, sf))
    registry.use(world.tenant_id, "dada")
    registry.use(world.tenant_id + 1, "sf")
    outcome = await run_partition(world.services.database, await partition_of(world), utc_now(), trigger="test",
                                  couriers=registry)
    assert pk(order) in outcome.handed_off, outcome
    assert [r.order_id for r in dada.booked] == [pk(order)] and sf.booked == []
    async with world.services.database.read() as session:
        row = await session.scalar(select(DeliveryAssignment).where(DeliveryAssignment.order_id == pk(order)))
    assert (row.state, row.courier_ref) == ("HANDED_TO_COURIER", f"dada-{pk(order)}")
    assert row.reason.endswith("(dada)")


async def test_dispatch_now_uses_the_services_registry(client, world):
    order = await hopeless_order(client, world)
    partner = PartnerCourier("fengniao")
    world.services.couriers.register(partner)
    world.services.couriers.use(world.tenant_id, "fengniao")
    body = await world.gql(client, DISPATCH_NOW, {"o": order}, token=world.staff_token("clerk_a"))
    payload = body["data"]["dispatchNow"]
    assert payload["errors"] == [] and payload["task"]["state"] == "HANDED_TO_COURIER", payload
    assert [r.order_id for r in partner.booked] == [pk(order)]
