"""The one pattern every mutation follows: one transaction, domain errors become payload errors."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from auth.errors import AuthError
from core.errors import DomainError
from core.money import MoneyError
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
        return payload_cls(**fields)
    except EXPECTED as exc:
        return payload_cls(errors=payload_errors(exc, error_type, codes))


async def guarded(payload_cls, error_type, codes: type[Enum], work: Callable[[], Awaitable[dict]]):
    """Like in_transaction for mutations that manage their own transactions (idempotent ones)."""
    try:
        return payload_cls(**await work())
    except EXPECTED as exc:
        return payload_cls(errors=payload_errors(exc, error_type, codes))
