"""Performance figures for HQ, a partner, a store or a leader's team, and a salesperson's own
orders, customers and ledger entries (the entries behind each earnings figure)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import desc, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from commerce.models import Order
from core.errors import DomainError
from distribution.enrolment import PAID_STATUSES, hq_path
from distribution.errors import DistributionErrorCode as Codes
from distribution.models import CommissionAccrual, CustomerBinding, OrderAttribution, Salesperson
from ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from store_network.access import load_node, require_tenant
from store_network.models import NetworkNode, Store

MAX_RANKING = 100


@dataclass(frozen=True)
class Ranked:
    salesperson_id: int
    orders: int
    gmv_fen: int


@dataclass(frozen=True)
class Performance:
    orders: int
    gmv_fen: int
    salespeople_with_sales: int
    active_salespeople: int
    revenue_per_active_fen: int
    ranking: list[Ranked]


async def _team(session: AsyncSession, leader_id: int) -> list[int]:
    first = list(await session.scalars(select(Salesperson.id).where(Salesperson.upline_id == leader_id)))
    second = list(await session.scalars(select(Salesperson.id).where(Salesperson.upline_id.in_(first)))) if first else []
    return [leader_id, *first, *second]


async def performance(
    session: AsyncSession, principal: Principal, start: datetime, end: datetime, *, node_id: int | None = None,
    leader_id: int | None = None, top: int = 10,
) -> Performance:
    """Attributed, paid (not refunded or cancelled) orders with paid_at in [start, end).
    Scope: a network node (HQ by default; staff need VIEW_ORDERS there), or a leader's team
    (the leader themself, or staff over the leader's store)."""
    tenant_id = require_tenant(principal, Codes)
    if end <= start:
        raise DomainError(Codes.INVALID, "end must be after start", "end")
    if not 1 <= top <= MAX_RANKING:
        raise DomainError(Codes.INVALID, f"top must be 1..{MAX_RANKING}", "top")
    scope = [OrderAttribution.tenant_id == tenant_id, OrderAttribution.salesperson_id.is_not(None)]
    people = [Salesperson.tenant_id == tenant_id]
    if leader_id is not None:
        leader = await session.get(Salesperson, leader_id)
        if leader is None or leader.tenant_id != tenant_id:
            raise DomainError(Codes.NOT_FOUND, "salesperson not found", "leaderId")
        if principal.customer_id != leader.customer_id:
            path = await session.scalar(select(NetworkNode.path).join(Store, Store.node_id == NetworkNode.id).where(Store.id == leader.store_id))
            if not principal.can(Permission.VIEW_ORDERS, path):
                raise DomainError(Codes.PERMISSION_DENIED, "you may not see this team", "leaderId")
        team = await _team(session, leader_id)
        scope.append(OrderAttribution.salesperson_id.in_(team))
        people.append(Salesperson.id.in_(team))
    else:
        path = (await load_node(session, principal, node_id, Codes, "nodeId")).path if node_id is not None else await hq_path(session, tenant_id)
        if not principal.can(Permission.VIEW_ORDERS, path):
            raise DomainError(Codes.PERMISSION_DENIED, "you may not see this part of the network", "nodeId")
        stores = select(Store.id).join(NetworkNode, NetworkNode.id == Store.node_id).where(
            Store.tenant_id == tenant_id, NetworkNode.path.startswith(path))
        scope.append(OrderAttribution.store_id.in_(stores))
        people.append(Salesperson.store_id.in_(stores))
    paid = select(OrderAttribution.salesperson_id, func.count(Order.id).label("n"), func.coalesce(func.sum(Order.total_fen), 0).label("gmv")) \
        .join(Order, Order.id == OrderAttribution.order_id) \
        .where(*scope, Order.status.in_(PAID_STATUSES), Order.paid_at >= start, Order.paid_at < end) \
        .group_by(OrderAttribution.salesperson_id)
    rows = (await session.execute(paid)).all()
    orders, gmv = sum(r.n for r in rows), sum(int(r.gmv) for r in rows)
    active = await session.scalar(select(func.count()).select_from(Salesperson).where(*people, Salesperson.status == "ACTIVE")) or 0
    ranking = sorted((Ranked(r.salesperson_id, r.n, int(r.gmv)) for r in rows), key=lambda r: (-r.gmv_fen, -r.orders, r.salesperson_id))[:top]
    return Performance(orders, gmv, len(rows), active, gmv // active if active else 0, ranking)


async def my_orders(session: AsyncSession, seller: Salesperson, limit: int) -> list[tuple[Order, int]]:
    """The seller's attributed orders, newest first, with the commission each earned them (net of reversals)."""
    earned = select(CommissionAccrual.order_id, func.sum(CommissionAccrual.amount_fen - CommissionAccrual.reversed_fen).label("fen")) \
        .where(CommissionAccrual.salesperson_id == seller.id).group_by(CommissionAccrual.order_id).subquery()
    rows = await session.execute(
        select(Order, func.coalesce(earned.c.fen, 0))
        .join(OrderAttribution, OrderAttribution.order_id == Order.id)
        .outerjoin(earned, earned.c.order_id == Order.id)
        .where(OrderAttribution.salesperson_id == seller.id)
        .order_by(desc(Order.id)).limit(limit)
    )
    return [(order, int(fen)) for order, fen in rows.all()]


async def my_customers(session: AsyncSession, seller: Salesperson, limit: int) -> list[CustomerBinding]:
    return list(await session.scalars(
        select(CustomerBinding).where(CustomerBinding.salesperson_id == seller.id).order_by(desc(CustomerBinding.bound_at)).limit(limit)
    ))


@dataclass(frozen=True)
class Entry:
    id: int
    account_kind: str  # commission.pending, commission.withdrawable, ...
    amount_fen: int
    balance_after_fen: int
    transaction_kind: str
    reference_type: str | None
    reference_id: int | None
    at: datetime


async def my_entries(session: AsyncSession, seller: Salesperson, limit: int, kind: str | None = None) -> list[Entry]:
    query = (
        select(LedgerEntry, LedgerAccount.kind, LedgerTransaction)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerAccount.tenant_id == seller.tenant_id, LedgerAccount.owner_type == "salesperson", LedgerAccount.owner_id == seller.id)
        .order_by(desc(LedgerEntry.id)).limit(limit)
    )
    if kind is not None:
        query = query.where(or_(LedgerAccount.kind == kind))
    return [
        Entry(e.id, k, e.amount_fen, e.balance_after_fen, tx.kind, tx.reference_type, tx.reference_id, e.created_at)
        for e, k, tx in (await session.execute(query)).all()
    ]
