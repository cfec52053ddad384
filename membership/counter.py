"""At the store counter: a dynamic member code (shown in the customer's app like a payment
code: 18 random digits, valid for a minute, single use, stored as an HMAC), member look-up by
code or mobile for staff and POS API keys, and charging / earning / redeeming there.

Guessing is bounded: every code look-up first takes one attempt from the caller's budget
(core.attempts.take_attempt, a fixed window per staff member or API key), so even the right
code is refused once the budget is spent.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal, PrincipalKind
from commerce.models import Customer
from core.attempts import take_attempt
from core.errors import DomainError
from membership import points, stored_value
from membership.errors import MembershipErrorCode
from membership.models import Member, MemberCode, MemberLookupBudget, StoredValueCharge
from store_network.access import load_store

CODE_TTL = timedelta(seconds=60)
LOOKUP_LIMIT = 30  # code look-ups per caller per window
LOOKUP_WINDOW = timedelta(minutes=1)
_NO_SYNC = {"synchronize_session": False}


def _hash(code: str, pepper: bytes) -> str:
    return hmac.new(pepper, b"member-code:" + code.encode(), hashlib.sha256).hexdigest()


async def issue_code(session: AsyncSession, member: Member, pepper: bytes, now: datetime) -> tuple[str, datetime]:
    """A fresh code for the member's app; older unused codes stay valid until they expire."""
    code = "66" + "".join(secrets.choice("0123456789") for _ in range(16))
    expires = now + CODE_TTL
    session.add(MemberCode(tenant_id=member.tenant_id, member_id=member.id, code_hash=_hash(code, pepper), expires_at=expires))
    await session.flush()
    return code, expires


def _actor(principal: Principal) -> tuple[str, int]:
    if principal.kind is PrincipalKind.STAFF:
        return "staff", principal.staff_id
    if principal.kind is PrincipalKind.API_KEY:
        return "api_key", principal.api_key_id
    raise DomainError(MembershipErrorCode.PERMISSION_DENIED, "store staff or a POS key only", None)


async def counter_store(session: AsyncSession, principal: Principal, store_id: int):
    """The store, if the staff member / POS key may take orders there."""
    _actor(principal)
    store, _ = await load_store(session, principal, store_id, MembershipErrorCode, Permission.MANAGE_ORDERS)
    return store


async def take_lookup_attempt(session: AsyncSession, principal: Principal, store_id: int, now: datetime) -> None:
    """Spend one of the caller's code look-ups. Run it in a transaction that commits even when
    the code then turns out wrong (the resolver does: its own transaction first)."""
    await counter_store(session, principal, store_id)
    kind, actor_id = _actor(principal)
    key = f"{kind}:{actor_id}"
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(MemberLookupBudget).values(tenant_id=principal.tenant_id, actor_key=key, attempts=0, window_start=None)
        .on_conflict_do_nothing(index_elements=["tenant_id", "actor_key"])
    )
    if not await take_attempt(
        session, MemberLookupBudget.attempts,
        [MemberLookupBudget.tenant_id == principal.tenant_id, MemberLookupBudget.actor_key == key],
        limit=LOOKUP_LIMIT, window_start=MemberLookupBudget.window_start, window=LOOKUP_WINDOW, now=now,
    ):
        raise DomainError(MembershipErrorCode.TOO_MANY_ATTEMPTS, "too many member-code look-ups; wait a minute", "code")


async def lookup_by_code(
    session: AsyncSession, principal: Principal, store_id: int, code: str, pepper: bytes, now: datetime, *, attempt_taken: bool = False,
) -> Member:
    """The member whose unexpired, unused code this is (the code is used up). Takes an attempt
    first unless the caller already took it in a committed transaction."""
    if not attempt_taken:
        await take_lookup_attempt(session, principal, store_id, now)
    await counter_store(session, principal, store_id)
    if not (isinstance(code, str) and len(code) == 18 and code.isdigit()):
        raise DomainError(MembershipErrorCode.CODE_INVALID, "no such member code", "code")
    used = await session.execute(
        update(MemberCode)
        .where(MemberCode.tenant_id == principal.tenant_id, MemberCode.code_hash == _hash(code, pepper),
               MemberCode.used_at.is_(None), MemberCode.expires_at > now)
        .values(used_at=now).returning(MemberCode.member_id),
        execution_options=_NO_SYNC,
    )
    member_id = used.scalar_one_or_none()
    if member_id is None:
        raise DomainError(MembershipErrorCode.CODE_INVALID, "no such member code (or it expired or was used)", "code")
    return await session.get(Member, member_id)


async def lookup_by_mobile(session: AsyncSession, principal: Principal, store_id: int, mobile: str) -> Member:
    from auth.one_time_codes import normalize_mobile

    await counter_store(session, principal, store_id)
    try:
        mobile = normalize_mobile(mobile)
    except Exception:  # noqa: BLE001 - any malformed number is simply not found
        raise DomainError(MembershipErrorCode.NOT_FOUND, "no member with this mobile", "mobile") from None
    member = await session.scalar(
        select(Member).join(Customer, Customer.id == Member.customer_id)
        .where(Member.tenant_id == principal.tenant_id, Customer.tenant_id == principal.tenant_id, Customer.mobile == mobile)
    )
    if member is None:
        raise DomainError(MembershipErrorCode.NOT_FOUND, "no member with this mobile", "mobile")
    return member


async def _member_in_tenant(session: AsyncSession, principal: Principal, member_id: int) -> Member:
    member = await session.get(Member, member_id)
    if member is None or member.tenant_id != principal.tenant_id:
        raise DomainError(MembershipErrorCode.NOT_FOUND, "member not found", "memberId")
    return member


async def charge(
    session: AsyncSession, principal: Principal, store_id: int, member_id: int, amount_fen: int, idempotency_key: str, now: datetime,
) -> StoredValueCharge:
    """Charge stored value for a counter sale (no online order)."""
    await counter_store(session, principal, store_id)
    member = await _member_in_tenant(session, principal, member_id)
    return await stored_value.spend(session, member, amount_fen, store_id=store_id, order_id=None,
                                    idempotency_key=f"counter:{idempotency_key}", actor=_actor(principal), now=now)


async def earn(
    session: AsyncSession, principal: Principal, store_id: int, member_id: int, lines: list[tuple[int | None, int]],
    idempotency_key: str, now: datetime,
):
    """Points for a counter sale: (category_id, fen) lines, under the same rules as online."""
    await counter_store(session, principal, store_id)
    member = await _member_in_tenant(session, principal, member_id)
    if any(fen < 0 for _, fen in lines) or len(lines) > 200:
        raise DomainError(MembershipErrorCode.INVALID, "1..200 lines of non-negative amounts", "lines")
    amount = await points.points_for_lines(session, member, store_id, lines, now)
    return await points.credit(session, member, amount, source=f"counter store {store_id}", reference=f"counter:{idempotency_key}",
                               now=now, actor=_actor(principal), fen=sum(fen for _, fen in lines), store_id=store_id)


async def redeem(
    session: AsyncSession, principal: Principal, store_id: int, member_id: int, amount: int, sale_fen: int,
    idempotency_key: str, now: datetime,
):
    """Points as money off a counter sale of `sale_fen`, within the brand's percent."""
    from membership.members import program

    await counter_store(session, principal, store_id)
    member = await _member_in_tenant(session, principal, member_id)
    if sale_fen <= 0:
        raise DomainError(MembershipErrorCode.INVALID, "the sale amount must be positive", "saleAmount")
    cap = sale_fen * (await program(session, member.tenant_id)).redeem_max_percent // 100
    return await points.redeem(session, member, amount, reference=f"counter:{idempotency_key}", cap_fen=cap, now=now,
                               actor=_actor(principal), store_id=store_id)
