"""Stored value (储值): top-up plans paid through a payment provider, spending on orders and at
the counter, refunds back to the balance, principal refunds to the original payment method,
and staff adjustments. Every movement is one ledger transaction carrying its actor.

Principal and bonus are separate member accounts (see membership.accounts). Which one a
payment spends is the brand's `spend_order`: PROPORTIONAL by default. The sourced rule
(/work/shared/research/promotions_membership.md §C: the 2025 SPC prepaid interpretation draft
§21 converts consumption at paid/(paid+bonus)) makes "bonus is never refundable, spend
principal first" unsafe; with PROPORTIONAL spending, refunding the remaining principal is
exactly that pro-rata rule. Bonus is never paid out in cash under any setting.

Refunds of an order return to the balance in the parts the charge took (cumulative rounding:
after a full refund every part is back exactly). Concurrent payments from one account can
never overdraw it: the ledger's conditional UPDATE refuses; a payment whose split was
computed from balances another payment changed meanwhile is recomputed (a few times) inside
a savepoint.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError
from core.money import MAX_AMOUNT_FEN
from ledger import InsufficientFunds, Leg, balance, post
from ledger.errors import IdempotencyConflict
from membership import accounts
from membership.errors import MembershipErrorCode
from membership.members import program
from membership.models import Member, StoredValueCharge, TopUp, TopUpPlan
from payments.provider import request_refund

log = logging.getLogger(__name__)
_NO_SYNC = {"synchronize_session": False}
SPEND_RETRIES = 50  # each retry follows another payment that committed: bounded by the concurrency
Actor = tuple[str, int | None]


def split(amount: int, principal: int, bonus: int, spend_order: str) -> tuple[int, int]:
    """(principal part, bonus part) of a payment of `amount` from these balances; the caller
    made sure amount <= principal + bonus."""
    if spend_order == "PRINCIPAL_FIRST":
        p = min(amount, principal)
        return p, amount - p
    if spend_order == "BONUS_FIRST":
        b = min(amount, bonus)
        return amount - b, b
    total = principal + bonus
    b = amount * bonus // total if total else 0  # floor: principal part = ceil(amount*p/total) <= p
    return amount - b, b


async def balances(session: AsyncSession, tenant_id: int, member_id: int) -> tuple[int, int]:
    """(principal, bonus) in fen."""
    return (
        await balance(session, await accounts.principal(session, tenant_id, member_id)),
        await balance(session, await accounts.bonus(session, tenant_id, member_id)),
    )


# ---- plans and top-ups ----

async def add_plan(session: AsyncSession, tenant_id: int, name: str, pay_fen: int, bonus_fen: int, now: datetime) -> TopUpPlan:
    if not (0 < pay_fen <= MAX_AMOUNT_FEN and 0 <= bonus_fen <= MAX_AMOUNT_FEN):
        raise DomainError(MembershipErrorCode.AMOUNT_OUT_OF_RANGE, "pay must be > 0 and bonus >= 0", "payAmount")
    if not name or len(name) > 100:
        raise DomainError(MembershipErrorCode.INVALID, "a name of 1..100 characters", "name")
    plan = TopUpPlan(tenant_id=tenant_id, name=name, pay_fen=pay_fen, bonus_fen=bonus_fen, active=True, created_at=now)
    session.add(plan)
    await session.flush()
    return plan


async def start_top_up(
    session: AsyncSession, provider, member: Member, plan_id: int, idempotency_key: str, now: datetime, store_id: int | None = None,
):
    """A PENDING top-up and the provider's intent (None on a retry with the same key: the
    app reopens the payment sheet it has). `provider`: payments.registry.choose_provider's."""
    existing = await session.scalar(
        select(TopUp).where(TopUp.tenant_id == member.tenant_id, TopUp.idempotency_key == idempotency_key)
    )
    if existing is not None:
        if existing.member_id != member.id or existing.plan_id != plan_id:
            raise DomainError(MembershipErrorCode.IDEMPOTENCY_CONFLICT, "this key was used for another top-up", "idempotencyKey")
        return existing, None
    plan = await session.scalar(
        select(TopUpPlan).where(TopUpPlan.id == plan_id, TopUpPlan.tenant_id == member.tenant_id, TopUpPlan.active.is_(True))
    )
    if plan is None:
        raise DomainError(MembershipErrorCode.NOT_FOUND, "top-up plan not found", "planId")
    intent = provider.create_intent(order_number=f"TOPUP-{member.id}-{idempotency_key[:24]}", amount_fen=plan.pay_fen, currency="CNY")
    top_up = TopUp(
        tenant_id=member.tenant_id, member_id=member.id, plan_id=plan.id, store_id=store_id, pay_fen=plan.pay_fen,
        bonus_fen=plan.bonus_fen, provider=provider.name, provider_ref=intent.provider_ref, status="PENDING",
        idempotency_key=idempotency_key, principal_refunded_fen=0, created_at=now,
    )
    session.add(top_up)
    await session.flush()
    return top_up, intent


async def apply_top_up_callback(session: AsyncSession, provider_name: str, event, now: datetime) -> str | None:
    """A verified provider callback for a top-up (payments.service hands over callbacks whose
    reference is not an order payment). None if the reference is no top-up."""
    top_up = await session.scalar(
        select(TopUp).where(TopUp.provider == provider_name, TopUp.provider_ref == event.provider_ref).with_for_update()
    )
    if top_up is None:
        return None
    if top_up.status != "PENDING":
        return "IGNORED_TOP_UP_" + top_up.status
    if event.status != "SUCCEEDED":
        top_up.status = "FAILED"
        return "TOP_UP_FAILED"
    top_up.captured_fen = event.amount_fen
    if event.amount_fen != top_up.pay_fen:
        # Not the plan's price: nothing is credited, and refund_mismatched_top_ups (the sweep)
        # gives back exactly what the provider took.
        top_up.status = "REFUND_REQUIRED"
        return "TOP_UP_AMOUNT_MISMATCH"
    await credit_top_up(session, top_up, now)
    return "TOP_UP_CREDITED"


async def credit_top_up(session: AsyncSession, top_up: TopUp, now: datetime) -> None:
    """PENDING -> SUCCEEDED (compare-and-set) and principal + bonus credited, once."""
    moved = await session.execute(
        update(TopUp).where(TopUp.id == top_up.id, TopUp.status == "PENDING").values(status="SUCCEEDED", paid_at=now),
        execution_options=_NO_SYNC,
    )
    if moved.rowcount != 1:
        return
    tenant_id, member_id = top_up.tenant_id, top_up.member_id
    legs = [
        Leg(await accounts.brand(session, tenant_id, "sv.cash"), -top_up.pay_fen),
        Leg(await accounts.principal(session, tenant_id, member_id), top_up.pay_fen),
    ]
    if top_up.bonus_fen:
        legs += [
            Leg(await accounts.brand(session, tenant_id, "sv.bonus_granted"), -top_up.bonus_fen),
            Leg(await accounts.bonus(session, tenant_id, member_id), top_up.bonus_fen),
        ]
    await post(session, tenant_id, "sv.top_up", legs, idempotency_key=f"sv.top_up:{top_up.id}",
               reference=("top_up", top_up.id), memo="top-up", actor=("provider", None), now=now)
    await session.refresh(top_up)


async def refund_principal(
    session: AsyncSession, provider, top_up: TopUp, amount_fen: int, *, idempotency_key: str, actor: Actor, now: datetime,
) -> None:
    """Give `amount_fen` of a top-up's principal back through the provider that took it. Never
    more than the top-up paid in (less what was refunded of it before) nor the member's
    remaining principal; bonus is never paid out."""
    if top_up.status != "SUCCEEDED":
        raise DomainError(MembershipErrorCode.INVALID, "only a paid top-up can be refunded", "topUpId")
    if not (0 < amount_fen <= MAX_AMOUNT_FEN):
        raise DomainError(MembershipErrorCode.AMOUNT_OUT_OF_RANGE, "amount must be positive", "amount")
    key = f"sv.principal_refund:{top_up.id}:{idempotency_key}"
    tenant_id = top_up.tenant_id
    legs = [Leg(await accounts.principal(session, tenant_id, top_up.member_id), -amount_fen),
            Leg(await accounts.brand(session, tenant_id, "sv.cash"), amount_fen)]
    try:
        async with session.begin_nested():
            from ledger.models import LedgerTransaction

            if await session.scalar(select(LedgerTransaction.id).where(LedgerTransaction.tenant_id == tenant_id, LedgerTransaction.idempotency_key == key)):
                await post(session, tenant_id, "sv.principal_refund", legs, idempotency_key=key, now=now, actor=actor)
                return  # a retry: already refunded (post raises on different legs)
            capped = await session.execute(
                update(TopUp).where(TopUp.id == top_up.id, TopUp.principal_refunded_fen + amount_fen <= TopUp.pay_fen)
                .values(principal_refunded_fen=TopUp.principal_refunded_fen + amount_fen),
                execution_options=_NO_SYNC,
            )
            if capped.rowcount != 1:
                raise DomainError(MembershipErrorCode.REFUND_EXCEEDS_PAID, "more than this top-up paid in", "amount")
            await post(session, tenant_id, "sv.principal_refund", legs, idempotency_key=key,
                       reference=("top_up", top_up.id), memo="principal refund to the original method", actor=actor, now=now)
    except InsufficientFunds:
        raise DomainError(MembershipErrorCode.INSUFFICIENT_BALANCE, "the member's principal is smaller than that", "amount") from None
    except IdempotencyConflict:
        raise DomainError(MembershipErrorCode.IDEMPOTENCY_CONFLICT, "this key was used for another refund", "idempotencyKey") from None
    # After the ledger: a provider failure rolls the whole refund back (the caller's transaction).
    provider.refund(provider_ref=top_up.provider_ref, amount_fen=amount_fen, refund_id=key[:64])
    await session.refresh(top_up)


def top_up_refund_id(top_up: TopUp) -> str:
    """One refund per mismatched top-up: its id names the refund at the provider, so a retry
    after a lost commit is recognised there, not paid twice."""
    return f"topup-refund-{top_up.id}"


async def refund_mismatched_top_ups(database, providers, now: datetime, batch: int = 50) -> int:
    """Money received is applied or refunded, never dropped: a top-up paid in the wrong amount
    (REFUND_REQUIRED) is refunded through the provider that took it, in the amount it took,
    then REFUNDED with refunded_at. Each top-up in its own transaction, locked (PostgreSQL:
    rows another sweeper holds are skipped); a provider error leaves it for the next run.
    Returns top-ups refunded. Run by payments.service.refund_late_payments (the sweep)."""
    async with database.read() as session:
        ids = list(await session.scalars(
            select(TopUp.id).where(TopUp.status == "REFUND_REQUIRED", TopUp.provider.in_(providers.names))
            .order_by(TopUp.id).limit(batch)))
    refunded = 0
    for top_up_id in ids:
        try:
            async with database.write() as session:
                top_up = await session.scalar(
                    select(TopUp).where(TopUp.id == top_up_id, TopUp.status == "REFUND_REQUIRED")
                    .with_for_update(skip_locked=True))
                if top_up is None:
                    continue
                provider = providers.get(top_up.provider)
                amount = top_up.pay_fen if top_up.captured_fen is None else top_up.captured_fen
                if amount > 0:  # a zero-fen "success" took nothing: nothing to give back
                    status = await request_refund(provider, tenant_id=top_up.tenant_id, provider_ref=top_up.provider_ref,
                                                  refund_id=top_up_refund_id(top_up), amount_fen=amount, total_fen=amount,
                                                  reason="top-up amount mismatch")
                    if status == "FAILED":
                        raise RuntimeError("the provider did not refund")
                top_up.status = "REFUNDED"
                top_up.refunded_at = now
                refunded += 1
        except Exception:  # noqa: BLE001 - one provider failure must not stop the others
            log.exception("refund of mismatched top-up %s failed; next run", top_up_id)
    return refunded


# ---- spending and refunds ----

async def prepaid_fen(session: AsyncSession, order_id: int) -> int:
    """What stored value has paid (and still holds) of an order: the provider is asked for the rest."""
    charge = await session.scalar(select(StoredValueCharge).where(StoredValueCharge.order_id == order_id))
    if charge is None:
        return 0
    return charge.amount_fen - charge.refunded_principal_fen - charge.refunded_bonus_fen


async def spend(
    session: AsyncSession, member: Member, amount_fen: int, *, store_id: int, order_id: int | None,
    idempotency_key: str, actor: Actor, now: datetime,
) -> StoredValueCharge:
    """Take `amount_fen` from the member's balance (split per the brand's rule). Idempotent on
    the key; raises INSUFFICIENT_BALANCE and writes nothing if the balance is short."""
    if not (0 < amount_fen <= MAX_AMOUNT_FEN):
        raise DomainError(MembershipErrorCode.AMOUNT_OUT_OF_RANGE, "amount must be positive", "amount")
    tenant_id = member.tenant_id
    existing = await session.scalar(
        select(StoredValueCharge).where(StoredValueCharge.tenant_id == tenant_id, StoredValueCharge.idempotency_key == idempotency_key)
    )
    if existing is not None:
        # The store too: a replay from another store (another till, same key) is another sale, and
        # must not be answered with the first store's receipt.
        if (existing.member_id, existing.amount_fen, existing.order_id, existing.store_id) != (member.id, amount_fen, order_id, store_id):
            raise DomainError(MembershipErrorCode.IDEMPOTENCY_CONFLICT, "this key was used for another payment", "idempotencyKey")
        return existing
    rule = (await program(session, tenant_id)).spend_order
    p_acct = await accounts.principal(session, tenant_id, member.id)
    b_acct = await accounts.bonus(session, tenant_id, member.id)
    sales = await accounts.store_sales(session, tenant_id, store_id)
    for _ in range(SPEND_RETRIES):
        p_bal, b_bal = await balance(session, p_acct), await balance(session, b_acct)
        if p_bal + b_bal < amount_fen:
            break
        p_part, b_part = split(amount_fen, p_bal, b_bal, rule)
        legs = [Leg(sales, amount_fen)] + [Leg(a, -x) for a, x in ((p_acct, p_part), (b_acct, b_part)) if x]
        try:
            async with session.begin_nested():
                charge = StoredValueCharge(
                    tenant_id=tenant_id, member_id=member.id, order_id=order_id, store_id=store_id, amount_fen=amount_fen,
                    principal_fen=p_part, bonus_fen=b_part, refunded_principal_fen=0, refunded_bonus_fen=0,
                    idempotency_key=idempotency_key, actor_type=actor[0], actor_id=actor[1], created_at=now,
                )
                session.add(charge)
                await session.flush()
                await post(session, tenant_id, "sv.spend", legs, idempotency_key=f"sv.spend:{charge.id}",
                           reference=("order", order_id) if order_id else ("sv_charge", charge.id),
                           memo="stored value payment", actor=actor, now=now)
            member.last_active_at = now
            return charge
        except InsufficientFunds:
            continue  # another payment moved the balances between our read and our UPDATE: re-split
    raise DomainError(MembershipErrorCode.INSUFFICIENT_BALANCE, "the stored-value balance is too small", "amount")


async def refund_charge(
    session: AsyncSession, charge: StoredValueCharge, amount_fen: int, *, actor: Actor, now: datetime, reason: str = "refund",
) -> tuple[int, int]:
    """Return `amount_fen` of a charge to the member's balance, principal and bonus in the
    charge's proportion (cumulatively rounded, so a full refund returns each part exactly).
    Returns (principal, bonus) returned. Compare-and-set on the charge's refunded amounts."""
    refunded = charge.refunded_principal_fen + charge.refunded_bonus_fen
    if not (0 < amount_fen <= charge.amount_fen - refunded):
        raise DomainError(MembershipErrorCode.REFUND_EXCEEDS_PAID, "more than is left of this payment", "amount")
    after = refunded + amount_fen
    bonus_after = after * charge.bonus_fen // charge.amount_fen if after < charge.amount_fen else charge.bonus_fen
    b_back = bonus_after - charge.refunded_bonus_fen
    p_back = amount_fen - b_back
    moved = await session.execute(
        update(StoredValueCharge)
        .where(StoredValueCharge.id == charge.id, StoredValueCharge.refunded_principal_fen == charge.refunded_principal_fen,
               StoredValueCharge.refunded_bonus_fen == charge.refunded_bonus_fen)
        .values(refunded_principal_fen=charge.refunded_principal_fen + p_back, refunded_bonus_fen=charge.refunded_bonus_fen + b_back),
        execution_options=_NO_SYNC,
    )
    if moved.rowcount != 1:
        raise DomainError(MembershipErrorCode.INVALID, "the payment was refunded meanwhile; retry", "amount")
    tenant_id = charge.tenant_id
    legs = [Leg(await accounts.store_sales(session, tenant_id, charge.store_id), -amount_fen)]
    if p_back:
        legs.append(Leg(await accounts.principal(session, tenant_id, charge.member_id), p_back))
    if b_back:
        legs.append(Leg(await accounts.bonus(session, tenant_id, charge.member_id), b_back))
    await post(session, tenant_id, "sv.refund", legs, idempotency_key=f"sv.refund:{charge.id}:{after}",
               reference=("sv_charge", charge.id), memo=reason, actor=actor, now=now)
    await session.refresh(charge)
    return p_back, b_back


async def adjust(
    session: AsyncSession, member: Member, part: str, amount_fen: int, *, reason: str, idempotency_key: str, actor: Actor, now: datetime,
) -> None:
    """A staff correction of principal or bonus (signed), with a mandatory reason."""
    if part not in ("PRINCIPAL", "BONUS"):
        raise DomainError(MembershipErrorCode.INVALID, "part is PRINCIPAL or BONUS", "part")
    if not reason.strip():
        raise DomainError(MembershipErrorCode.REQUIRED, "an adjustment needs a reason", "reason")
    if amount_fen == 0 or abs(amount_fen) > MAX_AMOUNT_FEN:
        raise DomainError(MembershipErrorCode.AMOUNT_OUT_OF_RANGE, "amount must be non-zero", "amount")
    tenant_id = member.tenant_id
    target = await (accounts.principal if part == "PRINCIPAL" else accounts.bonus)(session, tenant_id, member.id)
    legs = [Leg(target, amount_fen), Leg(await accounts.brand(session, tenant_id, "sv.adjustment"), -amount_fen)]
    try:
        async with session.begin_nested():
            await post(session, tenant_id, "sv.adjustment", legs, idempotency_key=f"sv.adjust:{idempotency_key}",
                       reference=("member", member.id), memo=reason, actor=actor, now=now)
    except InsufficientFunds:
        raise DomainError(MembershipErrorCode.INSUFFICIENT_BALANCE, "the balance is smaller than that", "amount") from None
    except IdempotencyConflict:
        raise DomainError(MembershipErrorCode.IDEMPOTENCY_CONFLICT, "this key was used for another adjustment", "idempotencyKey") from None
