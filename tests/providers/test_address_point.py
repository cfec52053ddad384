"""One address-to-point helper: deliveryOptions/servingStore and deliverySlots resolve
`addressId` through commerce.addresses.address_point, with one error style."""
from __future__ import annotations

import pytest

from auth.roles import Principal
from commerce.addresses import address_point
from core.errors import DomainError
from geo.coordinates import LonLat
from tests.geo_api.helpers import OPTIONS
from tests.slots.helpers import SLOTS


async def test_only_the_owner_gets_the_point(world):
    alice, bob = Principal.customer(world.tenant_id, world.customer_ids["alice"]), Principal.customer(world.tenant_id, world.customer_ids["bob"])
    async with world.services.database.read() as session:
        point = await address_point(session, alice, world.address_ids["alice"])
        assert isinstance(point, LonLat)
        refusals = []
        for principal in (bob, Principal.staff(world.tenant_id, world.staff_ids["hq"]), Principal.customer(world.tenant_id + 1, world.customer_ids["alice"])):
            with pytest.raises(DomainError) as refused:
                await address_point(session, principal, world.address_ids["alice"])
            refusals.append((refused.value.code.value, refused.value.field))
    assert refusals == [("NOT_FOUND", "addressId"), ("UNAUTHENTICATED", "addressId"), ("NOT_FOUND", "addressId")]


async def test_both_screens_refuse_another_customers_address_the_same_way(client, world):
    address = world.gid("Address", world.address_ids["alice"])
    options = await world.gql(client, OPTIONS, {"a": address}, token=world.customer_token("bob"))
    assert options["data"] is None and "address not found" in options["errors"][0]["message"]
    slots = await world.gql(client, SLOTS, {"store": world.store("a"), "type": "SAME_CITY_DELIVERY", "address": address},
                            token=world.customer_token("bob"))
    errors = slots["data"]["deliverySlots"]["errors"]
    assert [(e["code"], e["field"], e["message"]) for e in errors] == [("NOT_FOUND", "addressId", "address not found")]
