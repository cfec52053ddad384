"""Salespeople: the brand's programme settings, invites, enrolment, upline, levels, status.

An upline chain is at most `program.upline_levels` long (never more than two, a CHECK on the
table): company -> salesperson -> sub-salesperson is already three tiers under the 2013 rule
on pyramid schemes, so two is a hard ceiling, one the default. It is checked when an invite
is made, when it is accepted, and on every upline change, and cycles are refused.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from commerce.models import Order
from core.clock import as_utc, utc_now
from core.errors import DomainError
from distribution.errors import DistributionErrorCode as Codes
from distribution.models import DistributionInvite, DistributionProgram, OrderAttribution, Salesperson
from events import Event, emit
from store_network.access import load_store, require_tenant
from store_network.models import NetworkNode

KINDS = ("EMPLOYEE", "DISTRIBUTOR", "LEADER")
MAX_UPLINE_LEVELS = 2
MAX_INVITE_USES = 1000
MAX_INVITE_TTL_HOURS = 24 * 30
PAID_STATUSES = ("PAID", "PICKING", "READY", "DELIVERING", "AWAITING_PICKUP", "COMPLETED")


@dataclass(frozen=True, kw_only=True)
class SalespersonLevelChanged(Event):
    """The audit trail of the level job (and of staff changes): who moved from which level to which, why."""

    type = "salesperson.level_changed"
    aggregate_type = "salesperson"

    salesperson_id: int
    from_level: int
    to_level: int
    reason: str

    @property
    def aggregate_id(self) -> int:
        return self.salesperson_id


async def program(session: AsyncSession, tenant_id: int) -> DistributionProgram:
    """The tenant's programme row, created with the defaults on first use (race-safe:
    INSERT .. ON CONFLICT DO NOTHING, then read)."""
    row = await session.get(DistributionProgram, tenant_id)
    if row is None:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        await session.execute(
            insert(DistributionProgram).values(
                tenant_id=tenant_id, settle_days=7, binding_days=30, touch="FIRST", upline_levels=1, upline1_rate_bp=0,
                upline2_rate_bp=0, first_order_reward_fen=0, first_order_days=3, min_withdrawal_fen=100,
                upgrade_orders=0, upgrade_gmv_fen=0, upgrade_window_days=30, updated_at=utc_now(),
            ).on_conflict_do_nothing(index_elements=["tenant_id"])
        )
        row = await session.get(DistributionProgram, tenant_id)
    return row


async def hq_path(session: AsyncSession, tenant_id: int) -> str:
    return await session.scalar(select(NetworkNode.path).where(NetworkNode.tenant_id == tenant_id, NetworkNode.kind == "HQ"))


async def require_hq(session: AsyncSession, principal: Principal) -> int:
    """HQ-wide distribution settings and payouts: MANAGE_DISTRIBUTION on the HQ node."""
    tenant_id = require_tenant(principal, Codes)
    if not principal.is_authenticated:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in first")
    if not principal.can(Permission.MANAGE_DISTRIBUTION, await hq_path(session, tenant_id)):
        raise DomainError(Codes.PERMISSION_DENIED, "only HQ admins manage the distribution programme")
    return tenant_id


_PROGRAM_FIELDS = {
    "settle_days": (0, 365), "binding_days": (1, 3650), "upline_levels": (0, MAX_UPLINE_LEVELS),
    "upline1_rate_bp": (0, 10000), "upline2_rate_bp": (0, 10000), "first_order_reward_fen": (0, 10_000_000),
    "first_order_days": (0, 365), "min_withdrawal_fen": (1, 100_000_000), "upgrade_orders": (0, 1_000_000),
    "upgrade_gmv_fen": (0, 10**12), "upgrade_window_days": (1, 365),
}


async def update_program(session: AsyncSession, principal: Principal, **changes) -> DistributionProgram:
    tenant_id = await require_hq(session, principal)
    row = await program(session, tenant_id)
    for name, value in changes.items():
        if value is None:
            continue
        if name == "touch":
            if value not in ("FIRST", "LAST"):
                raise DomainError(Codes.INVALID, "touch is FIRST or LAST", "touch")
        else:
            low, high = _PROGRAM_FIELDS[name]
            if type(value) is not int or not low <= value <= high:
                camel = (name.split("_")[0] + "".join(part.title() for part in name.split("_")[1:])).removesuffix("Fen")
                raise DomainError(Codes.INVALID, f"{camel} must be an integer in {low}..{high}", camel)
        setattr(row, name, value)
    if row.upline1_rate_bp + row.upline2_rate_bp > 10000:
        raise DomainError(Codes.INVALID, "upline rates together exceed 100%", "upline1RateBp")
    await session.flush()
    return row


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _chain(session: AsyncSession, salesperson_id: int | None) -> list[Salesperson]:
    """The salesperson and its uplines, nearest first (bounded: never walks more than 4 rows)."""
    out: list[Salesperson] = []
    while salesperson_id is not None and len(out) <= MAX_UPLINE_LEVELS + 1:
        row = await session.get(Salesperson, salesperson_id)
        if row is None:
            break
        out.append(row)
        salesperson_id = row.upline_id
    return out


async def _check_upline(session: AsyncSession, tenant_id: int, upline_id: int | None, below: int = 1) -> None:
    """A new link under `upline_id` with a subtree `below` levels tall keeps every chain within the limit."""
    if upline_id is None:
        return
    levels = (await program(session, tenant_id)).upline_levels
    chain = await _chain(session, upline_id)
    if not chain or chain[0].tenant_id != tenant_id:
        raise DomainError(Codes.NOT_FOUND, "upline not found", "uplineId")
    if chain[0].status != "ACTIVE":
        raise DomainError(Codes.SALESPERSON_INACTIVE, "the upline is not active", "uplineId")
    if len(chain) + below - 1 > levels:
        raise DomainError(Codes.UPLINE_TOO_DEEP, f"the brand allows at most {levels} upline level(s)", "uplineId")


async def create_invite(
    session: AsyncSession, principal: Principal, *, store_id: int | None, kind: str, uses: int, ttl_hours: int,
    now: datetime | None = None,
) -> tuple[DistributionInvite, str]:
    """Staff invite (MANAGE_DISTRIBUTION over the store: HQ, partner or store manager), or a salesperson inviting a downline (their
    own store, kind DISTRIBUTOR, upline = them). Returns the row and the one-time plain token."""
    now = now or utc_now()
    tenant_id = require_tenant(principal, Codes)
    if kind not in KINDS:
        raise DomainError(Codes.INVALID, "kind is EMPLOYEE, DISTRIBUTOR or LEADER", "kind")
    if not 1 <= uses <= MAX_INVITE_USES:
        raise DomainError(Codes.INVALID, f"uses must be 1..{MAX_INVITE_USES}", "uses")
    if not 1 <= ttl_hours <= MAX_INVITE_TTL_HOURS:
        raise DomainError(Codes.INVALID, f"ttlHours must be 1..{MAX_INVITE_TTL_HOURS}", "ttlHours")
    upline_id = None
    if principal.customer_id is not None:
        me = await salesperson_of_customer(session, tenant_id, principal.customer_id)
        if me.status != "ACTIVE":
            raise DomainError(Codes.SALESPERSON_INACTIVE, "deactivated salespeople cannot invite")
        if kind != "DISTRIBUTOR":
            raise DomainError(Codes.PERMISSION_DENIED, "salespeople invite distributors only", "kind")
        store_id, upline_id = me.store_id, me.id
        await _check_upline(session, tenant_id, upline_id)
    else:
        if store_id is None:
            raise DomainError(Codes.REQUIRED, "storeId is required", "storeId")
        await load_store(session, principal, store_id, Codes, Permission.MANAGE_DISTRIBUTION)
    token = "inv_" + secrets.token_urlsafe(24)
    row = DistributionInvite(
        tenant_id=tenant_id, token_hash=_token_hash(token), kind=kind, store_id=store_id, upline_id=upline_id,
        uses_left=uses, expires_at=now + timedelta(hours=ttl_hours), created_by_staff_id=principal.staff_id, created_at=now,
    )
    session.add(row)
    await session.flush()
    return row, token


async def accept_invite(session: AsyncSession, tenant_id: int, customer_id: int, token: str, now: datetime | None = None) -> Salesperson:
    """The signed-in customer becomes a salesperson. One use is taken by a conditional UPDATE,
    so a single-use invite accepted twice at once enrols one person."""
    now = now or utc_now()
    invite = await session.scalar(
        select(DistributionInvite).where(DistributionInvite.tenant_id == tenant_id, DistributionInvite.token_hash == _token_hash(token or ""))
    )
    if invite is None:
        raise DomainError(Codes.INVITE_INVALID, "this invite is unknown, expired or used up", "token")
    if await session.scalar(select(Salesperson.id).where(Salesperson.tenant_id == tenant_id, Salesperson.customer_id == customer_id)):
        raise DomainError(Codes.ALREADY_ENROLLED, "you are already a salesperson of this brand")
    taken = await session.execute(
        update(DistributionInvite)
        .where(DistributionInvite.id == invite.id, DistributionInvite.uses_left > 0, DistributionInvite.expires_at > now)
        .values(uses_left=DistributionInvite.uses_left - 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise DomainError(Codes.INVITE_INVALID, "this invite is unknown, expired or used up", "token")
    await _check_upline(session, tenant_id, invite.upline_id)
    row = Salesperson(
        tenant_id=tenant_id, customer_id=customer_id, kind=invite.kind, store_id=invite.store_id, upline_id=invite.upline_id,
        level=1, status="ACTIVE", invite_id=invite.id, joined_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def salesperson_of_customer(session: AsyncSession, tenant_id: int, customer_id: int | None) -> Salesperson:
    row = None
    if customer_id is not None:
        row = await session.scalar(select(Salesperson).where(Salesperson.tenant_id == tenant_id, Salesperson.customer_id == customer_id))
    if row is None:
        raise DomainError(Codes.NOT_A_SALESPERSON, "you are not a salesperson of this brand")
    return row


async def load_salesperson(session: AsyncSession, principal: Principal, salesperson_id: int, permission=Permission.MANAGE_DISTRIBUTION) -> Salesperson:
    """Staff access: the salesperson's store must be in the caller's subtree; another tenant's id is NOT_FOUND."""
    tenant_id = require_tenant(principal, Codes)
    row = await session.get(Salesperson, salesperson_id)
    if row is None or row.tenant_id != tenant_id:
        raise DomainError(Codes.NOT_FOUND, "salesperson not found", "id")
    await load_store(session, principal, row.store_id, Codes, permission, field="id")
    return row


async def set_status(session: AsyncSession, principal: Principal, salesperson_id: int, active: bool) -> Salesperson:
    """Deactivated: no new customers, no new attributed orders; accrued commission still settles
    and stays withdrawable."""
    row = await load_salesperson(session, principal, salesperson_id)
    row.status = "ACTIVE" if active else "INACTIVE"
    await session.flush()
    return row


async def set_upline(session: AsyncSession, principal: Principal, salesperson_id: int, upline_id: int | None) -> Salesperson:
    row = await load_salesperson(session, principal, salesperson_id)
    if upline_id is not None:
        chain = await _chain(session, upline_id)
        if any(link.id == row.id for link in chain):
            raise DomainError(Codes.UPLINE_CYCLE, "that upline is this salesperson or one of its downlines", "uplineId")
        await _check_upline(session, row.tenant_id, upline_id, below=1 + await _height(session, row.id))
    row.upline_id = upline_id
    await session.flush()
    return row


async def _height(session: AsyncSession, salesperson_id: int) -> int:
    """How many levels of downlines hang below (0, 1 or 2: deeper chains cannot exist)."""
    children = list(await session.scalars(select(Salesperson.id).where(Salesperson.upline_id == salesperson_id)))
    if not children:
        return 0
    grandchildren = await session.scalar(select(func.count()).select_from(Salesperson).where(Salesperson.upline_id.in_(children)))
    return 2 if grandchildren else 1


async def run_level_upgrades(session: AsyncSession, tenant_id: int, now: datetime | None = None) -> list[int]:
    """The level job: level-1 salespeople whose attributed paid orders in the window reach the
    programme's order count or GMV become level 2. Idempotent (only level 1 rows move); each
    change is audited as a salesperson.level_changed event."""
    now = now or utc_now()
    prog = await program(session, tenant_id)
    if not prog.upgrade_orders and not prog.upgrade_gmv_fen:
        return []
    since = now - timedelta(days=prog.upgrade_window_days)
    stats = (
        await session.execute(
            select(OrderAttribution.salesperson_id, func.count(Order.id), func.coalesce(func.sum(Order.total_fen), 0))
            .join(Order, Order.id == OrderAttribution.order_id)
            .join(Salesperson, Salesperson.id == OrderAttribution.salesperson_id)
            .where(
                OrderAttribution.tenant_id == tenant_id, Salesperson.level == 1, Salesperson.status == "ACTIVE",
                Order.status.in_(PAID_STATUSES), Order.paid_at >= since, Order.paid_at <= now,
            )
            .group_by(OrderAttribution.salesperson_id)
        )
    ).all()
    moved = []
    for salesperson_id, orders, gmv in stats:
        by_orders = prog.upgrade_orders and orders >= prog.upgrade_orders
        by_gmv = prog.upgrade_gmv_fen and gmv >= prog.upgrade_gmv_fen
        if not (by_orders or by_gmv):
            continue
        result = await session.execute(
            update(Salesperson).where(Salesperson.id == salesperson_id, Salesperson.level == 1).values(level=2)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            moved.append(salesperson_id)
            reason = f"{orders} orders, {gmv} fen GMV in {prog.upgrade_window_days} days"
            await emit(session, SalespersonLevelChanged(
                tenant_id=tenant_id, at=now, salesperson_id=salesperson_id, from_level=1, to_level=2, reason=reason,
            ))
    return moved


def as_aware(value: datetime) -> datetime:
    return as_utc(value)
