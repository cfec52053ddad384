"""One road-distance provider, with the city in its signature, prices fees, ETAs and the
dispatcher's travel alike: a slower city's factor changes all three consistently."""
from __future__ import annotations

import pytest

from core.clock import utc_now
from delivery.board.engine import Snapshot, build_dispatcher
from geo import zone_lookup
from geo.distance import DetourFactorDistance, haversine_m
from geo.zone_lookup import zones_for
from store_network.models import Store
from tests.geo_api.helpers import CREATE, OPTIONS, STORE_A, east_of_a, radius_zone, wgs

PER_KM = {"base": "0.00", "includedMeters": 0, "perKm": "1.00"}  # every started road km costs 1 yuan


async def _city_of_a(world) -> str:
    async with world.services.database.read() as session:
        return (await session.get(Store, world.store_ids["a"])).city


async def _quote(client, world, point):
    body = await world.gql(client, OPTIONS, {"l": wgs(point)})
    option = next(o for o in body["data"]["deliveryOptions"] if o["store"]["code"] == "A")
    async with world.services.database.read() as session:
        match = (await zones_for(session, world.tenant_id, [world.store_ids["a"]], point, max_staleness_s=0))[world.store_ids["a"]]
    return option, match


def _dispatch_metres(world, city: str, a, b) -> float:
    snap = Snapshot(utc_now(), world.tenant_id, city, {}, {}, {}, {}, {}, {})
    distances, _ = build_dispatcher(snap).travel.matrices([a.as_tuple(), b.as_tuple()])
    return distances[0][1]


async def test_a_city_factor_moves_fee_eta_and_dispatch_travel_together(client, world, monkeypatch):
    created = await world.gql(client, CREATE, {"i": {**radius_zone(world.store("a"), 5000, 1, []), "feeRule": PER_KM}},
                              token=world.staff_token("hq"))
    assert created["data"]["deliveryZoneCreate"]["errors"] == [], created
    city, point = await _city_of_a(world), east_of_a(1600)
    straight = haversine_m(STORE_A, point)

    monkeypatch.setattr(zone_lookup, "ROAD_DISTANCE", DetourFactorDistance(1.3, {"elsewhere": 2.0}))
    usual, usual_match = await _quote(client, world, point)
    assert usual["roadDistanceMeters"] == pytest.approx(straight * 1.3, abs=0.1)
    assert (usual["fee"]["amount"], usual_match.fee_fen) == ("3.00", 300)  # 2,080 m: three started km

    monkeypatch.setattr(zone_lookup, "ROAD_DISTANCE", DetourFactorDistance(1.3, {city: 2.0}))
    slow, slow_match = await _quote(client, world, point)
    assert slow["roadDistanceMeters"] == pytest.approx(straight * 2.0, abs=0.1)
    assert (slow["fee"]["amount"], slow_match.fee_fen) == ("4.00", 400)  # 3,200 m: four started km
    assert slow_match.road_distance_m == pytest.approx(slow["roadDistanceMeters"], abs=0.1)
    assert slow["etaMinutes"] > usual["etaMinutes"]
    # The dispatcher rides the same roads (its matrices project the sphere: within 0.1 %).
    assert _dispatch_metres(world, city, STORE_A, point) == pytest.approx(straight * 2.0, rel=1e-3)
    assert _dispatch_metres(world, "elsewhere-else", STORE_A, point) == pytest.approx(straight * 1.3, rel=1e-3)


async def test_a_routing_provider_is_asked_with_the_city_everywhere(client, world, monkeypatch):
    created = await world.gql(client, CREATE, {"i": {**radius_zone(world.store("a"), 5000, 1, []), "feeRule": PER_KM}},
                              token=world.staff_token("hq"))
    assert created["data"]["deliveryZoneCreate"]["errors"] == [], created
    city, point = await _city_of_a(world), east_of_a(1000)

    class Routed:
        """A routing service's answer: a fixed 3,500 m in the store's city, no detour factor."""

        def __init__(self):
            self.cities: set = set()

        def road_distance_m(self, a, b, city):
            self.cities.add(city)
            return 3500.0

        def detour_factor(self, city):
            return None

        def min_detour_factor(self):
            return 1.0

    routed = Routed()
    monkeypatch.setattr(zone_lookup, "ROAD_DISTANCE", routed)
    option, match = await _quote(client, world, point)
    assert (option["roadDistanceMeters"], option["fee"]["amount"], match.fee_fen) == (3500.0, "4.00", 400)
    assert _dispatch_metres(world, city, STORE_A, point) == 3500.0
    assert city in routed.cities
