"""The customer's delivery proof code: 6 digits the rider asks for at the door.

Like pickup codes (delivery.pickup_codes) the code is keyed: HMAC(proof key, tenant, order,
order number, creation time), so it is never stored and a dump of the tables yields nothing
without the server key. The customer sees it on `Order.deliveryProof` from payment on. The
`delivery_proof` row is created by the first attempt: it counts tries (5 per 15 minutes per
order, taken by core.attempts.take_attempt before the code is compared) and makes the code one
use (`used_at`, compare-and-set). A wrong, used or locked code gets one answer (CODE_REFUSED), so
no reply tells a guesser which guess was right.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.attempts import take_attempt
from core.errors import DomainError
from delivery.board.errors import DispatchErrorCode as Codes
from delivery.dispatch_models import DeliveryProof

CODE_DIGITS = 6
MAX_ATTEMPTS = 5
WINDOW = timedelta(minutes=15)
CODE_REFUSED = "wrong delivery code, already used, or too many tries (5 per 15 minutes): ask the customer for the code in their app"


def proof_key(secret_key: str) -> bytes:
    return hashlib.sha256(b"delivery-proof:" + secret_key.encode()).digest()


def code_for(key: bytes, order) -> str:
    message = f"{order.tenant_id}:{order.id}:{order.number}:{order.created_at.timestamp():.6f}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def shows_code(order) -> bool:
    """Same-city orders show the code once paid, until they end."""
    return order.fulfilment_type == "SAME_CITY_DELIVERY" and order.status in ("PAID", "PICKING", "READY", "DELIVERING", "COMPLETED")


async def _row(session: AsyncSession, order, now: datetime) -> DeliveryProof:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(DeliveryProof)
        .values(tenant_id=order.tenant_id, order_id=order.id, attempts=0, created_at=now)
        .on_conflict_do_nothing(index_elements=["order_id"])
    )
    return await session.scalar(select(DeliveryProof).where(DeliveryProof.order_id == order.id))


async def check(session: AsyncSession, key: bytes, order, code: str | None, rider_id: int, now: datetime) -> DomainError | None:
    """Spend one attempt and mark the code used if it matches; a DomainError to *return* otherwise
    (the caller commits the counted attempt, then reports it)."""
    row = await _row(session, order, now)
    refused = DomainError(Codes.CODE_INVALID, CODE_REFUSED, "proofCode")
    taken = await take_attempt(
        session, DeliveryProof.attempts, (DeliveryProof.id == row.id,), limit=MAX_ATTEMPTS,
        window_start=DeliveryProof.window_started_at, window=WINDOW, now=now,
    )
    if not taken:
        return refused
    if not isinstance(code, str) or not hmac.compare_digest(code_for(key, order).encode(), code.strip().encode()):  # bytes: non-ASCII str raises
        return refused
    used = await session.execute(
        update(DeliveryProof)
        .where(DeliveryProof.id == row.id, DeliveryProof.used_at.is_(None))
        .values(used_at=now, used_by_rider_id=rider_id),
        execution_options={"synchronize_session": False},
    )
    if used.rowcount != 1:
        return refused
    return None


async def used_at(session: AsyncSession, order_id: int) -> datetime | None:
    return await session.scalar(select(DeliveryProof.used_at).where(DeliveryProof.order_id == order_id))
