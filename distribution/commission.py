"""Commission: the rule per line, accrual on payment, the settle date on completion, the
settlement job, and reversal on refund, all on the shared ledger (ledger/) in integer fen.

Accounts per salesperson (owner "salesperson"):
  commission.pending      accrued, not yet settled            (never negative)
  commission.withdrawable settled, can be withdrawn            (never negative)
  commission.debt         claw-backs after settlement, <= 0    (may go negative)
  commission.withdrawing  held by a withdrawal under review    (never negative)
  commission.withdrawn    paid out, cumulative                 (never negative)
and one brand account `commission.expense` (owner "brand", may go negative) on the other
side of every accrual and reversal. A salesperson's net withdrawable figure is
withdrawable + debt: it may be negative after a late refund and is offset by the next
settlement (`_net_debt`), as the issue asks, without ever letting the guarded withdrawable
account itself go below zero, so a withdrawal can never take money that is owed back.

Every posting carries an idempotency key derived from the accrual and the cumulative target,
and every accrual state change is a conditional UPDATE, so the settlement job and refund
listener are safe to run twice or at the same time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from commerce.models import Order, OrderLine, Product, Sku
from core.clock import as_utc, utc_now
from distribution.enrolment import program
from distribution.models import CommissionAccrual, CommissionRule, OrderAttribution, Salesperson
from ledger import InsufficientFunds, Leg, account, balance, post
from ledger.models import LedgerAccount

PENDING, WITHDRAWABLE, DEBT, WITHDRAWING, WITHDRAWN = (
    "commission.pending", "commission.withdrawable", "commission.debt", "commission.withdrawing", "commission.withdrawn",
)
EXPENSE = "commission.expense"
SP = "salesperson"


def line_paid_fen(line) -> int:
    """What the customer actually paid for a line: the one place that decides it. Uses a
    discounted line amount when the order line carries one (promotions), else the line total."""
    for name in ("discounted_total_fen", "paid_total_fen", "net_total_fen"):
        value = getattr(line, name, None)
        if value is not None:
            return int(value)
    return int(line.line_total_fen)


@dataclass(frozen=True)
class LineFacts:
    product_id: int
    category_id: int
    paid_fen: int
    quantity: int
    price_per_quantity: int


@dataclass(frozen=True)
class Rule:
    mode: str  # RATE | SUPPLY
    rate_bp: int = 0
    supply_price_fen: int = 0


def pick_rule(rules: list[CommissionRule], line: LineFacts, level: int) -> Rule | None:
    """Most specific wins: product before category before the catch-all; a rule for the
    salesperson's level before one for every level."""
    best, best_rank = None, None
    for r in rules:
        if r.product_id is not None and r.product_id != line.product_id:
            continue
        if r.product_id is None and r.category_id is not None and r.category_id != line.category_id:
            continue
        if r.level is not None and r.level != level:
            continue
        rank = (0 if r.product_id is not None else 1 if r.category_id is not None else 2, 0 if r.level is not None else 1)
        if best_rank is None or rank < best_rank:
            best, best_rank = r, rank
    return Rule(best.mode, best.rate_bp, best.supply_price_fen) if best is not None else None


def split_line(line: LineFacts, rule: Rule | None, upline_bps: list[int]) -> list[int]:
    """Fen for [seller, upline1, upline2...] on one line. RATE: rate of the paid amount each.
    SUPPLY: the margin (paid - supply x quantity, never below 0) is the whole pot: the uplines'
    rates are taken out of it, so the commissions never exceed the margin."""
    paid = max(0, line.paid_fen)
    ups = [paid * bp // 10000 for bp in upline_bps]
    if rule is None:
        return [0] + ups
    if rule.mode == "SUPPLY":
        supply = -(-rule.supply_price_fen * line.quantity // max(1, line.price_per_quantity))  # ceil: never over-pay
        pot = max(0, paid - supply)
        capped = []
        for amount in ups:
            take = min(amount, pot - sum(capped))
            capped.append(take)
        return [pot - sum(capped)] + capped
    return [paid * rule.rate_bp // 10000] + ups


async def _accounts(session: AsyncSession, tenant_id: int, salesperson_id: int) -> dict[str, int]:
    out = {}
    for kind in (PENDING, WITHDRAWABLE, DEBT, WITHDRAWING, WITHDRAWN):
        out[kind] = await account(session, tenant_id, kind, SP, salesperson_id, allow_negative=(kind == DEBT))
    return out


async def expense_account(session: AsyncSession, tenant_id: int) -> int:
    return await account(session, tenant_id, EXPENSE, "brand", tenant_id, allow_negative=True)


async def _order_lines(session: AsyncSession, order_id: int) -> list[LineFacts]:
    rows = (
        await session.execute(
            select(OrderLine, Product.id, Product.category_id)
            .join(Sku, Sku.id == OrderLine.sku_id)
            .join(Product, Product.id == Sku.product_id)
            .where(OrderLine.order_id == order_id)
            .order_by(OrderLine.id)
        )
    ).all()
    return [LineFacts(pid, cid, line_paid_fen(line), line.quantity, line.price_per_quantity) for line, pid, cid in rows]


async def accrue_order(session: AsyncSession, tenant_id: int, order_id: int, at: datetime) -> list[CommissionAccrual]:
    """On payment: PENDING commission for the attributed seller and the allowed uplines, plus the
    first-order reward. Idempotent: an order accrues once."""
    attribution = await session.get(OrderAttribution, order_id)
    if attribution is None or attribution.salesperson_id is None:
        return []
    if await session.scalar(select(CommissionAccrual.id).where(CommissionAccrual.order_id == order_id).limit(1)):
        return []
    seller = await session.get(Salesperson, attribution.salesperson_id)
    prog = await program(session, tenant_id)
    chain = [seller]
    while len(chain) <= prog.upline_levels and chain[-1].upline_id is not None:
        chain.append(await session.get(Salesperson, chain[-1].upline_id))
    upline_bps = [prog.upline1_rate_bp, prog.upline2_rate_bp][: len(chain) - 1]
    rules = list(await session.scalars(select(CommissionRule).where(CommissionRule.tenant_id == tenant_id)))
    totals = [0] * len(chain)
    for line in await _order_lines(session, order_id):
        for i, amount in enumerate(split_line(line, pick_rule(rules, line, seller.level), upline_bps)):
            totals[i] += amount
    shares = [(chain[0].id, "SELLER", totals[0])] + [(chain[i].id, f"UPLINE{i}", totals[i]) for i in range(1, len(chain))]
    if prog.first_order_reward_fen > 0 and at <= as_utc(seller.joined_at) + timedelta(days=prog.first_order_days):
        won = await session.execute(
            update(Salesperson).where(Salesperson.id == seller.id, Salesperson.first_reward_order_id.is_(None))
            .values(first_reward_order_id=order_id).execution_options(synchronize_session=False)
        )
        if won.rowcount == 1:
            shares.append((seller.id, "FIRST_ORDER", prog.first_order_reward_fen))
    expense = await expense_account(session, tenant_id)
    made = [
        CommissionAccrual(tenant_id=tenant_id, order_id=order_id, salesperson_id=sp, role=role, amount_fen=amount, reversed_fen=0,
                          state="PENDING", created_at=at)
        for sp, role, amount in shares if amount > 0
    ]
    if not made:
        return []
    session.add_all(made)
    await session.flush()
    pending = await _account_ids(session, tenant_id, sorted({row.salesperson_id for row in made}), PENDING)
    legs = [Leg(pending[row.salesperson_id], row.amount_fen) for row in made]
    # One balanced transaction per order (the order accrues once: its key says so).
    await post(session, tenant_id, "commission.accrue", legs + [Leg(expense, -sum(row.amount_fen for row in made))],
               idempotency_key=f"dist:accrue:{order_id}", reference=("order", order_id), now=at)
    return made


async def schedule_settlement(session: AsyncSession, tenant_id: int, order_id: int, at: datetime) -> None:
    """On delivery or pickup (COMPLETED): pending commission settles `settle_days` later."""
    days = (await program(session, tenant_id)).settle_days
    await session.execute(
        update(CommissionAccrual)
        .where(CommissionAccrual.order_id == order_id, CommissionAccrual.state == "PENDING", CommissionAccrual.settle_after.is_(None))
        .values(settle_after=at + timedelta(days=days))
        .execution_options(synchronize_session=False)
    )


async def _net_debt(session: AsyncSession, tenant_id: int, salesperson_id: int, key: str, at: datetime) -> None:
    """Offset a negative balance (debt) from withdrawable money as far as it goes."""
    accounts = await _accounts(session, tenant_id, salesperson_id)
    owed = -await balance(session, accounts[DEBT])
    have = await balance(session, accounts[WITHDRAWABLE])
    amount = min(owed, have)
    if amount <= 0:
        return
    try:
        async with session.begin_nested():
            await post(session, tenant_id, "commission.offset", [Leg(accounts[WITHDRAWABLE], -amount), Leg(accounts[DEBT], amount)],
                       idempotency_key=f"{key}:net", now=at)
    except InsufficientFunds:  # a withdrawal took it first; the next settlement offsets the rest
        pass


async def _account_ids(session: AsyncSession, tenant_id: int, salesperson_ids: list[int], kind: str) -> dict[int, int]:
    """The `kind` account of each salesperson, in two queries (those missing are opened with one
    INSERT .. ON CONFLICT DO NOTHING, race-safe like ledger.account)."""
    def query():
        return select(LedgerAccount.owner_id, LedgerAccount.id).where(
            LedgerAccount.tenant_id == tenant_id, LedgerAccount.kind == kind, LedgerAccount.owner_type == SP,
            LedgerAccount.owner_id.in_(salesperson_ids), LedgerAccount.currency == "CNY")

    found = dict((await session.execute(query())).all())
    missing = [sp for sp in salesperson_ids if sp not in found]
    if missing:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        now = utc_now()
        await session.execute(insert(LedgerAccount).values([
            dict(tenant_id=tenant_id, kind=kind, owner_type=SP, owner_id=sp, currency="CNY", allow_negative=(kind == DEBT), balance_fen=0, created_at=now)
            for sp in missing
        ]).on_conflict_do_nothing(index_elements=["tenant_id", "kind", "owner_type", "owner_id", "currency"]))
        found = dict((await session.execute(query())).all())
    return found


async def settle_due(session: AsyncSession, tenant_id: int, now: datetime | None = None, limit: int = 1000) -> int:
    """The settlement job: pending accruals whose settle date has passed become WITHDRAWABLE.
    Each accrual moves by one conditional UPDATE (state = 'PENDING'), so a second run, or a
    second process at the same time, moves nothing twice; the money of the accruals this call
    won moves pending -> withdrawable in balanced transactions of up to 32 salespeople each.
    Returns how many accruals it settled (at most `limit`)."""
    now = now or utc_now()
    # The id of the `limit`-th due accrual bounds one range UPDATE (no list of ids to bind).
    due = (
        select(CommissionAccrual.id)
        .where(CommissionAccrual.tenant_id == tenant_id, CommissionAccrual.state == "PENDING", CommissionAccrual.settle_after <= now)
        .order_by(CommissionAccrual.id).limit(max(1, min(limit, 100_000))).subquery()
    )
    last = await session.scalar(select(func.max(due.c.id)))
    if last is None:
        return 0
    won = (await session.execute(
        update(CommissionAccrual)
        .where(CommissionAccrual.tenant_id == tenant_id, CommissionAccrual.state == "PENDING", CommissionAccrual.settle_after <= now,
               CommissionAccrual.id <= last)
        .values(state="WITHDRAWABLE", settled_at=now)
        .returning(CommissionAccrual.id, CommissionAccrual.salesperson_id, CommissionAccrual.amount_fen - CommissionAccrual.reversed_fen)
        .execution_options(synchronize_session=False)
    )).all()
    first_id: dict[int, int] = {}
    totals: dict[int, int] = {}
    for accrual_id, salesperson_id, amount in won:
        first_id[salesperson_id] = min(first_id.get(salesperson_id, accrual_id), accrual_id)
        totals[salesperson_id] = totals.get(salesperson_id, 0) + amount
    people = sorted(sp for sp, total in totals.items() if total > 0)
    if people:
        pending = await _account_ids(session, tenant_id, people, PENDING)
        withdrawable = await _account_ids(session, tenant_id, people, WITHDRAWABLE)
        for i in range(0, len(people), 32):
            chunk = people[i:i + 32]
            legs = [leg for sp in chunk for leg in (Leg(pending[sp], -totals[sp]), Leg(withdrawable[sp], totals[sp]))]
            # Each accrual settles once, so the smallest accrual id of the chunk names this posting for good.
            key = f"dist:settle:{min(first_id[sp] for sp in chunk)}"
            await post(session, tenant_id, "commission.settle", legs, idempotency_key=key, reference=("commission_settlement", min(first_id[sp] for sp in chunk)), now=now)
        in_debt = list(await session.scalars(
            select(LedgerAccount.owner_id).where(
                LedgerAccount.tenant_id == tenant_id, LedgerAccount.kind == DEBT, LedgerAccount.owner_type == SP,
                LedgerAccount.owner_id.in_(people), LedgerAccount.balance_fen < 0)
        ))
        for salesperson_id in in_debt:
            await _net_debt(session, tenant_id, salesperson_id, f"dist:settle:{first_id[salesperson_id]}:{salesperson_id}", now)
    return len(won)


async def reverse_order_share(
    session: AsyncSession, tenant_id: int, order_id: int, refunded_fen: int, order_total_fen: int, at: datetime,
) -> int:
    """Take back commission pro rata to the money refunded so far (cumulative: call it with the
    order's total refunded amount after each refund; a full refund takes everything back).
    Pending money leaves the pending account; settled money becomes debt (offset against
    withdrawable at once as far as it goes). Returns the fen taken back by this call."""
    taken = 0
    for _ in range(5):  # conditional UPDATEs below; retry on a concurrent settle or refund
        retry = False
        accruals = list(await session.scalars(
            select(CommissionAccrual).where(CommissionAccrual.order_id == order_id, CommissionAccrual.tenant_id == tenant_id)
            .order_by(CommissionAccrual.id).execution_options(populate_existing=True)
        ))
        for accrual in accruals:
            if refunded_fen >= order_total_fen or order_total_fen <= 0:
                target = accrual.amount_fen
            else:
                target = accrual.amount_fen * max(0, refunded_fen) // order_total_fen
            delta = target - accrual.reversed_fen
            if delta <= 0:
                continue
            state = accrual.state
            new_state = "REVERSED" if target == accrual.amount_fen else state
            moved = await session.execute(
                update(CommissionAccrual)
                .where(CommissionAccrual.id == accrual.id, CommissionAccrual.reversed_fen == accrual.reversed_fen, CommissionAccrual.state == state)
                .values(reversed_fen=target, state=new_state)
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount != 1:
                retry = True
                continue
            accounts = await _accounts(session, tenant_id, accrual.salesperson_id)
            source = accounts[PENDING] if state == "PENDING" else accounts[DEBT]
            key = f"dist:reverse:{accrual.id}:{target}"
            await post(session, tenant_id, "commission.reverse", [Leg(source, -delta), Leg(await expense_account(session, tenant_id), delta)],
                       idempotency_key=key, reference=("order", order_id), now=at)
            if state != "PENDING":
                await _net_debt(session, tenant_id, accrual.salesperson_id, key, at)
            taken += delta
        if not retry:
            return taken
    return taken


async def reverse_order(session: AsyncSession, tenant_id: int, order_id: int, at: datetime) -> int:
    order = await session.get(Order, order_id)
    total = order.total_fen if order is not None else 0
    return await reverse_order_share(session, tenant_id, order_id, total, total, at)


async def earnings(session: AsyncSession, tenant_id: int, salesperson_id: int) -> dict[str, int]:
    """pending, withdrawable (net of debt: may be negative), withdrawing, withdrawn, in fen."""
    accounts = await _accounts(session, tenant_id, salesperson_id)
    b = {kind: await balance(session, acc) for kind, acc in accounts.items()}
    return {
        "pending": b[PENDING], "withdrawable": b[WITHDRAWABLE] + b[DEBT], "withdrawing": b[WITHDRAWING], "withdrawn": b[WITHDRAWN],
    }

