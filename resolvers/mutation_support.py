"""The one pattern every mutation follows: one transaction, domain errors become payload errors."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from auth.errors import AuthError
from core.errors import DomainError
from core.money import MoneyError
from geo.index_cache import DEFAULT_CACHE
from resolvers.errors import payload_errors

EXPECTED = (DomainError, AuthError, MoneyError)


async def in_transaction(
    info: Info,
    payload_cls,
    error_type,
    codes: type[Enum],
    work: Callable[[AsyncSession], Awaitable[dict]],
):
    """Run `work` in a write transaction; it returns the payload's fields. Any expected error
    rolls the whole transaction back and is reported in `errors`."""
    try:
        async with info.context.database.write() as session:
            fields = await work(session)
    except EXPECTED as exc:
        return payload_cls(errors=payload_errors(exc, error_type, codes))
    _committed(info)
    return payload_cls(**fields)


def _committed(info: Info) -> None:
    """After a commit: this process checks the tenant's geo index version on its next geo
    lookup, so it sees its own change at once (a zone, a store's hours or preparation time,
    express settings); other processes within the version check interval (1 s)."""
    if info.context.tenant_id is not None:
        DEFAULT_CACHE.invalidate(info.context.tenant_id)


async def guarded(payload_cls, error_type, codes: type[Enum], work: Callable[[], Awaitable[dict]]):
    """Like in_transaction for mutations that manage their own transactions (idempotent ones)."""
    try:
        return payload_cls(**await work())
    except EXPECTED as exc:
        return payload_cls(errors=payload_errors(exc, error_type, codes))
