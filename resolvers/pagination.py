"""Keyset pagination: cursors encode the sort values, so pages stay stable while rows are added."""
from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Select, tuple_

from resolvers.errors import UserInputError
from schema.common import Connection, Edge, PageInfo

MAX_PAGE = 100
DEFAULT_PAGE = 20


def check_first(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if first < 0 or first > MAX_PAGE:
        raise UserInputError(f"`first` must be between 0 and {MAX_PAGE}")
    return first


def encode_cursor(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values), separators=(",", ":")).encode()).decode()


_MAX_INT = 2**63 - 1


def decode_cursor(cursor: str, types: Sequence[type]) -> list:
    """The sort values inside a cursor, each checked against its column's type."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeError):
        raise UserInputError("malformed cursor") from None
    if not isinstance(values, list) or len(values) != len(types):
        raise UserInputError("malformed cursor")
    for value, expected in zip(values, types):
        # bool is an int subclass; a JSON true is never a valid id.
        if type(value) is not expected or (expected is int and not 0 <= value <= _MAX_INT):
            raise UserInputError("malformed cursor")
    return values


def keyset_page(
    query: Select, sort_columns: Sequence, *, descending: bool, first: int | None, after: str | None
) -> tuple[Select, int]:
    """Add ordering, the `after` condition and LIMIT first+1 (the extra row tells hasNextPage)."""
    limit = check_first(first)
    if after:
        values = decode_cursor(after, [_python_type(column) for column in sort_columns])
        key = tuple_(*sort_columns)
        query = query.where(key < tuple_(*values) if descending else key > tuple_(*values))
    order = [c.desc() if descending else c.asc() for c in sort_columns]
    return query.order_by(*order).limit(limit + 1), limit


def _python_type(column) -> type:
    return column.type.python_type


def build_connection(rows: list, limit: int, after: str | None, cursor_of: Callable, node_of: Callable) -> Connection:
    has_next = len(rows) > limit
    rows = rows[:limit]
    edges = [Edge(node=node_of(row), cursor=encode_cursor(cursor_of(row))) for row in rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
