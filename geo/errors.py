"""Typed input errors for the geo domain.

`GeoInputError` is a `core.errors.DomainError`, so the GraphQL layer can turn it into the
usual `{ field code message }` payload error without knowing about geo. `field` is a path
into the client's input (e.g. ``polygon.coordinates[0][3]``) so a map UI can highlight the
offending vertex.
"""
from __future__ import annotations

from enum import Enum

from core.errors import DomainError


class GeoErrorCode(str, Enum):
    COORDINATE_OUT_OF_RANGE = "COORDINATE_OUT_OF_RANGE"
    INVALID_GEOJSON = "INVALID_GEOJSON"
    RING_NOT_CLOSED = "RING_NOT_CLOSED"
    TOO_FEW_POSITIONS = "TOO_FEW_POSITIONS"
    SELF_INTERSECTING = "SELF_INTERSECTING"
    INVALID_GEOMETRY = "INVALID_GEOMETRY"  # valid rings, invalid polygon (e.g. hole outside shell)
    ZONE_TOO_LARGE = "ZONE_TOO_LARGE"
    ZONE_TOO_SMALL = "ZONE_TOO_SMALL"
    TOO_MANY_VERTICES = "TOO_MANY_VERTICES"
    ZONE_TOO_FAR_FROM_STORE = "ZONE_TOO_FAR_FROM_STORE"  # a polygon drawn around the wrong place
    INVALID_ZONE = "INVALID_ZONE"  # zone fields other than the shape (tier, store, ...)


class GeoInputError(DomainError):
    """A client-fixable problem with geographic input."""

    code: GeoErrorCode

    def __init__(self, code: GeoErrorCode, field: str | None, message: str):
        super().__init__(code, message, field)

    def __str__(self) -> str:
        where = f" at {self.field}" if self.field else ""
        return f"{self.code.value}{where}: {self.message}"
