import json

import pytest

from geo.coordinates import CoordinateSystem, LonLat, from_wgs84
from geo.distance import destination_point, haversine_m
from geo.errors import GeoErrorCode, GeoInputError
from geo.fees import DistanceBandFee
from geo.zones import DeliveryZone, PolygonShape, RadiusShape, parse_geojson_polygon

FREE = DistanceBandFee([(None, 0)])
STORE = LonLat(121.4737, 31.2304)
SQUARE = [[121.40, 31.20], [121.45, 31.20], [121.45, 31.25], [121.40, 31.25], [121.40, 31.20]]


def polygon(*rings):
    return {"type": "Polygon", "coordinates": [list(r) for r in rings]}


def error_of(obj, **kwargs) -> GeoInputError:
    with pytest.raises(GeoInputError) as err:
        parse_geojson_polygon(obj, **kwargs)
    return err.value


def test_parses_dict_string_and_feature():
    shape = parse_geojson_polygon(polygon(SQUARE))
    assert isinstance(shape, PolygonShape)
    assert 20e6 < shape.area_m2 < 30e6  # ~4.76 km x 5.56 km
    assert parse_geojson_polygon(json.dumps(polygon(SQUARE))) == shape
    feature = {"type": "Feature", "properties": {}, "geometry": polygon(SQUARE)}
    assert parse_geojson_polygon(feature) == shape


def test_gcj_input_is_converted_to_wgs84():
    gcj_square = [list(from_wgs84(LonLat(*p), CoordinateSystem.GCJ02).as_tuple()) for p in SQUARE]
    shape = parse_geojson_polygon(polygon(gcj_square), system=CoordinateSystem.GCJ02)
    first = LonLat(*shape.geometry.exterior.coords[0])
    assert haversine_m(first, LonLat(*SQUARE[0])) < 0.01


def test_bow_tie_is_self_intersecting():
    bow_tie = [[121.40, 31.20], [121.45, 31.25], [121.45, 31.20], [121.40, 31.25], [121.40, 31.20]]
    err = error_of(polygon(bow_tie))
    assert err.code is GeoErrorCode.SELF_INTERSECTING
    assert err.field == "polygon.coordinates[0]"


def test_self_intersecting_hole_names_the_hole():
    hole = [[121.41, 31.21], [121.43, 31.23], [121.43, 31.21], [121.41, 31.23], [121.41, 31.21]]
    err = error_of(polygon(SQUARE, hole))
    assert err.code is GeoErrorCode.SELF_INTERSECTING
    assert err.field == "polygon.coordinates[1]"


def test_hole_outside_shell_is_invalid_geometry():
    hole = [[121.50, 31.21], [121.52, 31.21], [121.52, 31.23], [121.50, 31.21]]
    err = error_of(polygon(SQUARE, hole))
    assert err.code is GeoErrorCode.INVALID_GEOMETRY


def test_unclosed_ring_points_at_last_position():
    err = error_of(polygon(SQUARE[:-1] + [[121.40, 31.2001]]))
    assert err.code is GeoErrorCode.RING_NOT_CLOSED
    assert err.field == "polygon.coordinates[0][4]"


def test_too_few_positions():
    err = error_of(polygon([[121.40, 31.20], [121.45, 31.20], [121.40, 31.20]]))
    assert err.code is GeoErrorCode.TOO_FEW_POSITIONS
    assert err.field == "polygon.coordinates[0]"


def test_out_of_range_coordinate_names_the_vertex():
    bad = [list(p) for p in SQUARE]
    bad[2] = [121.45, 95.0]
    err = error_of(polygon(bad))
    assert err.code is GeoErrorCode.COORDINATE_OUT_OF_RANGE
    assert err.field == "polygon.coordinates[0][2].lat"


def test_non_numeric_coordinate():
    bad = [list(p) for p in SQUARE]
    bad[1] = ["121.45", 31.2]
    err = error_of(polygon(bad))
    assert err.code is GeoErrorCode.COORDINATE_OUT_OF_RANGE
    assert err.field == "polygon.coordinates[0][1].lon"


def test_absurdly_large_zone():
    huge = [[120.0, 30.0], [122.0, 30.0], [122.0, 32.0], [120.0, 32.0], [120.0, 30.0]]
    err = error_of(polygon(huge))
    assert err.code is GeoErrorCode.ZONE_TOO_LARGE


def test_absurdly_small_zone():
    d = 0.00005  # ~5 m
    tiny = [[121.4, 31.2], [121.4 + d, 31.2], [121.4 + d, 31.2 + d], [121.4, 31.2 + d], [121.4, 31.2]]
    err = error_of(polygon(tiny))
    assert err.code is GeoErrorCode.ZONE_TOO_SMALL


def test_too_many_vertices_rejected_before_parsing_positions():
    ring = [[121.4 + i * 1e-5, 31.2] for i in range(1001)] + [[121.4, 31.2]]
    err = error_of(polygon(ring))
    assert err.code is GeoErrorCode.TOO_MANY_VERTICES


@pytest.mark.parametrize(
    "obj, field",
    [
        ("{not json", "polygon"),
        ([1, 2], "polygon"),
        ({"type": "Point", "coordinates": [121.4, 31.2]}, "polygon.type"),
        ({"type": "Polygon", "coordinates": []}, "polygon.coordinates"),
        ({"type": "Polygon", "coordinates": [[[121.4]]]}, "polygon.coordinates[0][0]"),
        ({"type": "Feature", "geometry": None}, "polygon.geometry"),
    ],
)
def test_malformed_geojson(obj, field):
    err = error_of(obj)
    assert err.code is GeoErrorCode.INVALID_GEOJSON
    assert err.field == field


def test_custom_field_prefix():
    err = error_of(polygon(SQUARE[:-1] + [[121.4, 31.3]]), field="input.zones[2].polygon")
    assert err.field == "input.zones[2].polygon.coordinates[0][4]"


# --- boundary semantics ------------------------------------------------------------------


def test_polygon_boundary_is_inside():
    zone = DeliveryZone("z", "s", 1, "inner", parse_geojson_polygon(polygon(SQUARE)), FREE)
    assert zone.covers(LonLat(121.40, 31.20), STORE)  # vertex
    assert zone.covers(LonLat(121.425, 31.20), STORE)  # edge midpoint
    assert zone.covers(LonLat(121.42, 31.22), STORE)  # interior
    assert not zone.covers(LonLat(121.425, 31.1999), STORE)


def test_radius_boundary_is_inside_and_spherical():
    zone = DeliveryZone("z", "s", 1, "3 km", RadiusShape(3000), FREE)
    for bearing in (0, 90, 200):
        on_edge = destination_point(STORE, bearing, 3000.0)
        assert zone.covers(on_edge, STORE)
        assert not zone.covers(destination_point(STORE, bearing, 3000.01), STORE)


@pytest.mark.parametrize(
    "radius, code",
    [
        (0, GeoErrorCode.INVALID_ZONE),
        (-5, GeoErrorCode.INVALID_ZONE),
        (30_000, GeoErrorCode.ZONE_TOO_LARGE),
        (5, GeoErrorCode.ZONE_TOO_SMALL),
    ],
)
def test_radius_validation(radius, code):
    with pytest.raises(GeoInputError) as err:
        RadiusShape(radius)
    assert err.value.code is code
    assert err.value.field == "radius_m"


def test_zone_tier_validation():
    with pytest.raises(GeoInputError) as err:
        DeliveryZone("z", "s", 0, "bad", RadiusShape(3000), FREE)
    assert err.value.field == "tier"
    with pytest.raises(GeoInputError) as err:
        DeliveryZone("z", "s", 1, "bad", RadiusShape(3000), 500)  # type: ignore[arg-type]
    assert err.value.field == "fee_rule"


def test_polygon_shape_built_directly_is_validated_too():
    from shapely.geometry import Polygon

    with pytest.raises(GeoInputError) as err:
        PolygonShape(Polygon([(179.9, 10), (181, 10), (181, 11), (179.9, 10)]))
    assert err.value.code is GeoErrorCode.COORDINATE_OUT_OF_RANGE
    with pytest.raises(GeoInputError) as err:
        PolygonShape(Polygon([(121.40, 31.20), (121.45, 31.25), (121.45, 31.20), (121.40, 31.25)]))
    assert err.value.code is GeoErrorCode.SELF_INTERSECTING
