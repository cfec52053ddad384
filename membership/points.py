"""Points: earned by spend under rules (category / store multipliers, campaign windows, the
level's multiplier) when an order completes, redeemed as money off within the brand's limit,
expiring in lots first in first out, reversed on refund.

Two records agree at all times: the member's `points.balance` ledger account (currency PTS:
its balance is the sum of its entries, ledger.checks.verify) and the member's lots (the sum
of `remaining`). Every change moves both in one transaction; lots only move by conditional
UPDATE (`remaining >= take`), so concurrent redemptions never take a point twice.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError
from ledger import InsufficientFunds, Leg, balance, post
from membership import accounts
from membership.errors import MembershipErrorCode
from membership.members import level_of, member_of, program
from membership.models import Member, PointsAward, PointsLot, PointsRule

_NO_SYNC = {"synchronize_session": False}
MAX_POINTS = 10**10
Actor = tuple[str, int | None]


async def points_balance(session: AsyncSession, member: Member) -> int:
    return await balance(session, await accounts.points(session, member.tenant_id, member.id))


async def lots_total(session: AsyncSession, member_id: int) -> int:
    return int(await session.scalar(select(func.coalesce(func.sum(PointsLot.remaining), 0)).where(PointsLot.member_id == member_id)))


async def _award(session: AsyncSession, tenant_id: int, reference: str, kind: str) -> PointsAward | None:
    return await session.scalar(
        select(PointsAward).where(PointsAward.tenant_id == tenant_id, PointsAward.reference == reference, PointsAward.kind == kind)
    )


def _same_sale(existing: PointsAward, member: Member, store_id: int | None) -> bool:
    """A replayed reference is the same sale only for the same member at the same store (a
    counter key reused at another till is another sale: refused, not answered with the first)."""
    return existing.member_id == member.id and (existing.store_id is None or existing.store_id == store_id)


async def credit(
    session: AsyncSession, member: Member, amount: int, *, source: str, reference: str, now: datetime,
    actor: Actor = ("system", None), order_id: int | None = None, fen: int = 0, expires_at: datetime | None = None,
    store_id: int | None = None,
) -> PointsAward | None:
    """Credit points in a new lot, once per reference (EARN). None if nothing to credit."""
    if amount <= 0:
        return None
    if amount > MAX_POINTS:
        raise DomainError(MembershipErrorCode.AMOUNT_OUT_OF_RANGE, "too many points", "points")
    existing = await _award(session, member.tenant_id, reference, "EARN")
    if existing is not None:
        if not _same_sale(existing, member, store_id):
            raise DomainError(MembershipErrorCode.IDEMPOTENCY_CONFLICT, "this key was used for another sale", "idempotencyKey")
        return existing
    prog = await program(session, member.tenant_id)
    session.add(PointsLot(
        tenant_id=member.tenant_id, member_id=member.id, points=amount, remaining=amount,
        expires_at=expires_at or now + timedelta(days=prog.points_expiry_days), source=source[:64], created_at=now,
    ))
    award = PointsAward(tenant_id=member.tenant_id, member_id=member.id, reference=reference, order_id=order_id, kind="EARN",
                        points=amount, fen=fen, reversed_points=0, store_id=store_id, created_at=now)
    session.add(award)
    await session.flush()
    issued = await accounts.brand(session, member.tenant_id, "points.issued", accounts.POINTS)
    await post(session, member.tenant_id, "points.earn",
               [Leg(issued, -amount), Leg(await accounts.points(session, member.tenant_id, member.id), amount)],
               idempotency_key=f"points.earn:{reference}", reference=("points_award", award.id), memo=source, actor=actor, now=now)
    member.last_active_at = now
    return award


async def _consume(session: AsyncSession, member: Member, amount: int, now: datetime) -> list[list[int]]:
    """Take `amount` points from the member's unexpired lots, earliest expiry first; [[lot, taken], ...].
    Raises INSUFFICIENT_POINTS (the caller's transaction must roll back what was taken)."""
    taken: list[list[int]] = []
    left = amount
    while left > 0:
        lot = (await session.execute(
            select(PointsLot.id, PointsLot.remaining)
            .where(PointsLot.member_id == member.id, PointsLot.remaining > 0, PointsLot.expires_at > now)
            .order_by(PointsLot.expires_at, PointsLot.id).limit(1)
        )).first()
        if lot is None:
            raise DomainError(MembershipErrorCode.INSUFFICIENT_POINTS, "not enough points", "points")
        take = min(left, lot.remaining)
        moved = await session.execute(
            update(PointsLot).where(PointsLot.id == lot.id, PointsLot.remaining >= take)
            .values(remaining=PointsLot.remaining - take), execution_options=_NO_SYNC,
        )
        if moved.rowcount != 1:
            continue  # another redemption took from this lot meanwhile: look again
        taken.append([lot.id, take])
        left -= take
    return taken


async def debit(
    session: AsyncSession, member: Member, amount: int, *, kind: str, to_account: str, reference: str,
    now: datetime, actor: Actor = ("system", None), memo: str = "",
) -> list[list[int]]:
    """Take points FIFO from lots and post balance -> `to_account` (brand, PTS)."""
    lots = await _consume(session, member, amount, now)
    target = await accounts.brand(session, member.tenant_id, to_account, accounts.POINTS)
    try:
        await post(session, member.tenant_id, kind,
                   [Leg(await accounts.points(session, member.tenant_id, member.id), -amount), Leg(target, amount)],
                   idempotency_key=f"{kind}:{reference}", memo=memo or kind, actor=actor, now=now)
    except InsufficientFunds:
        raise DomainError(MembershipErrorCode.INSUFFICIENT_POINTS, "not enough points", "points") from None
    return lots


async def redeem(
    session: AsyncSession, member: Member, amount: int, *, reference: str, cap_fen: int, now: datetime,
    actor: Actor = ("system", None), order_id: int | None = None, store_id: int | None = None,
) -> PointsAward:
    """Spend points as money off (points x point value), at most `cap_fen`; once per reference."""
    existing = await _award(session, member.tenant_id, reference, "REDEEM")
    if existing is not None:
        if existing.points != amount or not _same_sale(existing, member, store_id):
            raise DomainError(MembershipErrorCode.IDEMPOTENCY_CONFLICT, "points were already redeemed here", "points")
        return existing
    if not (0 < amount <= MAX_POINTS):
        raise DomainError(MembershipErrorCode.AMOUNT_OUT_OF_RANGE, "points must be positive", "points")
    prog = await program(session, member.tenant_id)
    fen = amount * prog.point_value_fen
    if fen > cap_fen:
        raise DomainError(MembershipErrorCode.REDEEM_LIMIT_EXCEEDED,
                          f"at most {cap_fen // prog.point_value_fen} points can be redeemed here", "points")
    async with session.begin_nested():
        lots = await debit(session, member, amount, kind="points.redeem", to_account="points.redeemed", reference=reference,
                           now=now, actor=actor)
        award = PointsAward(tenant_id=member.tenant_id, member_id=member.id, reference=reference, order_id=order_id, kind="REDEEM",
                            points=amount, fen=fen, reversed_points=0, lots=lots, store_id=store_id, created_at=now)
        session.add(award)
        await session.flush()
    member.last_active_at = now
    return award


async def restore_redeemed(
    session: AsyncSession, tenant_id: int, reference: str, refunded: tuple[int, int] | None = None, *, now: datetime,
) -> int:
    """Give back the points a refunded or cancelled order redeemed, into the lots they came
    from (a lot that expired meanwhile is expired again by the next expiry run): all of them
    (`refunded` None) or pro rata (refunded_fen, paid_fen), cumulatively, like reverse_earned:
    after K of N fen refunded floor(points x K / N) are back, all of them at K = N. A repeat
    with the same or a smaller refunded amount restores nothing (compare-and-set on
    reversed_points). Returns points restored now."""
    award = await _award(session, tenant_id, reference, "REDEEM")
    if award is None:
        return 0
    before = award.reversed_points
    target = award.points if refunded is None else min(award.points, award.points * max(refunded[0], 0) // max(refunded[1], 1))
    if target <= before:
        return 0
    moved = await session.execute(
        update(PointsAward).where(PointsAward.id == award.id, PointsAward.reversed_points == before)
        .values(reversed_points=target), execution_options=_NO_SYNC,
    )
    if moved.rowcount != 1:
        return 0
    position = 0  # the lots in the order they were taken; points (before, target] of that sequence go back
    for lot_id, taken in award.lots or []:
        back = min(target - position, taken) - max(before - position, 0)
        if back > 0:
            await session.execute(update(PointsLot).where(PointsLot.id == lot_id).values(remaining=PointsLot.remaining + back),
                                  execution_options=_NO_SYNC)
        position += taken
    amount = target - before
    key = f"points.restore:{reference}" if before == 0 and target == award.points else f"points.restore:{reference}:{target}"
    redeemed = await accounts.brand(session, tenant_id, "points.redeemed", accounts.POINTS)
    await post(session, tenant_id, "points.restore",
               [Leg(redeemed, -amount), Leg(await accounts.points(session, tenant_id, award.member_id), amount)],
               idempotency_key=key, memo="redeemed points restored", now=now)
    await session.refresh(award)
    return amount


async def reverse_earned(
    session: AsyncSession, tenant_id: int, reference: str, refunded: tuple[int, int] | None, *, now: datetime,
) -> int:
    """Take back points earned on a refunded sale: all of them (`refunded` None) or pro rata
    (refunded_fen, sale_fen), cumulatively. If the member has spent them, what is left is
    taken (never below zero); the shortfall is not recovered. Returns points taken now."""
    award = await _award(session, tenant_id, reference, "EARN")
    if award is None:
        return 0
    target = award.points if refunded is None else min(award.points, award.points * refunded[0] // max(refunded[1], 1))
    want = target - award.reversed_points
    if want <= 0:
        return 0
    member = await session.get(Member, award.member_id)
    take = min(want, await points_balance(session, member), await _unexpired_total(session, member.id, now))
    moved = await session.execute(
        update(PointsAward).where(PointsAward.id == award.id, PointsAward.reversed_points == award.reversed_points)
        .values(reversed_points=target), execution_options=_NO_SYNC,
    )
    if moved.rowcount != 1 or take <= 0:
        return 0
    await debit(session, member, take, kind="points.reverse", to_account="points.issued",
                reference=f"{reference}:{target}", now=now, memo="points of a refunded sale")
    await session.refresh(award)
    return take


async def _unexpired_total(session: AsyncSession, member_id: int, now: datetime) -> int:
    return int(await session.scalar(
        select(func.coalesce(func.sum(PointsLot.remaining), 0)).where(PointsLot.member_id == member_id, PointsLot.expires_at > now)
    ))


async def expire(session: AsyncSession, tenant_id: int, now: datetime, limit: int = 1000) -> int:
    """The expiry job: every lot past its date gives up its remaining points. Returns points expired."""
    total = 0
    lots = (await session.execute(
        select(PointsLot.id, PointsLot.member_id, PointsLot.remaining)
        .where(PointsLot.tenant_id == tenant_id, PointsLot.remaining > 0, PointsLot.expires_at <= now)
        .order_by(PointsLot.id).limit(limit)
    )).all()
    expired_acct = await accounts.brand(session, tenant_id, "points.expired", accounts.POINTS)
    for lot in lots:
        moved = await session.execute(
            update(PointsLot).where(PointsLot.id == lot.id, PointsLot.remaining == lot.remaining).values(remaining=0),
            execution_options=_NO_SYNC,
        )
        if moved.rowcount != 1:
            continue  # redeemed or restored meanwhile: the next run sees the new remaining
        await post(session, tenant_id, "points.expire",
                   [Leg(await accounts.points(session, tenant_id, lot.member_id), -lot.remaining), Leg(expired_acct, lot.remaining)],
                   idempotency_key=f"points.expire:{lot.id}:{now.isoformat()}", reference=("points_lot", lot.id),
                   memo="expired", now=now)
        total += lot.remaining
    return total


async def adjust(session: AsyncSession, member: Member, delta: int, *, reason: str, idempotency_key: str, actor: Actor, now: datetime) -> None:
    """A staff correction with a reason: + credits a new lot, - takes FIFO."""
    if not reason.strip():
        raise DomainError(MembershipErrorCode.REQUIRED, "an adjustment needs a reason", "reason")
    if delta == 0 or abs(delta) > MAX_POINTS:
        raise DomainError(MembershipErrorCode.AMOUNT_OUT_OF_RANGE, "points must be non-zero", "points")
    reference = f"adjust:{idempotency_key}"
    if delta > 0:
        await credit(session, member, delta, source=f"adjustment: {reason}"[:64], reference=reference, now=now, actor=actor)
    else:
        async with session.begin_nested():
            await debit(session, member, -delta, kind="points.adjust", to_account="points.issued", reference=reference,
                        now=now, actor=actor, memo=reason)


# ---- earning rules ----

async def rule_multipliers(session: AsyncSession, tenant_id: int, store_id: int, now: datetime) -> list[PointsRule]:
    return list(await session.scalars(
        select(PointsRule).where(
            PointsRule.tenant_id == tenant_id, PointsRule.active.is_(True),
            (PointsRule.store_id.is_(None)) | (PointsRule.store_id == store_id),
            (PointsRule.starts_at.is_(None)) | (PointsRule.starts_at <= now),
            (PointsRule.ends_at.is_(None)) | (PointsRule.ends_at > now),
        )
    ))


def points_for(fen: int, points_per_yuan: int, rule_pct: int, level_pct: int) -> int:
    """floor(fen / 100 x rate x rule% x level%), integers only."""
    return fen * points_per_yuan * rule_pct * level_pct // (100 * 100 * 100)


async def points_for_lines(
    session: AsyncSession, member: Member, store_id: int, lines: list[tuple[int | None, int]], now: datetime,
) -> int:
    """Points for (category_id, fen) lines bought at a store: each line takes the highest rule
    multiplier matching its category and the store (100% if none), times the level's."""
    prog = await program(session, member.tenant_id)
    level = await level_of(session, member)
    level_pct = level.points_multiplier_pct if level is not None else 100
    rules = await rule_multipliers(session, member.tenant_id, store_id, now)
    total = 0
    for category_id, fen in lines:
        pct = max([r.multiplier_pct for r in rules if r.category_id is None or r.category_id == category_id], default=100)
        total += points_for(fen, prog.points_per_yuan, pct, level_pct)
    return total


async def earn_for_order(session: AsyncSession, tenant_id: int, order_id: int, *, now: datetime) -> PointsAward | None:
    """On completion: points on what the goods cost after points money off (shared pro rata)."""
    from commerce.models import Order, OrderLine, Product, Sku  # local: commerce imports membership.pricing

    order = await session.get(Order, order_id)
    member = await member_of(session, tenant_id, order.customer_id)
    if member is None:
        return None
    rows = (await session.execute(
        select(Product.category_id, OrderLine.line_total_fen)
        .join(Sku, Sku.id == OrderLine.sku_id).join(Product, Product.id == Sku.product_id)
        .where(OrderLine.order_id == order.id)
    )).all()
    subtotal = sum(fen for _, fen in rows)
    redeemed = await _award(session, tenant_id, f"order:{order.id}", "REDEEM")
    off = redeemed.fen if redeemed is not None and redeemed.reversed_points < redeemed.points else 0  # not all given back
    lines = [(category, fen - (fen * off // subtotal if subtotal else 0)) for category, fen in rows]
    amount = await points_for_lines(session, member, order.store_id, lines, now)
    return await credit(session, member, amount, source="order", reference=f"order:{order.id}", now=now,
                        order_id=order.id, fen=subtotal - off)


async def redeem_for_order(session: AsyncSession, principal, order_id: int, amount: int, now: datetime):
    """Money off an UNPAID order for points, before it is paid: at most the brand's percent of
    the subtotal. Refused while a provider payment for the order is pending (it was started
    for the old total). The order's total drops by compare-and-set."""
    from auth.roles import Permission
    from commerce.models import Order
    from commerce.orders import load_order_for
    from payments.models import Payment

    order = await load_order_for(session, principal, order_id, Permission.MANAGE_ORDERS)
    if order.status != "UNPAID":
        raise DomainError(MembershipErrorCode.ORDER_NOT_PAYABLE, f"the order is {order.status}", "orderId")
    member = await member_of(session, order.tenant_id, order.customer_id)
    if member is None:
        raise DomainError(MembershipErrorCode.NOT_A_MEMBER, "join the membership first", None)
    from membership.models import StoredValueCharge

    if await session.scalar(select(StoredValueCharge.id).where(StoredValueCharge.order_id == order.id)):
        raise DomainError(MembershipErrorCode.ORDER_NOT_PAYABLE, "redeem points before paying with stored value", "orderId")
    if await session.scalar(select(Payment.id).where(Payment.order_id == order.id, Payment.status == "PENDING")):
        raise DomainError(MembershipErrorCode.ORDER_NOT_PAYABLE, "a payment of this order is under way", "orderId")
    prog = await program(session, order.tenant_id)
    cap = min(order.subtotal_fen * prog.redeem_max_percent // 100, order.total_fen)
    reference = f"order:{order.id}"
    before = await _award(session, order.tenant_id, reference, "REDEEM")
    award = await redeem(session, member, amount, reference=reference, cap_fen=cap, now=now, order_id=order.id,
                         actor=("customer", principal.customer_id) if principal.customer_id else ("staff", principal.staff_id))
    if before is None:
        moved = await session.execute(
            update(Order).where(Order.id == order.id, Order.status == "UNPAID", Order.total_fen == order.total_fen)
            .values(total_fen=Order.total_fen - award.fen, updated_at=now), execution_options=_NO_SYNC,
        )
        if moved.rowcount != 1:
            raise DomainError(MembershipErrorCode.ORDER_NOT_PAYABLE, "the order changed meanwhile; reload it", "orderId")
    await session.refresh(order)
    return order, award
