"""Relay global IDs: base64("TypeName:123"). Decoding checks the type, so a Store id cannot load a Product."""
from __future__ import annotations

from enum import Enum

from strawberry.relay import GlobalID
from strawberry.relay.types import GlobalIDValueError

from core import global_ids
from core.errors import DomainError


def encode(type_name: str, pk: int) -> str:
    return global_ids.encode(type_name, pk)  # the same text as str(GlobalID(type_name, str(pk)))


def decode(raw: str, type_name: str, codes: type[Enum], field: str) -> int:
    try:
        gid = GlobalID.from_id(raw)
    except (GlobalIDValueError, ValueError, TypeError):
        raise DomainError(codes.INVALID, f"not a valid {type_name} ID", field) from None
    if gid.type_name != type_name or not gid.node_id.isdigit() or len(gid.node_id) > 18:
        raise DomainError(codes.NOT_FOUND, f"{type_name} not found", field)
    return int(gid.node_id)


def decode_optional(raw: str | None, type_name: str, codes: type[Enum], field: str) -> int | None:
    return None if raw is None else decode(raw, type_name, codes, field)


def node_pk(raw: str) -> int | None:
    """The integer key inside an already type-checked global ID, or None if it cannot be one."""
    return int(raw) if raw.isdigit() and len(raw) <= 18 else None


async def load_nodes(loader, node_ids, build) -> list:
    """Resolve relay node ids through a DataLoader; malformed or missing ids resolve to None."""
    pks = [node_pk(str(i)) for i in node_ids]
    rows = await loader.load_many([pk for pk in pks if pk is not None])
    found = iter(rows)
    return [None if pk is None else (lambda row: build(row) if row else None)(next(found)) for pk in pks]
