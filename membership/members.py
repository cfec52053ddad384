"""Members: the brand's programme, joining (explicitly, on the first order, at the counter or
by import), levels and their evaluation job (every change audited in member_level_change)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError
from membership.errors import MembershipErrorCode
from membership.models import Member, MemberLevel, MemberLevelChange, MembershipProgram, PointsAward

_PROGRAM_FIELDS = (
    "auto_join", "level_basis", "level_window_days", "spend_order", "points_per_yuan",
    "point_value_fen", "redeem_max_percent", "points_expiry_days",
)
_DEFAULTS = {
    "auto_join": False, "level_basis": "SPEND", "level_window_days": 365, "spend_order": "PROPORTIONAL",
    "points_per_yuan": 1, "point_value_fen": 1, "redeem_max_percent": 50, "points_expiry_days": 365,
}
_LIMITS = {
    "level_window_days": (1, 3660), "points_per_yuan": (0, 10000), "point_value_fen": (1, 10000),
    "redeem_max_percent": (0, 100), "points_expiry_days": (1, 3660),
}


@dataclass(frozen=True)
class Program:
    auto_join: bool
    level_basis: str
    level_window_days: int
    spend_order: str
    points_per_yuan: int
    point_value_fen: int
    redeem_max_percent: int
    points_expiry_days: int


async def program(session: AsyncSession, tenant_id: int) -> Program:
    row = await session.get(MembershipProgram, tenant_id)
    if row is None:
        return Program(**_DEFAULTS)
    return Program(**{name: getattr(row, name) for name in _PROGRAM_FIELDS})


async def set_program(session: AsyncSession, tenant_id: int, now: datetime, **changes) -> Program:
    """Change the brand's programme settings (HQ only: the caller checks)."""
    for name, value in changes.items():
        if name not in _PROGRAM_FIELDS:
            raise DomainError(MembershipErrorCode.INVALID, f"unknown setting {name}", name)
        low_high = _LIMITS.get(name)
        if low_high and not (isinstance(value, int) and low_high[0] <= value <= low_high[1]):
            raise DomainError(MembershipErrorCode.INVALID, f"{name} must be {low_high[0]}..{low_high[1]}", name)
    if "spend_order" in changes and changes["spend_order"] not in ("PROPORTIONAL", "PRINCIPAL_FIRST", "BONUS_FIRST"):
        raise DomainError(MembershipErrorCode.INVALID, "unknown spending order", "spendOrder")
    if "level_basis" in changes and changes["level_basis"] not in ("SPEND", "POINTS"):
        raise DomainError(MembershipErrorCode.INVALID, "unknown level basis", "levelBasis")
    row = await session.get(MembershipProgram, tenant_id)
    if row is None:
        row = MembershipProgram(tenant_id=tenant_id, **_DEFAULTS)
        session.add(row)
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = now
    await session.flush()
    return await program(session, tenant_id)


async def member_of(session: AsyncSession, tenant_id: int, customer_id: int) -> Member | None:
    return await session.scalar(select(Member).where(Member.tenant_id == tenant_id, Member.customer_id == customer_id))


async def require_member(session: AsyncSession, tenant_id: int, customer_id: int) -> Member:
    member = await member_of(session, tenant_id, customer_id)
    if member is None:
        raise DomainError(MembershipErrorCode.NOT_A_MEMBER, "join the membership first", None)
    return member


async def join(session: AsyncSession, tenant_id: int, customer_id: int, via: str, now: datetime) -> Member:
    """The customer's membership, created if absent (race-safe; joining twice is harmless).
    A new member starts at the lowest level whose threshold is 0, if the brand has one."""
    existing = await member_of(session, tenant_id, customer_id)
    if existing is not None:
        return existing
    entry = await session.scalar(
        select(MemberLevel.id).where(MemberLevel.tenant_id == tenant_id, MemberLevel.threshold <= 0)
        .order_by(MemberLevel.rank.desc()).limit(1)
    )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(Member)
        .values(tenant_id=tenant_id, customer_id=customer_id, level_id=entry, joined_via=via, joined_at=now)
        .on_conflict_do_nothing(index_elements=["tenant_id", "customer_id"])
    )
    return await member_of(session, tenant_id, customer_id)


async def add_level(
    session: AsyncSession, tenant_id: int, *, code: str, name: str, rank: int, threshold: int,
    discount_percent: int = 100, free_delivery_min_fen: int | None = None, points_multiplier_pct: int = 100,
) -> MemberLevel:
    if not (1 <= discount_percent <= 100):
        raise DomainError(MembershipErrorCode.INVALID, "discount percent must be 1..100", "discountPercent")
    if threshold < 0 or not (0 <= points_multiplier_pct <= 10000) or (free_delivery_min_fen is not None and free_delivery_min_fen < 0):
        raise DomainError(MembershipErrorCode.INVALID, "threshold, multiplier and free-delivery minimum must not be negative", None)
    if not code or len(code) > 32 or not name or len(name) > 100:
        raise DomainError(MembershipErrorCode.INVALID, "code (1..32) and name (1..100) are required", "code")
    clash = await session.scalar(
        select(MemberLevel.id).where(MemberLevel.tenant_id == tenant_id, (MemberLevel.code == code) | (MemberLevel.rank == rank))
    )
    if clash is not None:
        raise DomainError(MembershipErrorCode.INVALID, "a level with this code or rank exists", "code")
    level = MemberLevel(
        tenant_id=tenant_id, code=code, name=name, rank=rank, threshold=threshold, discount_percent=discount_percent,
        free_delivery_min_fen=free_delivery_min_fen, points_multiplier_pct=points_multiplier_pct,
    )
    session.add(level)
    await session.flush()
    return level


async def level_of(session: AsyncSession, member: Member) -> MemberLevel | None:
    return None if member.level_id is None else await session.get(MemberLevel, member.level_id)


async def set_level(
    session: AsyncSession, member: Member, level_id: int | None, *, reason: str, basis_value: int = 0,
    actor: tuple[str, int | None] = ("system", None), now: datetime,
) -> bool:
    """Move the member to a level, with an audit row; False if it was already there."""
    if member.level_id == level_id:
        return False
    session.add(MemberLevelChange(
        tenant_id=member.tenant_id, member_id=member.id, from_level_id=member.level_id, to_level_id=level_id,
        basis_value=basis_value, reason=reason[:200], actor_type=actor[0], actor_id=actor[1], created_at=now,
    ))
    member.level_id = level_id
    await session.flush()
    return True


async def basis_values(session: AsyncSession, tenant_id: int, prog: Program, now: datetime) -> dict[int, int]:
    """Per member id: fen spent on completed orders, or points earned (net of reversals), in the window."""
    since = now - timedelta(days=prog.level_window_days)
    if prog.level_basis == "POINTS":
        rows = await session.execute(
            select(PointsAward.member_id, func.sum(PointsAward.points - PointsAward.reversed_points))
            .where(PointsAward.tenant_id == tenant_id, PointsAward.kind == "EARN", PointsAward.created_at >= since)
            .group_by(PointsAward.member_id)
        )
    else:
        from commerce.models import Order  # local: only the job reads orders

        rows = await session.execute(
            select(Member.id, func.sum(Order.total_fen))
            .join(Order, (Order.customer_id == Member.customer_id) & (Order.tenant_id == Member.tenant_id))
            .where(Member.tenant_id == tenant_id, Order.status == "COMPLETED", Order.created_at >= since)
            .group_by(Member.id)
        )
    return {member_id: int(total or 0) for member_id, total in rows.all()}


async def evaluate_levels(session: AsyncSession, tenant_id: int, now: datetime) -> int:
    """The level job: every member gets the highest level whose threshold their window value
    reaches (members up and down); returns how many changed. Run nightly per brand."""
    prog = await program(session, tenant_id)
    levels = list(await session.scalars(select(MemberLevel).where(MemberLevel.tenant_id == tenant_id).order_by(MemberLevel.rank.desc())))
    if not levels:
        return 0
    values = await basis_values(session, tenant_id, prog, now)
    changed = 0
    for member in await session.scalars(select(Member).where(Member.tenant_id == tenant_id).order_by(Member.id)):
        value = values.get(member.id, 0)
        target = next((level.id for level in levels if level.threshold <= value), None)
        if await set_level(session, member, target, reason=f"evaluation ({prog.level_basis.lower()} over {prog.level_window_days} days)",
                           basis_value=value, now=now):
            changed += 1
    return changed
