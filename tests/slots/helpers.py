"""Roster riders and pick slots for API tests of the delivery promise."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from core.clock import utc_now
from delivery.models import Rider, RiderShift
from tests.worlds import World

SLOTS = """
query($store: ID!, $type: FulfilmentType!, $address: ID, $loc: LocationInput, $from: DateTime, $days: Int) {
  deliverySlots(storeId: $store, fulfilmentType: $type, addressId: $address, location: $loc, from: $from, days: $days) {
    timezone
    slots { id kind startsAt endsAt cutoffAt fee { amount } capacity remainingCapacity unitsRequired available reason }
    errors { field code message }
  }
}"""


async def roster(world: World, store: str = "a", *, riders: int = 1, start: datetime | None = None, hours: float = 30,
                 status: str = "AVAILABLE") -> list[int]:
    """Put `riders` riders of the store on one shift from `start` (default an hour ago).

    Written straight to the database: a roster of more than 16 h is refused by the API, and
    tests want whole days covered. Idempotent per (world, store) when called with defaults."""
    start = start or utc_now() - timedelta(hours=1)
    store_id = world.store_ids[store]
    async with world.services.database.write() as session:
        existing = (await session.scalars(select(RiderShift.rider_id).where(RiderShift.store_id == store_id))).all()
        if existing and riders == 1 and hours == 30:
            return list(existing)
        ids = []
        for i in range(riders):
            count = len((await session.scalars(select(Rider.id).where(Rider.tenant_id == world.tenant_id))).all())
            rider = Rider(tenant_id=world.tenant_id, home_store_id=store_id, name=f"rider{count}", mobile=f"+86137{count:08d}", status=status)
            session.add(rider)
            await session.flush()
            session.add(RiderShift(tenant_id=world.tenant_id, rider_id=rider.id, store_id=store_id, starts_at=start,
                                   ends_at=start + timedelta(hours=hours)))
            ids.append(rider.id)
        return ids


async def slots(client, world: World, store: str = "a", customer: str | None = "alice", *, fulfilment="SAME_CITY_DELIVERY",
                location=None, start=None, days=None) -> dict:
    variables = {"store": world.store(store), "type": fulfilment, "from": start, "days": days, "loc": location,
                 "address": world.gid("Address", world.address_ids[customer]) if customer and location is None and fulfilment != "STORE_PICKUP" else None}
    token = world.customer_token(customer) if customer else None
    body = await world.gql(client, SLOTS, variables, token=token)
    assert "errors" not in body, body
    return body["data"]["deliverySlots"]


async def first_slot(client, world: World, store: str = "a", customer: str = "alice", kind: str = "SLOT_60") -> str:
    listing = await slots(client, world, store, customer, fulfilment="STORE_PICKUP" if kind == "PICKUP_60" else "SAME_CITY_DELIVERY")
    bookable = [s for s in listing["slots"] if s["available"] and s["kind"] == kind]
    assert bookable, listing
    return bookable[0]["id"]
