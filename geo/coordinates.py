"""Coordinate systems used by Chinese map providers, and conversions between them.

Canonical form: everything stored or indexed is WGS-84 (`LonLat`). Inbound points are
tagged with their `CoordinateSystem` and converted once, at the edge.

* WGS84 -- GPS, WeChat `wx.getLocation` default, OpenStreetMap, PostGIS SRID 4326.
* GCJ02 -- Amap (Gaode), Tencent, Google China: WGS-84 plus a deliberate, non-linear offset
  of ~300-700 m. The forward formula is public (Krasovsky ellipsoid a=6378245,
  ee=0.00669342162296594323); there is no published inverse, so GCJ02->WGS84 is an
  iterative fixed-point inverse of that formula (error < 1e-6 m; one-step inverses in the
  wild are off by up to ~4.5 m).
* BD09 -- Baidu (`bd09ll`): GCJ-02 plus a second rotation/scale ("x_pi" formula).

Where the offset applies (decision):

* GCJ-02 applies in **mainland China only** (`china_region.is_mainland_china`, the classic
  rectangle minus Hong Kong, Macau, Taiwan and neighbouring countries). In Hong Kong,
  Macau and Taiwan, Amap/Tencent/Google serve WGS-84 and show an un-offset map, so a
  GCJ02-tagged point there is already WGS-84 and is returned unchanged.
* BD-09 differs: Baidu's own docs say it uses bd09ll throughout China *including* HK,
  Macau and Taiwan, and WGS-84 overseas. So for BD09 we apply GCJ+x_pi inside
  `is_greater_china` and nothing outside it. Consequently a BD09<->GCJ02 conversion in
  HK goes through WGS-84 and is not the bare x_pi formula. Verify against a recorded Baidu
  sample before relying on Baidu input in HK/Macau/Taiwan.
* The region test always runs on the WGS-84 side: on the input going out, on the
  candidate result coming in (w = inverse(g) is used iff w is in the region). So every
  mainland point round-trips exactly. The cost is at the HK/Macau land border: a point
  tagged GCJ02 within one offset (~0.5 km) of the border on the HK side may be taken for
  a shifted Shenzhen/Zhuhai point. We accept that: the Shenzhen side (Futian, Luohu) is
  dense city, the HK side of the river is mostly wetland and checkpoints.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from geo.china_region import is_greater_china, is_mainland_china
from geo.errors import GeoErrorCode, GeoInputError


class CoordinateSystem(str, Enum):
    WGS84 = "WGS84"
    GCJ02 = "GCJ02"
    BD09 = "BD09"


@dataclass(frozen=True, slots=True)
class LonLat:
    """A point in degrees. Longitude first, like GeoJSON and PostGIS (x, y)."""

    lon: float
    lat: float

    def __post_init__(self) -> None:
        check_lon_lat(self.lon, self.lat)

    def as_tuple(self) -> tuple[float, float]:
        return (self.lon, self.lat)


def check_lon_lat(lon: object, lat: object, field: str | None = None) -> None:
    """Raise COORDINATE_OUT_OF_RANGE unless lon/lat are finite numbers in range.

    `field` prefixes the error path (e.g. "polygon.coordinates[0][3]"); without it the
    path is just "lon" / "lat".
    """
    for name, value, limit in (("lon", lon, 180.0), ("lat", lat, 90.0)):
        path = f"{field}.{name}" if field else name
        # bool is an int subclass; True as a latitude is a client bug, not 1 degree.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise GeoInputError(GeoErrorCode.COORDINATE_OUT_OF_RANGE, path, f"{name} must be a number")
        if not math.isfinite(value) or not -limit <= value <= limit:
            raise GeoInputError(
                GeoErrorCode.COORDINATE_OUT_OF_RANGE, path, f"{name} must be within [-{limit:g}, {limit:g}], got {value!r}"
            )


# --- GCJ-02 forward formula (public; identical in eviltransform, PRCoords, coordtransform) ---
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
_PI = math.pi


def _gcj_delta(lon: float, lat: float) -> tuple[float, float]:
    """Offset in degrees (dlon, dlat) that GCJ-02 adds to a WGS-84 point."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = math.sqrt(abs(x))
    common = (20.0 * math.sin(6.0 * x * _PI) + 20.0 * math.sin(2.0 * x * _PI)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    dlat += (20.0 * math.sin(y * _PI) + 40.0 * math.sin(y / 3.0 * _PI)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * _PI) + 320.0 * math.sin(y * _PI / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    dlon += (20.0 * math.sin(x * _PI) + 40.0 * math.sin(x / 3.0 * _PI)) * 2.0 / 3.0
    dlon += (150.0 * math.sin(x / 12.0 * _PI) + 300.0 * math.sin(x / 30.0 * _PI)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * _PI
    magic = 1.0 - _KRASOVSKY_EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * _PI)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sqrt_magic * math.cos(rad_lat) * _PI)
    return dlon, dlat


def _wgs_to_gcj_raw(lon: float, lat: float) -> tuple[float, float]:
    dlon, dlat = _gcj_delta(lon, lat)
    return lon + dlon, lat + dlat


# 1e-12 degrees is ~0.1 micrometre; typically reached in 5-8 iterations because the
# offset's derivative is ~1e-5, so each step shrinks the error by ~five orders.
_INVERSE_TOLERANCE_DEG = 1e-12
_INVERSE_MAX_ITERATIONS = 30


def _gcj_to_wgs_raw(lon: float, lat: float) -> tuple[float, float]:
    """Fixed-point inverse: find w with forward(w) == g, starting from w = g."""
    w_lon, w_lat = lon, lat
    for _ in range(_INVERSE_MAX_ITERATIONS):
        f_lon, f_lat = _wgs_to_gcj_raw(w_lon, w_lat)
        err_lon, err_lat = f_lon - lon, f_lat - lat
        w_lon -= err_lon
        w_lat -= err_lat
        if abs(err_lon) < _INVERSE_TOLERANCE_DEG and abs(err_lat) < _INVERSE_TOLERANCE_DEG:
            break
    return w_lon, w_lat


# --- BD-09 <-> GCJ-02, the standard "x_pi" formula ---
_X_PI = math.pi * 3000.0 / 180.0


def _gcj_to_bd_raw(lon: float, lat: float) -> tuple[float, float]:
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def _bd_to_gcj_raw(lon: float, lat: float) -> tuple[float, float]:
    """Standard closed-form inverse, then refined so it exactly inverts `_gcj_to_bd_raw`.

    The closed form alone round-trips to ~0.2 m; two or three fixed-point steps take it to
    micrometres, so WGS->BD->WGS is as exact as WGS->GCJ->WGS.
    """
    x = lon - 0.0065
    y = lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    g_lon, g_lat = z * math.cos(theta), z * math.sin(theta)
    for _ in range(_INVERSE_MAX_ITERATIONS):
        f_lon, f_lat = _gcj_to_bd_raw(g_lon, g_lat)
        err_lon, err_lat = f_lon - lon, f_lat - lat
        g_lon -= err_lon
        g_lat -= err_lat
        if abs(err_lon) < _INVERSE_TOLERANCE_DEG and abs(err_lat) < _INVERSE_TOLERANCE_DEG:
            break
    return g_lon, g_lat


def _clamped(lon: float, lat: float) -> LonLat:
    # Offsets are < 0.02 degrees and only applied far from the poles/antimeridian, but keep
    # the invariant that a LonLat is always in range.
    return LonLat(max(-180.0, min(180.0, lon)), max(-90.0, min(90.0, lat)))


def to_wgs84(point: LonLat, system: CoordinateSystem) -> LonLat:
    """Convert a point tagged with `system` to canonical WGS-84.

    The inverse decides the region on its *result*: w = inverse(g) is used when w is in
    the offset region (so every mainland point round-trips exactly, even next to the HK
    border), otherwise the point is returned unchanged.
    """
    system = CoordinateSystem(system)
    if system is CoordinateSystem.WGS84:
        return point
    if not _near_china(point.lon, point.lat):
        return point  # fast path: nothing outside the padded rectangle is ever offset
    if system is CoordinateSystem.GCJ02:
        w_lon, w_lat = _gcj_to_wgs_raw(point.lon, point.lat)
        return _clamped(w_lon, w_lat) if is_mainland_china(w_lon, w_lat) else point
    w_lon, w_lat = _gcj_to_wgs_raw(*_bd_to_gcj_raw(point.lon, point.lat))
    return _clamped(w_lon, w_lat) if is_greater_china(w_lon, w_lat) else point


def input_point(longitude: object, latitude: object, system: CoordinateSystem | str, field: str = "location") -> LonLat:
    """A point as a client sent it, tagged with its map's system, as canonical WGS-84: the one
    conversion every query taking a location makes (deliveryOptions, nearbyStores,
    servingStore, deliverySlots). A bad point is COORDINATE_OUT_OF_RANGE on `field`, its
    message starting with `field` so a caller can pass it on unchanged."""
    try:
        return to_wgs84(LonLat(longitude, latitude), CoordinateSystem(system))
    except GeoInputError as exc:
        raise GeoInputError(exc.code, field, f"{field}: {exc.message}") from None


def _near_china(lon: float, lat: float) -> bool:
    # Rectangle padded by more than the largest combined GCJ+BD shift (~0.03 degrees).
    return 71.9 <= lon <= 137.94 and 0.72 <= lat <= 55.93


def from_wgs84(point: LonLat, system: CoordinateSystem) -> LonLat:
    """Convert a canonical WGS-84 point to `system` (e.g. to hand it to an Amap SDK)."""
    system = CoordinateSystem(system)
    if system is CoordinateSystem.WGS84:
        return point
    if system is CoordinateSystem.GCJ02:
        if not is_mainland_china(point.lon, point.lat):
            return point
        return _clamped(*_wgs_to_gcj_raw(point.lon, point.lat))
    if not is_greater_china(point.lon, point.lat):
        return point
    return _clamped(*_gcj_to_bd_raw(*_wgs_to_gcj_raw(point.lon, point.lat)))


def convert(point: LonLat, src: CoordinateSystem, dst: CoordinateSystem) -> LonLat:
    """Convert between any two systems.

    GCJ02<->BD09 in mainland China is the bare x_pi formula (no detour through WGS-84);
    everywhere else the conversion goes through WGS-84 so the region rules above hold.
    """
    src, dst = CoordinateSystem(src), CoordinateSystem(dst)
    if src is dst:
        return point
    if {src, dst} == {CoordinateSystem.GCJ02, CoordinateSystem.BD09} and is_mainland_china(point.lon, point.lat):
        if src is CoordinateSystem.GCJ02:
            return _clamped(*_gcj_to_bd_raw(point.lon, point.lat))
        return _clamped(*_bd_to_gcj_raw(point.lon, point.lat))
    return from_wgs84(to_wgs84(point, src), dst)
