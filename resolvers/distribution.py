"""Thin resolvers for distribution: authenticate, decode ids, call distribution/, map errors."""
from __future__ import annotations

from sqlalchemy import select
from strawberry.types import Info

from auth.roles import Permission
from commerce.models import Category, Product
from core.clock import utc_now
from core.errors import DomainError
from core.money import parse_amount_to_fen
from distribution import attribution, commission, enrolment, reports, withdrawals
from distribution import models as m
from distribution.errors import DistributionErrorCode as Codes
from resolvers.errors import UserInputError
from resolvers.mutation_support import in_transaction
from resolvers.pagination import check_first
from schema import distribution as t
from schema.common import Money
from schema.ids import decode, decode_optional, encode
from store_network.access import require_tenant


def salesperson_type(row: m.Salesperson) -> t.Salesperson:
    return t.Salesperson(
        id=encode("Salesperson", row.id), kind=t.SalespersonKind(row.kind), level=row.level, active=row.status == "ACTIVE",
        store_id=encode("Store", row.store_id), upline_id=encode("Salesperson", row.upline_id) if row.upline_id else None,
        joined_at=row.joined_at,
    )


def earnings_type(figures: dict[str, int]) -> t.CommissionEarnings:
    return t.CommissionEarnings(**{k: Money.of(v) for k, v in figures.items()})


def withdrawal_type(row: m.CommissionWithdrawal) -> t.CommissionWithdrawal:
    return t.CommissionWithdrawal(
        id=encode("CommissionWithdrawal", row.id), salesperson_id=encode("Salesperson", row.salesperson_id), amount=Money.of(row.amount_fen),
        state=row.state, provider_reference=row.provider_reference, created_at=row.created_at, decided_at=row.decided_at,
    )


def program_type(row: m.DistributionProgram) -> t.DistributionProgram:
    return t.DistributionProgram(
        settle_days=row.settle_days, binding_days=row.binding_days, touch=t.AttributionTouch(row.touch), upline_levels=row.upline_levels,
        upline1_rate_bp=row.upline1_rate_bp, upline2_rate_bp=row.upline2_rate_bp, first_order_reward=Money.of(row.first_order_reward_fen),
        first_order_days=row.first_order_days, min_withdrawal=Money.of(row.min_withdrawal_fen), upgrade_orders=row.upgrade_orders,
        upgrade_gmv=Money.of(row.upgrade_gmv_fen), upgrade_window_days=row.upgrade_window_days,
    )


def _customer(info: Info) -> tuple[int, int]:
    principal = info.context.principal
    tenant_id = require_tenant(principal, Codes)
    if principal.customer_id is None:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in as a customer first")
    return tenant_id, principal.customer_id


def _secret(info: Info) -> str:
    return info.context.services.settings.secret_key


# Queries ---------------------------------------------------------------------------------

async def my_seller(info: Info, session) -> m.Salesperson | None:
    principal = info.context.principal
    if principal.customer_id is None or principal.tenant_id is None:
        return None
    return await session.scalar(select(m.Salesperson).where(
        m.Salesperson.tenant_id == principal.tenant_id, m.Salesperson.customer_id == principal.customer_id))


async def my_distribution(info: Info):
    async with info.context.database.read() as session:
        row = await my_seller(info, session)
    return None if row is None else t_my(row)


def t_my(row):
    from schema.distribution_root import MyDistribution

    return MyDistribution(salesperson=salesperson_type(row), row=row)


async def share_link(info: Info, row: m.Salesperson) -> t.ShareLink:
    token, expires = attribution.share_token(_secret(info), row.tenant_id, row.id)
    return t.ShareLink(token=token, expires_at=expires)


async def earnings(info: Info, row: m.Salesperson) -> t.CommissionEarnings:
    async with info.context.database.read() as session:
        return earnings_type(await commission.earnings(session, row.tenant_id, row.id))


async def orders(info: Info, row: m.Salesperson, first: int | None) -> list[t.DistributorOrder]:
    async with info.context.database.read() as session:
        found = await reports.my_orders(session, row, check_first(first))
    return [
        t.DistributorOrder(order_id=encode("Order", o.id), number=o.number, status=o.status, total=Money.of(o.total_fen),
                           commission=Money.of(fen), paid_at=o.paid_at)
        for o, fen in found
    ]


async def customers(info: Info, row: m.Salesperson, first: int | None) -> list[t.BoundCustomer]:
    async with info.context.database.read() as session:
        found = await reports.my_customers(session, row, check_first(first))
    return [t.BoundCustomer(customer_id=encode("Customer", b.customer_id), bound_at=b.bound_at, expires_at=b.expires_at) for b in found]


async def entries(info: Info, row: m.Salesperson, first: int | None, account: str | None) -> list[t.CommissionEntry]:
    async with info.context.database.read() as session:
        found = await reports.my_entries(session, row, check_first(first), account)
    return [
        t.CommissionEntry(
            id=encode("CommissionEntry", e.id), account=e.account_kind, amount=Money.of(abs(e.amount_fen)), signed_amount_fen=e.amount_fen,
            balance_after_fen=e.balance_after_fen, kind=e.transaction_kind, reference_type=e.reference_type,
            reference_id=encode({"order": "Order", "commission_withdrawal": "CommissionWithdrawal", "commission_accrual": "CommissionAccrual"}.get(e.reference_type, "Ref"), e.reference_id) if e.reference_id else None,
            at=e.at,
        )
        for e in found
    ]


async def distributor_page(info: Info, share_token: str):
    """The salesperson's little store page: their store, whose products and prices the client
    lists with `products(storeId:)` (live store prices through the one price owner)."""
    from schema.distribution_root import DistributorPage

    tenant_id = info.context.principal.tenant_id
    if tenant_id is None:
        return None
    try:
        salesperson_id = attribution.read_share_token(_secret(info), tenant_id, share_token)
    except DomainError:
        return None
    async with info.context.database.read() as session:
        row = await session.get(m.Salesperson, salesperson_id)
    if row is None or row.tenant_id != tenant_id or row.status != "ACTIVE":
        return None
    return DistributorPage(salesperson_id=encode("Salesperson", row.id), kind=t.SalespersonKind(row.kind), store_id=encode("Store", row.store_id), store_pk=row.store_id)


async def performance(info: Info, input: t.DistributionPerformanceInput) -> t.DistributionPerformance | None:
    try:
        async with info.context.database.read() as session:
            node_id = decode_optional(input.node_id, "NetworkNode", Codes, "nodeId")
            leader_id = decode_optional(input.leader_id, "Salesperson", Codes, "leaderId")
            figures = await reports.performance(session, info.context.principal, input.start, input.end, node_id=node_id, leader_id=leader_id, top=input.top)
    except DomainError as exc:  # a query has no payload: a readable top-level error, never a masked 500
        raise UserInputError(f"{exc.code.value}: {exc.message}") from None
    return t.DistributionPerformance(
        orders=figures.orders, gmv=Money.of(figures.gmv_fen), salespeople_with_sales=figures.salespeople_with_sales,
        active_salespeople=figures.active_salespeople, revenue_per_active_salesperson=Money.of(figures.revenue_per_active_fen),
        ranking=[t.RankedSalesperson(salesperson_id=encode("Salesperson", r.salesperson_id), orders=r.orders, gmv=Money.of(r.gmv_fen)) for r in figures.ranking],
    )


async def withdrawals_to_review(info: Info, state: str | None, first: int | None) -> list[t.CommissionWithdrawal]:
    principal = info.context.principal
    if principal.tenant_id is None or not principal.is_authenticated:
        raise UserInputError("UNAUTHENTICATED: sign in as staff first")
    async with info.context.database.read() as session:
        tenant_id = principal.tenant_id
        query = select(m.CommissionWithdrawal).where(m.CommissionWithdrawal.tenant_id == tenant_id)
        if state:
            query = query.where(m.CommissionWithdrawal.state == state)
        rows = list(await session.scalars(query.order_by(m.CommissionWithdrawal.id.desc()).limit(check_first(first) * 4)))
        visible = []
        for row in rows:  # only salespeople of stores in the caller's subtree
            try:
                await enrolment.load_salesperson(session, principal, row.salesperson_id, Permission.MANAGE_DISTRIBUTION)
            except DomainError:
                continue
            visible.append(withdrawal_type(row))
    return visible[: check_first(first)]


# Mutations -------------------------------------------------------------------------------

async def program_update(info: Info, input: t.DistributionProgramUpdateInput):
    async def work(session):
        money = {k: (parse_amount_to_fen(v) if v is not None else None) for k, v in
                 (("first_order_reward_fen", input.first_order_reward), ("min_withdrawal_fen", input.min_withdrawal), ("upgrade_gmv_fen", input.upgrade_gmv))}
        row = await enrolment.update_program(
            session, info.context.principal, settle_days=input.settle_days, binding_days=input.binding_days,
            touch=input.touch.value if input.touch else None, upline_levels=input.upline_levels, upline1_rate_bp=input.upline1_rate_bp,
            upline2_rate_bp=input.upline2_rate_bp, first_order_days=input.first_order_days, upgrade_orders=input.upgrade_orders,
            upgrade_window_days=input.upgrade_window_days, **money,
        )
        return {"program": program_type(row)}

    return await in_transaction(info, t.DistributionProgramPayload, t.DistributionError, Codes, work)


async def rule_set(info: Info, input: t.CommissionRuleSetInput):
    async def work(session):
        tenant_id = await enrolment.require_hq(session, info.context.principal)
        product_id = decode_optional(input.product_id, "Product", Codes, "productId")
        category_id = decode_optional(input.category_id, "Category", Codes, "categoryId")
        if product_id is not None and await session.scalar(select(Product.id).where(Product.id == product_id, Product.tenant_id == tenant_id)) is None:
            raise DomainError(Codes.NOT_FOUND, "product not found", "productId")
        if category_id is not None and await session.scalar(select(Category.id).where(Category.id == category_id, Category.tenant_id == tenant_id)) is None:
            raise DomainError(Codes.NOT_FOUND, "category not found", "categoryId")
        if not 0 <= input.rate_bp <= 10000:
            raise DomainError(Codes.INVALID, "rateBp must be 0..10000", "rateBp")
        if input.level is not None and not 1 <= input.level <= 9:
            raise DomainError(Codes.INVALID, "level must be 1..9", "level")
        supply = parse_amount_to_fen(input.supply_price)
        row = await session.scalar(select(m.CommissionRule).where(
            m.CommissionRule.tenant_id == tenant_id,
            m.CommissionRule.product_id.is_(None) if product_id is None else m.CommissionRule.product_id == product_id,
            m.CommissionRule.category_id.is_(None) if category_id is None else m.CommissionRule.category_id == category_id,
            m.CommissionRule.level.is_(None) if input.level is None else m.CommissionRule.level == input.level,
        ))
        if row is None:
            row = m.CommissionRule(tenant_id=tenant_id, product_id=product_id, category_id=category_id, level=input.level)
            session.add(row)
        row.mode, row.rate_bp, row.supply_price_fen, row.updated_at = input.mode.value, input.rate_bp, supply, utc_now()
        await session.flush()
        return {"rule": t.CommissionRule(
            id=encode("CommissionRule", row.id), product_id=input.product_id, category_id=input.category_id, level=row.level,
            mode=t.CommissionMode(row.mode), rate_bp=row.rate_bp, supply_price=Money.of(row.supply_price_fen))}

    return await in_transaction(info, t.CommissionRuleSetPayload, t.DistributionError, Codes, work)


async def invite_create(info: Info, input: t.DistributionInviteCreateInput):
    async def work(session):
        store_id = decode_optional(input.store_id, "Store", Codes, "storeId")
        row, token = await enrolment.create_invite(session, info.context.principal, store_id=store_id, kind=input.kind.value,
                                                   uses=input.uses, ttl_hours=input.ttl_hours)
        invite = t.DistributionInvite(id=encode("DistributionInvite", row.id), kind=t.SalespersonKind(row.kind), store_id=encode("Store", row.store_id),
                                      uses_left=row.uses_left, expires_at=row.expires_at)
        return {"invite": invite, "token": token}

    return await in_transaction(info, t.DistributionInviteCreatePayload, t.DistributionError, Codes, work)


async def invite_accept(info: Info, input: t.DistributionInviteAcceptInput):
    async def work(session):
        tenant_id, customer_id = _customer(info)
        return {"salesperson": salesperson_type(await enrolment.accept_invite(session, tenant_id, customer_id, input.token))}

    return await in_transaction(info, t.SalespersonPayload, t.DistributionError, Codes, work)


async def bind(info: Info, input: t.DistributionBindInput):
    async def work(session):
        tenant_id, customer_id = _customer(info)
        row = await attribution.bind_customer(session, _secret(info), tenant_id, customer_id, input.share_token)
        return {"salesperson_id": encode("Salesperson", row.salesperson_id), "bound_until": row.expires_at}

    return await in_transaction(info, t.DistributionBindPayload, t.DistributionError, Codes, work)


async def status_set(info: Info, input: t.SalespersonStatusSetInput):
    async def work(session):
        row = await enrolment.set_status(session, info.context.principal, decode(input.id, "Salesperson", Codes, "id"), input.active)
        return {"salesperson": salesperson_type(row)}

    return await in_transaction(info, t.SalespersonPayload, t.DistributionError, Codes, work)


async def upline_set(info: Info, input: t.SalespersonUplineSetInput):
    async def work(session):
        row = await enrolment.set_upline(session, info.context.principal, decode(input.id, "Salesperson", Codes, "id"),
                                         decode_optional(input.upline_id, "Salesperson", Codes, "uplineId"))
        return {"salesperson": salesperson_type(row)}

    return await in_transaction(info, t.SalespersonPayload, t.DistributionError, Codes, work)


async def withdrawal_request(info: Info, input: t.CommissionWithdrawalRequestInput):
    async def work(session):
        tenant_id, customer_id = _customer(info)
        seller = await enrolment.salesperson_of_customer(session, tenant_id, customer_id)
        row = await withdrawals.request_withdrawal(session, seller, parse_amount_to_fen(input.amount), input.idempotency_key)
        return {"withdrawal": withdrawal_type(row), "earnings": earnings_type(await commission.earnings(session, tenant_id, seller.id))}

    return await in_transaction(info, t.CommissionWithdrawalPayload, t.DistributionError, Codes, work)


async def withdrawal_decide(info: Info, input: t.CommissionWithdrawalDecideInput):
    async def work(session):
        row = await withdrawals.decide_withdrawal(session, info.context.principal, decode(input.id, "CommissionWithdrawal", Codes, "id"), input.approve)
        return {"withdrawal": withdrawal_type(row), "earnings": earnings_type(await commission.earnings(session, row.tenant_id, row.salesperson_id))}

    return await in_transaction(info, t.CommissionWithdrawalPayload, t.DistributionError, Codes, work)


async def settle(info: Info, input: t.CommissionSettleInput):
    """HQ runs the settlement job now (it also runs with the sweeper). Never settles the future."""
    async def work(session):
        tenant_id = await enrolment.require_hq(session, info.context.principal)
        now = utc_now()
        as_of = min(input.as_of, now) if input.as_of is not None else now
        return {"settled": await commission.settle_due(session, tenant_id, as_of)}

    return await in_transaction(info, t.CommissionSettlePayload, t.DistributionError, Codes, work)
