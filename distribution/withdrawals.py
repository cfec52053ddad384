"""Withdrawals: request (money moves withdrawable -> withdrawing at once, guarded by the
ledger's conditional UPDATE: concurrent requests never overdraw), then staff approve (payout
provider pays; withdrawing -> withdrawn) or reject (withdrawing -> withdrawable). A failed
payout returns the money like a rejection. Requests are idempotent on the caller's key."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Principal
from core.clock import utc_now
from core.errors import DomainError
from distribution import payouts
from distribution.commission import WITHDRAWABLE, WITHDRAWING, WITHDRAWN, _accounts, _net_debt
from distribution.enrolment import program, require_hq
from distribution.errors import DistributionErrorCode as Codes
from distribution.models import CommissionWithdrawal, Salesperson
from ledger import InsufficientFunds, Leg, post


async def request_withdrawal(
    session: AsyncSession, seller: Salesperson, amount_fen: int, idempotency_key: str, now: datetime | None = None,
) -> CommissionWithdrawal:
    now = now or utc_now()
    if type(amount_fen) is not int or amount_fen <= 0:
        raise DomainError(Codes.INVALID, "amount must be a positive number of fen", "amount")
    if not idempotency_key or len(idempotency_key) > 64:
        raise DomainError(Codes.INVALID, "idempotencyKey must be 1..64 characters", "idempotencyKey")
    existing = await session.scalar(select(CommissionWithdrawal).where(
        CommissionWithdrawal.tenant_id == seller.tenant_id, CommissionWithdrawal.salesperson_id == seller.id,
        CommissionWithdrawal.idempotency_key == idempotency_key,
    ))
    if existing is not None:
        if existing.amount_fen != amount_fen:
            raise DomainError(Codes.IDEMPOTENCY_CONFLICT, "this key was used for another amount", "idempotencyKey")
        return existing
    if amount_fen < (await program(session, seller.tenant_id)).min_withdrawal_fen:
        raise DomainError(Codes.BELOW_MINIMUM, "below the brand's minimum withdrawal", "amount")
    await _net_debt(session, seller.tenant_id, seller.id, f"dist:wd-net:{seller.id}:{idempotency_key}", now)
    row = CommissionWithdrawal(
        tenant_id=seller.tenant_id, salesperson_id=seller.id, amount_fen=amount_fen, idempotency_key=idempotency_key,
        state="REQUESTED", created_at=now,
    )
    session.add(row)
    await session.flush()
    accounts = await _accounts(session, seller.tenant_id, seller.id)
    try:
        await post(session, seller.tenant_id, "commission.withdraw", [Leg(accounts[WITHDRAWABLE], -amount_fen), Leg(accounts[WITHDRAWING], amount_fen)],
                   idempotency_key=f"dist:wd:{row.id}", reference=("commission_withdrawal", row.id), now=now)
    except InsufficientFunds:
        raise DomainError(Codes.INSUFFICIENT_BALANCE, "not enough withdrawable commission", "amount") from None
    return row


async def decide_withdrawal(
    session: AsyncSession, principal: Principal, withdrawal_id: int, approve: bool, now: datetime | None = None,
) -> CommissionWithdrawal:
    """HQ approves (and pays: the brand's money leaves) or rejects."""
    now = now or utc_now()
    row = await session.get(CommissionWithdrawal, withdrawal_id)
    if row is None or row.tenant_id != principal.tenant_id:
        raise DomainError(Codes.NOT_FOUND, "withdrawal not found", "id")
    await require_hq(session, principal)
    decided = await session.execute(
        update(CommissionWithdrawal).where(CommissionWithdrawal.id == row.id, CommissionWithdrawal.state == "REQUESTED")
        .values(state="PAYING" if approve else "REJECTED", decided_at=now, reviewed_by_staff_id=principal.staff_id)
        .execution_options(synchronize_session=False)
    )
    if decided.rowcount != 1:
        raise DomainError(Codes.WITHDRAWAL_NOT_PENDING, "this withdrawal was already decided", "id")
    accounts = await _accounts(session, row.tenant_id, row.salesperson_id)
    final = "REJECTED"
    if approve:
        provider = payouts.provider()
        result = await provider.pay(tenant_id=row.tenant_id, out_no=f"wd-{row.tenant_id}-{row.id}", salesperson_id=row.salesperson_id, amount_fen=row.amount_fen)
        final = "PAID" if result.ok else "FAILED"
        row.provider, row.provider_reference = provider.name, result.reference
    target = accounts[WITHDRAWN] if final == "PAID" else accounts[WITHDRAWABLE]
    await post(session, row.tenant_id, f"commission.withdraw.{final.lower()}", [Leg(accounts[WITHDRAWING], -row.amount_fen), Leg(target, row.amount_fen)],
               idempotency_key=f"dist:wd:{row.id}:{final}", reference=("commission_withdrawal", row.id), now=now)
    await session.execute(update(CommissionWithdrawal).where(CommissionWithdrawal.id == row.id).values(state=final)
                          .execution_options(synchronize_session=False))
    await session.refresh(row)
    return row
