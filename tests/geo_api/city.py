"""A synthetic chain in one metro area, bulk-inserted: for the differential test and bench/geo.py.

Stores are uniform over a box; zone mix per store (by index, so runs are reproducible):
every 10th store has no zone (fallback: its delivery_radius_m); the rest get a tier-1
circle or irregular polygon and a tier-2 circle or polygon, and every 7th also a tier-3
axis-aligned rectangle (its edges are exact lon/lat values, so boundary points are exact).
"""
from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field

from sqlalchemy import insert, text

from geo.coordinates import LonLat
from geo.distance import destination_point
from geo.models import DeliveryZoneRow
from store_network import provisioning
from store_network.models import NetworkNode, Store

HANGZHOU_BOX = (119.95, 120.45, 30.10, 30.45)  # ~48 x 39 km
BANDS = {"type": "DISTANCE_BANDS", "bands": [[3000, 400], [6000, 800], [None, 1500]]}
PER_KM = {"type": "BASE_PLUS_PER_KM", "base_fen": 500, "included_m": 3000, "per_km_fen": 100}


@dataclass
class City:
    tenant_id: int
    slug: str
    stores: list[tuple[int, LonLat, int]]  # id, location, delivery_radius_m
    zones: list[dict] = field(default_factory=list)  # as inserted (with store_id)


def _ring(center: LonLat, rng: random.Random, r_min: float, r_max: float, vertices: int) -> list[list[float]]:
    # Star-shaped around the store with well-separated angles, so the ring never crosses itself.
    step = 360.0 / vertices
    angles = [k * step + rng.uniform(0, 0.6 * step) for k in range(vertices)]
    ring = [destination_point(center, a, rng.uniform(r_min, r_max)) for a in angles]
    coords = [[round(p.lon, 7), round(p.lat, 7)] for p in ring]
    return coords + [coords[0]]


def _rect(center: LonLat, rng: random.Random) -> list[list[float]]:
    dx, dy = rng.uniform(0.01, 0.05), rng.uniform(0.01, 0.04)
    x0, x1 = round(center.lon - dx, 4), round(center.lon + dx * 0.5, 4)
    y0, y1 = round(center.lat - dy * 0.5, 4), round(center.lat + dy, 4)
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def zone_specs(index: int, location: LonLat, rng: random.Random, polygons: bool = True) -> list[dict]:
    if index % 10 == 0:
        return []
    specs = []
    if polygons and index % 3 == 0:
        specs.append({"tier": 1, "kind": "POLYGON", "polygon": _ring(location, rng, 1000, 3000, rng.randint(6, 14)), "express_allowed": True})
    else:
        specs.append({"tier": 1, "kind": "RADIUS", "radius_m": float(rng.randint(1000, 3000)), "express_allowed": True})
    if polygons and index % 2 == 0:
        specs.append({"tier": 2, "kind": "POLYGON", "polygon": _ring(location, rng, 3200, 5000, rng.randint(8, 16))})
    else:
        specs.append({"tier": 2, "kind": "RADIUS", "radius_m": float(rng.randint(3200, 5000))})
    if polygons and index % 7 == 0:
        specs.append({"tier": 3, "kind": "POLYGON", "polygon": _rect(location, rng)})
    return specs


async def build_city(session, n_stores: int, seed: int = 7, box=HANGZHOU_BOX, polygons: bool = True,
                     zones_for_store=None) -> City:
    rng = random.Random(seed)
    slug = "city" + uuid.uuid4().hex[:8]
    tenant, hq = await provisioning.create_tenant(session, slug, f"City {slug}")
    lon0, lon1, lat0, lat1 = box
    node_ids = (await session.execute(
        insert(NetworkNode).returning(NetworkNode.id, sort_by_parameter_order=True),
        [{"tenant_id": tenant.id, "parent_id": hq.id, "kind": "STORE", "name": f"S{i}", "path": f"/new-{i}/"} for i in range(n_stores)],
    )).scalars().all()
    await session.execute(
        text("UPDATE network_node SET path = :prefix || CAST(id AS TEXT) || '/' WHERE tenant_id = :t AND kind = 'STORE'"),
        {"prefix": hq.path, "t": tenant.id},
    )
    hours = {str(d): [["00:00", "24:00"]] for d in range(7)}
    rows = []
    for i, node_id in enumerate(node_ids):
        rows.append({
            "tenant_id": tenant.id, "node_id": node_id, "code": f"S{i:05d}", "name": f"Store {i}", "city": "杭州",
            "district": "", "address": f"{i} Road", "lon": rng.uniform(lon0, lon1), "lat": rng.uniform(lat0, lat1),
            "timezone": "Asia/Shanghai", "business_hours": hours, "status": "OPEN",
            "delivery_radius_m": rng.randint(2000, 3000), "prep_minutes": 10,
            "fulfilment_types": list(provisioning.DEFAULT_FULFILMENT),
        })
    store_ids = (await session.execute(insert(Store).returning(Store.id, sort_by_parameter_order=True), rows)).scalars().all()
    city = City(tenant.id, slug, [(sid, LonLat(r["lon"], r["lat"]), r["delivery_radius_m"]) for sid, r in zip(store_ids, rows)])
    make = zones_for_store or (lambda i, loc: zone_specs(i, loc, rng, polygons))
    for i, (sid, loc, _) in enumerate(city.stores):
        for spec in make(i, loc):
            polygon = spec.get("polygon")
            city.zones.append({
                "tenant_id": tenant.id, "store_id": sid, "tier": spec["tier"], "name": f"t{spec['tier']}",
                "kind": spec["kind"], "radius_m": spec.get("radius_m"),
                "polygon": {"type": "Polygon", "coordinates": [polygon]} if polygon else None,
                "fee_rule": BANDS if spec["tier"] == 1 else PER_KM, "express_allowed": spec.get("express_allowed", False),
            })
    for start in range(0, len(city.zones), 5000):
        await session.execute(insert(DeliveryZoneRow), city.zones[start:start + 5000])
    if session.bind.dialect.name == "postgresql":
        # Fresh bulk loads have no statistics yet; without them the planner scans instead
        # of using the GiST indexes (autovacuum would catch up later in production).
        await session.execute(text("ANALYZE store"))
        await session.execute(text("ANALYZE delivery_zone"))
    return city


def boundary_points(city: City, rng: random.Random, count: int) -> list[LonLat]:
    """Points on and just beside zone edges: circles (exact radius, +-0.5 m), polygon
    vertices, edge midpoints, and points exactly on axis-aligned rectangle edges."""
    radius_of = {}
    for sid, loc, radius in city.stores:
        radius_of[sid] = (loc, radius)
    out: list[LonLat] = []
    while len(out) < count:
        zone = city.zones[rng.randrange(len(city.zones))] if city.zones else None
        if zone is None or (zone["kind"] == "RADIUS" and rng.random() < 0.2):
            loc, radius = radius_of[city.stores[rng.randrange(len(city.stores))][0]]
        elif zone["kind"] == "RADIUS":
            loc, radius = radius_of[zone["store_id"]][0], zone["radius_m"]
        else:
            ring = zone["polygon"]["coordinates"][0]
            k = rng.randrange(len(ring) - 1)
            (ax, ay), (bx, by) = ring[k], ring[k + 1]
            choice = rng.random()
            if choice < 0.3:
                out.append(LonLat(ax, ay))
            elif choice < 0.7:
                t = rng.random()
                if ax == bx or ay == by:  # axis-aligned: a point exactly on the edge
                    out.append(LonLat(ax if ax == bx else ax + (bx - ax) * t, ay if ay == by else ay + (by - ay) * t))
                else:
                    out.append(LonLat(ax + (bx - ax) * t, ay + (by - ay) * t))
            else:
                # ~1 m either side of the edge's midpoint, perpendicular to it.
                mx, my = (ax + bx) / 2, (ay + by) / 2
                nx, ny = -(by - ay), bx - ax
                norm = math.hypot(nx, ny) or 1.0
                step = 1e-5 * rng.choice((-1, 1))
                out.append(LonLat(mx + nx / norm * step, my + ny / norm * step))
            continue
        offset = rng.choice((0.0, 0.0, -0.5, 0.5))
        out.append(destination_point(loc, rng.uniform(0, 360), radius + offset))
    return out
