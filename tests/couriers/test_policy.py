"""The courier calling policy: inherited down the network, cheapest/preference/fee cap, the
engine's hand-off booked through it, and the cascade to the next partner."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.clock import utc_now
from delivery.board.engine import run_partition
from delivery.couriers.models import CourierDelivery
from delivery.couriers.policy import call_courier, call_handed_off, cascade, policy_for_store, quote_all, set_policy
from delivery.couriers.protocol import CourierRefused
from delivery.couriers.service import CourierPartners, add_account
from delivery.dispatch_models import DeliveryAssignment
from store_network.models import Store
from tests.couriers.kit import CREDENTIALS, FakeTransport
from tests.dispatch_api.helpers import delivery_order, partition_of, pk
from tests.providers.test_courier_registry import hopeless_order

DADA_OK = {"status": "success", "code": 0}
ROUTES = {
    "queryDeliverFee": {**DADA_OK, "result": {"fee": 8.8, "distance": 2300, "deliveryNo": "Q1"}},
    "addAfterQuery": {**DADA_OK, "result": {"fee": 8.8}},
    "formalCancel": {**DADA_OK, "result": {"deduct_fee": 0}},
    "precreateorder": {"error_code": 0, "result": {"total_price": 700, "delivery_distance_meter": 2300}},
    "createorder": {"error_code": 0, "result": {"sf_order_id": "S1", "total_price": 700}},
    "cancelorder": {"error_code": 0, "result": {}},
}


async def _setup(world, **policy):
    async with world.services.database.write() as session:
        for provider in ("dada", "sf"):
            await add_account(session, world.services.secret_box, world.tenant_id, provider, CREDENTIALS[provider])
        await set_policy(session, world.tenant_id, world.hq_node_id, **policy)
    transport = FakeTransport(dict(ROUTES))
    return transport, CourierPartners(world.services.secret_box, transport=transport)


async def test_policy_is_inherited_and_overridden_down_the_network(world):
    store_id = world.store_ids[next(iter(world.store_ids))]
    async with world.services.database.write() as session:
        await set_policy(session, world.tenant_id, world.hq_node_id, providers=["dada", "sf"], choose="CHEAPEST",
                         fee_cap_fen=1500)
        store = await session.get(Store, store_id)
        await set_policy(session, world.tenant_id, store.node_id, fee_cap_fen=500, mode="COURIER_ONLY")
        policy = await policy_for_store(session, world.tenant_id, store_id)
        other = await policy_for_store(session, world.tenant_id, world.store_ids[list(world.store_ids)[1]])
    assert (policy.providers, policy.choose, policy.fee_cap_fen, policy.mode) == (("dada", "sf"), "CHEAPEST", 500, "COURIER_ONLY")
    assert (other.fee_cap_fen, other.mode) == (1500, "OWN_FIRST")
    with pytest.raises(CourierRefused):
        async with world.services.database.write() as session:
            await set_policy(session, world.tenant_id, world.hq_node_id, choose="RANDOM")


async def test_quotes_side_by_side_and_the_cheapest_is_called(client, world):
    transport, partners = await _setup(world, providers=["dada", "sf"], choose="CHEAPEST")
    order = pk(await delivery_order(client, world, status="PAID"))
    lines = await quote_all(world.services.database, partners, world.tenant_id, order)
    assert {(line.provider, line.quote.fee_fen) for line in lines} == {("dada", 880), ("sf", 700)}
    delivery = await call_courier(world.services.database, partners, world.tenant_id, order, utc_now())
    assert (delivery.provider, delivery.state, delivery.quote_fen) == ("sf", "DISPATCHING", 700)
    with pytest.raises(CourierRefused):  # one live courier per order
        await call_courier(world.services.database, partners, world.tenant_id, order, utc_now(), provider="dada")


async def test_fee_cap_refuses_every_quote_above_it(client, world):
    transport, partners = await _setup(world, providers=["dada", "sf"], fee_cap_fen=600)
    order = pk(await delivery_order(client, world, status="PAID"))
    with pytest.raises(CourierRefused, match="OVER_FEE_CAP"):
        await call_courier(world.services.database, partners, world.tenant_id, order, utc_now())
    assert transport.hits("addAfterQuery") == transport.hits("createorder") - transport.hits("precreateorder") == 0


async def test_the_engine_hand_off_is_booked_through_the_policy(client, world):
    transport, partners = await _setup(world, providers=["dada", "sf"], choose="PREFERENCE")
    order = pk(await hopeless_order(client, world))
    outcome = await run_partition(world.services.database, await partition_of(world), utc_now(), trigger="test",
                                  couriers=world.services.couriers)
    assert order in outcome.handed_off, outcome
    async with world.services.database.read() as session:
        row = await session.scalar(select(DeliveryAssignment).where(DeliveryAssignment.order_id == order))
    assert (row.state, row.courier_ref) == ("HANDED_TO_COURIER", "policy")
    assert await call_handed_off(world.services.database, partners, utc_now(), limit=10_000) >= 1
    async with world.services.database.read() as session:
        delivery = await session.scalar(select(CourierDelivery).where(CourierDelivery.order_id == order,
                                                                     CourierDelivery.tenant_id == world.tenant_id))
    assert (delivery.provider, delivery.state) == ("dada", "DISPATCHING")  # first in preference


async def test_no_rider_in_time_cascades_to_the_next_partner(client, world):
    transport, partners = await _setup(world, providers=["dada", "sf"], cascade_after_s=300)
    order = pk(await delivery_order(client, world, status="PAID"))
    first = await call_courier(world.services.database, partners, world.tenant_id, order, utc_now())
    assert first.provider == "dada"
    async with world.services.database.write() as session:
        await session.execute(update(CourierDelivery).where(CourierDelivery.id == first.id)
                              .values(created_at=utc_now() - timedelta(minutes=6)))
    await cascade(world.services.database, partners, utc_now(), limit=10_000)
    async with world.services.database.read() as session:
        rows = (await session.scalars(select(CourierDelivery).where(CourierDelivery.order_id == order,
                                                                   CourierDelivery.tenant_id == world.tenant_id)
                                      .order_by(CourierDelivery.id))).all()
    assert [(r.provider, r.state) for r in rows] == [("dada", "CANCELLED"), ("sf", "DISPATCHING")]
    assert rows[0].cancelled_by == "MERCHANT"
