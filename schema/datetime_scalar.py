"""DateTime as strawberry parses it, plus one rule: the instant must exist in UTC.

`9999-12-31T23:59:59-14:00` is a valid ISO 8601 string, but it is past datetime.max once
converted to UTC, and every timestamp column converts on write (db.base.UtcDateTime): any
mutation taking a DateTime answered it with a 500. Refusing such a value here makes it an input
error (like any malformed DateTime) for every argument of the API at once. Same name and
description as strawberry's own, so the SDL does not change."""
from __future__ import annotations

from datetime import datetime, timezone

import dateutil.parser
from strawberry.schema.types.base_scalars import DateTimeDefinition, wrap_parser
from strawberry.types.scalar import ScalarDefinition


def parse_storable(value: str) -> datetime:
    parsed = dateutil.parser.isoparse(value)
    if parsed.tzinfo is not None:
        parsed.astimezone(timezone.utc)  # OverflowError at the ends of the calendar
    return parsed


DateTime: ScalarDefinition = ScalarDefinition(
    name=DateTimeDefinition.name,
    description=DateTimeDefinition.description,
    specified_by_url=DateTimeDefinition.specified_by_url,
    serialize=DateTimeDefinition.serialize,
    parse_value=wrap_parser(parse_storable, "DateTime", exceptions=(ValueError, OverflowError)),
    parse_literal=None,
    origin=datetime,
)

SCALAR_OVERRIDES = {datetime: DateTime}
