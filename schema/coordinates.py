"""The CoordinateSystem enum, on its own so schema.store and schema.geo can both use it."""
from __future__ import annotations

import strawberry

from geo.coordinates import CoordinateSystem as DomainCoordinateSystem

CoordinateSystem = strawberry.enum(
    DomainCoordinateSystem,
    name="CoordinateSystem",
    description="WGS84: GPS, wx.getLocation default, storage. GCJ02: Amap, Tencent, WeChat type 'gcj02' "
    "(offset in mainland China only; Hong Kong, Macau and Taiwan are unshifted). BD09: Baidu bd09ll "
    "(also applied in Hong Kong, Macau and Taiwan). Inputs default to GCJ02, outputs to WGS84.",
)
