"""Idempotency keys for retried mutations (checkout, payment).

The record is written in the same transaction as the work it protects, so:
- the same key with the same input returns the first result (the replay reads the stored ids);
- the same key with different input is an error;
- a failed attempt (validation, out of stock) stores nothing, and a retry runs again;
- two concurrent first attempts: one commits, the other hits the unique key, rolls back its
  own work and replays the winner.
"""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from commerce.models import IdempotencyRecord
from core.errors import DomainError
from core.idempotency_hash import request_fingerprint
from db.session import Database

_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,255}$")


def validate_key(key: str, codes: type[Enum]) -> None:
    if not _KEY.match(key):
        raise DomainError(
            codes.IDEMPOTENCY_KEY_INVALID,
            "idempotency key must be 8-255 characters of letters, digits and . _ : -",
            "idempotencyKey",
        )


async def run_idempotent(
    database: Database,
    *,
    tenant_id: int,
    principal: str,
    operation: str,
    key: str,
    request: Mapping[str, Any],
    codes: type[Enum],
    work: Callable[[AsyncSession], Awaitable[dict]],
) -> tuple[dict, bool]:
    """Run `work` once per key; returns (result, replayed)."""
    validate_key(key, codes)
    fingerprint = request_fingerprint(operation, request)
    lookup = select(IdempotencyRecord).where(
        IdempotencyRecord.tenant_id == tenant_id,
        IdempotencyRecord.principal == principal,
        IdempotencyRecord.operation == operation,
        IdempotencyRecord.key == key,
    )
    try:
        async with database.write() as session:
            previous = await session.scalar(lookup)
            if previous is not None:
                return _replay(previous, fingerprint, codes), True
            result = await work(session)
            session.add(
                IdempotencyRecord(
                    tenant_id=tenant_id,
                    principal=principal,
                    operation=operation,
                    key=key,
                    fingerprint=fingerprint,
                    result=result,
                )
            )
            await session.flush()
            return result, False
    except IntegrityError:
        # Lost a race with a concurrent first attempt: our work was rolled back; replay the winner.
        async with database.read() as session:
            previous = await session.scalar(lookup)
        if previous is None:
            raise
        return _replay(previous, fingerprint, codes), True


def _replay(record: IdempotencyRecord, fingerprint: str, codes: type[Enum]) -> dict:
    if record.fingerprint != fingerprint:
        raise DomainError(
            codes.IDEMPOTENCY_KEY_REUSED,
            "this idempotency key was already used with a different request",
            "idempotencyKey",
        )
    return record.result
