"""HQ access and reports: members, active members, top-ups, stored value outstanding, and
per store the top-ups taken there and the stored value spent there; histories for a member."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from core.errors import DomainError
from ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from membership.errors import MembershipErrorCode
from membership.models import Member, StoredValueCharge, TopUp
from store_network.models import NetworkNode

MAX_HISTORY = 100


async def require_hq(session: AsyncSession, principal: Principal) -> int:
    """The tenant id, if the principal may manage the brand's membership (prices at HQ)."""
    if principal.tenant_id is None or not principal.is_authenticated:
        raise DomainError(MembershipErrorCode.UNAUTHENTICATED, "sign in first", None)
    path = await session.scalar(select(NetworkNode.path).where(NetworkNode.tenant_id == principal.tenant_id, NetworkNode.kind == "HQ"))
    if path is None or not principal.can(Permission.MANAGE_PRICES, path):
        raise DomainError(MembershipErrorCode.PERMISSION_DENIED, "HQ manages the membership", None)
    return principal.tenant_id


async def member_in_tenant(session: AsyncSession, tenant_id: int, member_id: int) -> Member:
    member = await session.get(Member, member_id)
    if member is None or member.tenant_id != tenant_id:
        raise DomainError(MembershipErrorCode.NOT_FOUND, "member not found", "memberId")
    return member


@dataclass(frozen=True)
class StoreFigures:
    store_id: int
    top_ups_fen: int
    spent_fen: int


@dataclass(frozen=True)
class Report:
    members: int
    active_members: int
    top_ups_fen: int
    top_up_count: int
    outstanding_fen: int
    by_store: list[StoreFigures]


async def report(session: AsyncSession, tenant_id: int, since: datetime, now: datetime) -> Report:
    members = await session.scalar(select(func.count()).select_from(Member).where(Member.tenant_id == tenant_id))
    active = await session.scalar(
        select(func.count()).select_from(Member).where(Member.tenant_id == tenant_id, Member.last_active_at >= since)
    )
    top_ups = (await session.execute(
        select(func.coalesce(func.sum(TopUp.pay_fen), 0), func.count())
        .where(TopUp.tenant_id == tenant_id, TopUp.status == "SUCCEEDED", TopUp.paid_at >= since)
    )).one()
    outstanding = await session.scalar(
        select(func.coalesce(func.sum(LedgerAccount.balance_fen), 0))
        .where(LedgerAccount.tenant_id == tenant_id, LedgerAccount.kind.in_(("sv.principal", "sv.bonus")))
    )
    by_store: dict[int, list[int]] = {}
    for store_id, fen in (await session.execute(
        select(TopUp.store_id, func.sum(TopUp.pay_fen)).where(TopUp.tenant_id == tenant_id, TopUp.status == "SUCCEEDED",
                                                             TopUp.store_id.is_not(None)).group_by(TopUp.store_id)
    )).all():
        by_store.setdefault(store_id, [0, 0])[0] = int(fen)
    for store_id, fen in (await session.execute(
        select(StoredValueCharge.store_id,
               func.sum(StoredValueCharge.amount_fen - StoredValueCharge.refunded_principal_fen - StoredValueCharge.refunded_bonus_fen))
        .where(StoredValueCharge.tenant_id == tenant_id).group_by(StoredValueCharge.store_id)
    )).all():
        by_store.setdefault(store_id, [0, 0])[1] = int(fen)
    return Report(
        int(members), int(active), int(top_ups[0]), int(top_ups[1]), int(outstanding),
        [StoreFigures(s, t, p) for s, (t, p) in sorted(by_store.items())],
    )


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    kind: str
    amount: int  # fen or points; positive in, negative out
    memo: str


async def history(session: AsyncSession, tenant_id: int, member_id: int, kinds: tuple[str, ...], first: int) -> list[HistoryLine]:
    """The member's latest ledger entries on these account kinds (both stored-value parts are
    netted per transaction), newest first."""
    first = max(1, min(first, MAX_HISTORY))
    rows = (await session.execute(
        select(LedgerTransaction.created_at, LedgerTransaction.kind, func.sum(LedgerEntry.amount_fen), LedgerTransaction.memo)
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerAccount.tenant_id == tenant_id, LedgerAccount.owner_type == "member", LedgerAccount.owner_id == member_id,
               LedgerAccount.kind.in_(kinds))
        .group_by(LedgerTransaction.id, LedgerTransaction.created_at, LedgerTransaction.kind, LedgerTransaction.memo)
        .order_by(LedgerTransaction.id.desc()).limit(first)
    )).all()
    return [HistoryLine(at, kind, int(amount), memo) for at, kind, amount, memo in rows]


def window_start(now: datetime, days: int) -> datetime:
    return now - timedelta(days=max(1, min(days, 3660)))
