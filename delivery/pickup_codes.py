"""Pickup codes: a 6-digit code and a signed QR payload per paid STORE_PICKUP order.

* The code is HMAC(pickup key, per-order random nonce) reduced to 6 digits. Only the nonce
  is stored (delivery.models.PickupCode), so neither the table nor a dump of it yields a
  code without the server key; the customer's app can still be shown it again.
* The QR payload is "QDP1.<order>.<store>.<code>.<sig>", sig = HMAC(key, "qr:" + the rest),
  so a scanned QR cannot be edited to point at another order or store.
* Verification (staff, MANAGE_ORDERS on the store) is one use only, only at the order's own
  store, and moves AWAITING_PICKUP -> COMPLETED. Guessing is limited per order (5 tries per
  15 minutes, taken by core.attempts.take_attempt before the code is compared) and per store
  (30 wrong guesses by authorised callers per 10 minutes over the audit table). Permission is
  checked first: a caller who may not verify here neither counts against the store's limit
  nor (unless staff or an API key, who are accountable) writes an audit row, so nobody can lock
  a store's counter from outside. A wrong, used or locked code gets one answer (CODE_REFUSED);
  the audit keeps the real reason. verify() returns failures instead of raising, so the
  caller commits them.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal, PrincipalKind
from core.attempts import take_attempt
from core.errors import DomainError
from delivery.errors import DeliveryErrorCode as Codes
from delivery.models import PickupCode, PickupVerification
from store_network.access import load_store
from store_network.models import Store

CODE_DIGITS = 6
ORDER_MAX_ATTEMPTS = 5
ORDER_WINDOW = timedelta(minutes=15)
STORE_MAX_FAILURES = 30
STORE_WINDOW = timedelta(minutes=10)
_QR_PREFIX = "QDP1"
CODE_REFUSED = "wrong pickup code, already used, or too many tries for this order (5 per 15 minutes)"
# Audit outcomes that are guesses by a caller allowed to verify here: only these count against the
# store's limit. Refusals (RATE_LIMITED) do not, or a locked counter would renew itself forever.
STORE_COUNTED_OUTCOMES = ("CODE_INVALID", "WRONG_STORE")


def pickup_key(secret_key: str) -> bytes:
    """A key of its own, so a leaked pickup code says nothing about tokens signed with the secret."""
    return hashlib.sha256(b"pickup-code:" + secret_key.encode()).digest()


def code_for(key: bytes, nonce: str) -> str:
    digest = hmac.new(key, nonce.encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def _qr_sig(key: bytes, body: str) -> str:
    raw = hmac.new(key, b"qr:" + body.encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(raw).decode()


def qr_payload(key: bytes, order_id: int, store_id: int, code: str) -> str:
    body = f"{_QR_PREFIX}.{order_id}.{store_id}.{code}"
    return f"{body}.{_qr_sig(key, body)}"


def parse_qr(key: bytes, payload: str) -> tuple[int, int, str]:
    """(order_id, store_id, code) of an authentic payload; DomainError(CODE_INVALID) otherwise."""
    invalid = DomainError(Codes.CODE_INVALID, "this QR code is not a valid pickup code", "qrPayload")
    parts = payload.split(".") if isinstance(payload, str) and len(payload) <= 200 else []
    if len(parts) != 5 or parts[0] != _QR_PREFIX or not all(p.isdigit() and len(p) <= 18 for p in parts[1:4]):
        raise invalid
    body = ".".join(parts[:4])
    if not hmac.compare_digest(_qr_sig(key, body).encode(), parts[4].encode()):  # bytes: non-ASCII str raises
        raise invalid
    return int(parts[1]), int(parts[2]), parts[3]


async def _audit(session, store, order_id, method, outcome, principal: Principal, now) -> None:
    session.add(
        PickupVerification(
            tenant_id=store.tenant_id, store_id=store.id, order_id=order_id, method=method, outcome=outcome,
            actor_type=principal.kind.value, actor_id=principal.staff_id or principal.api_key_id, created_at=now,
        )
    )
    await session.flush()


async def _take_attempt(session: AsyncSession, row: PickupCode, now: datetime) -> bool:
    """One try out of the order's budget, atomically; False when the budget is spent."""
    return await take_attempt(
        session, PickupCode.attempts, (PickupCode.id == row.id,), limit=ORDER_MAX_ATTEMPTS,
        window_start=PickupCode.window_started_at, window=ORDER_WINDOW, now=now,
    )


async def verify(
    session: AsyncSession, principal: Principal, key: bytes, store_id: int, *,
    order_id: int | None, code: str | None, qr: str | None, now: datetime,
):
    """Returns (completed order, None) or (None, DomainError); the error's attempt is audited."""
    from commerce.models import Order  # local: commerce.orders imports delivery
    from commerce.order_status import ActorType, OrderStatus
    from commerce.orders import ACTOR_OF_KIND, apply_transition

    store, path = await load_store(session, principal, store_id, Codes)  # another tenant's store: NOT_FOUND, no audit
    method = "QR" if qr is not None else "CODE"

    async def fail(code_: Codes, message: str, field: str | None, order: int | None = None, outcome: str | None = None):
        await _audit(session, store, order, method, outcome or code_.value, principal, now)
        return None, DomainError(code_, message, field)

    async def refuse(outcome: str, order: int):
        return await fail(Codes.CODE_INVALID, CODE_REFUSED, "code", order, outcome)

    accountable = principal.kind in (PrincipalKind.STAFF, PrincipalKind.API_KEY)
    if not accountable or not principal.can(Permission.MANAGE_ORDERS, path):
        denied = DomainError(Codes.PERMISSION_DENIED, "only this store's staff verify pickup codes", "storeId")
        if not accountable:  # anonymous or customer: nothing to hold to account, and no rows to flood
            return None, denied
        return await fail(Codes.PERMISSION_DENIED, denied.message, "storeId")
    # Count and record one attempt at a time per store (PostgreSQL: the store's row locked
    # until commit; SQLite has one writer), so parallel guesses cannot overshoot the limit.
    # NO KEY UPDATE: orders and other rows that merely reference the store are not blocked.
    await session.execute(select(Store.id).where(Store.id == store.id).with_for_update(key_share=True))
    failures = await session.scalar(
        select(func.count(PickupVerification.id)).where(
            PickupVerification.store_id == store.id,
            PickupVerification.outcome.in_(STORE_COUNTED_OUTCOMES),
            PickupVerification.created_at > now - STORE_WINDOW,
        )
    )
    if failures >= STORE_MAX_FAILURES:
        return await fail(Codes.RATE_LIMITED, "too many failed pickup codes at this store; wait a few minutes", None)
    if (qr is None) == (code is None) or (code is not None and order_id is None):
        return await fail(Codes.INVALID, "send either qrPayload, or orderId and code", "code")
    if qr is not None:
        try:
            order_id, _, code = parse_qr(key, qr)
        except DomainError as exc:
            return await fail(Codes.CODE_INVALID, exc.message, "qrPayload")
    order = await session.scalar(select(Order).where(Order.id == order_id, Order.tenant_id == store.tenant_id))
    row = await session.scalar(select(PickupCode).where(PickupCode.order_id == order_id)) if order else None
    if row is None:
        return await fail(Codes.CODE_INVALID, "no pickup code for this order", "orderId")
    if order.store_id != store.id:
        return await fail(Codes.WRONG_STORE, "this order is collected at another store", "storeId", order.id)
    if not await _take_attempt(session, row, now):
        return await refuse(Codes.RATE_LIMITED.value, order.id)
    if not hmac.compare_digest(code_for(key, row.nonce).encode(), (code or "").encode()):  # bytes: non-ASCII str raises
        return await refuse(Codes.CODE_INVALID.value, order.id)
    if row.used_at is not None:
        return await refuse(Codes.CODE_ALREADY_USED.value, order.id)
    if order.status != OrderStatus.AWAITING_PICKUP.value:
        return await fail(Codes.ORDER_NOT_READY, f"the order is {order.status}, not ready for pickup", "orderId", order.id)
    used = await session.execute(
        update(PickupCode).where(PickupCode.id == row.id, PickupCode.used_at.is_(None)).values(used_at=now),
        execution_options={"synchronize_session": False},
    )
    if used.rowcount != 1:
        return await refuse(Codes.CODE_ALREADY_USED.value, order.id)
    actor = ACTOR_OF_KIND[principal.kind]
    order = await apply_transition(
        session, order, OrderStatus.COMPLETED, actor=ActorType(actor.value),
        actor_id=principal.staff_id or principal.api_key_id, now=now, reason=f"pickup code verified ({method})",
    )
    await _audit(session, store, order.id, method, "SUCCESS", principal, now)
    return order, None
