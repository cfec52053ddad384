"""Thin membership resolvers: decode ids, call membership/, shape the result."""
from __future__ import annotations

from sqlalchemy import select
from strawberry.types import Info

from auth.roles import PrincipalKind
from commerce.models import Customer, Order
from core.clock import utc_now
from core.errors import DomainError
from core.money import parse_amount_to_fen
from membership import counter, importer, members, points, reports, stored_value
from membership.errors import MembershipErrorCode as Codes
from membership.models import Member, MemberLevel as LevelRow, PointsRule, TopUpPlan as PlanRow
from membership.order_payments import pay_order
from payments.registry import choose_provider
from resolvers.mutation_support import in_transaction
from schema import ids
from schema.common import Money
from schema.membership import (
    CounterMember, CounterMemberPayload, CounterPointsPayload, MemberCodePayload, MemberImportPayload, MemberImportRowError,
    MemberLevel, Membership, MembershipActivity, MembershipAdminPayload, MembershipError, MembershipPayload, MembershipReport,
    PointsRedeemPayload, StoreMembershipFigures, StoredValueBalance, StoredValuePayPayload, TopUpPlan, TopUpStartPayload,
)

SV_KINDS = ("sv.principal", "sv.bonus")


def _level(row: LevelRow | None) -> MemberLevel | None:
    if row is None:
        return None
    return MemberLevel(
        id=ids.encode("MemberLevel", row.id), code=row.code, name=row.name, rank=row.rank, threshold=row.threshold,
        discount_percent=row.discount_percent,
        free_delivery_from=Money.of(row.free_delivery_min_fen) if row.free_delivery_min_fen is not None else None,
        points_multiplier_percent=row.points_multiplier_pct,
    )


async def _balance(session, member: Member) -> StoredValueBalance:
    principal, bonus = await stored_value.balances(session, member.tenant_id, member.id)
    return StoredValueBalance(principal=Money.of(principal), bonus=Money.of(bonus), total=Money.of(principal + bonus))


def _activity(lines) -> list[MembershipActivity]:
    return [MembershipActivity(at=line.at, kind=line.kind, amount=line.amount, memo=line.memo) for line in lines]


async def _membership(session, member: Member, history: int = 20) -> Membership:
    return Membership(
        id=ids.encode("Member", member.id), joined_at=member.joined_at, joined_via=member.joined_via,
        level=_level(await members.level_of(session, member)), points=await points.points_balance(session, member),
        balance=await _balance(session, member),
        points_history=_activity(await reports.history(session, member.tenant_id, member.id, ("points.balance",), history)),
        balance_history=_activity(await reports.history(session, member.tenant_id, member.id, SV_KINDS, history)),
    )


async def _counter_member(session, member: Member) -> CounterMember:
    customer = await session.get(Customer, member.customer_id)
    mobile = customer.mobile[:-8] + "****" + customer.mobile[-4:] if len(customer.mobile) >= 8 else "****"
    return CounterMember(
        id=ids.encode("Member", member.id), name=customer.name, mobile=mobile, level=_level(await members.level_of(session, member)),
        points=await points.points_balance(session, member), balance=await _balance(session, member),
    )


def _customer(info: Info) -> tuple[int, int]:
    principal = info.context.principal
    if principal.kind is not PrincipalKind.CUSTOMER:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in as a customer", None)
    return principal.tenant_id, principal.customer_id


# ---- customer queries ----

async def my_membership(info: Info, history: int = 20) -> Membership | None:
    principal = info.context.principal
    if principal.kind is not PrincipalKind.CUSTOMER:
        return None
    async with info.context.database.read() as session:
        member = await members.member_of(session, principal.tenant_id, principal.customer_id)
        return None if member is None else await _membership(session, member, history)


async def top_up_plans(info: Info) -> list[TopUpPlan]:
    tenant_id = info.context.tenant_id
    if tenant_id is None:
        return []
    async with info.context.database.read() as session:
        rows = (await session.scalars(
            select(PlanRow).where(PlanRow.tenant_id == tenant_id, PlanRow.active.is_(True)).order_by(PlanRow.pay_fen).limit(50)
        )).all()
    return [TopUpPlan(id=ids.encode("TopUpPlan", r.id), name=r.name, pay=Money.of(r.pay_fen), bonus=Money.of(r.bonus_fen)) for r in rows]


async def member_levels(info: Info) -> list[MemberLevel]:
    tenant_id = info.context.tenant_id
    if tenant_id is None:
        return []
    async with info.context.database.read() as session:
        rows = (await session.scalars(select(LevelRow).where(LevelRow.tenant_id == tenant_id).order_by(LevelRow.rank).limit(50))).all()
    return [_level(r) for r in rows]


async def membership_report(info: Info, days: int = 30) -> MembershipReport:
    async with info.context.database.read() as session:
        try:
            tenant_id = await reports.require_hq(session, info.context.principal)
        except DomainError as exc:
            from resolvers.errors import UserInputError

            raise UserInputError(exc.message) from None
        now = utc_now()
        result = await reports.report(session, tenant_id, reports.window_start(now, days), now)
    return MembershipReport(
        members=result.members, active_members=result.active_members, top_ups=Money.of(result.top_ups_fen),
        top_up_count=result.top_up_count, balance_outstanding=Money.of(result.outstanding_fen),
        by_store=[StoreMembershipFigures(store_id=ids.encode("Store", s.store_id), top_ups=Money.of(s.top_ups_fen),
                                         stored_value_spent=Money.of(s.spent_fen)) for s in result.by_store],
    )


# ---- customer mutations ----

async def membership_join(info: Info) -> MembershipPayload:
    async def work(session):
        tenant_id, customer_id = _customer(info)
        member = await members.join(session, tenant_id, customer_id, "EXPLICIT", utc_now())
        return {"membership": await _membership(session, member)}

    return await in_transaction(info, MembershipPayload, MembershipError, Codes, work)


async def top_up_start(info: Info, input) -> TopUpStartPayload:
    async def work(session):
        tenant_id, customer_id = _customer(info)
        member = await members.require_member(session, tenant_id, customer_id)
        plan_id = ids.decode(input.plan_id, "TopUpPlan", Codes, "planId")
        if not (0 < len(input.idempotency_key) <= 64):
            raise DomainError(Codes.INVALID, "an idempotency key of 1..64 characters", "idempotencyKey")
        try:
            provider = await choose_provider(session, info.context.services.payments, tenant_id, input.provider)
        except DomainError as exc:
            raise DomainError(Codes.PROVIDER_NOT_AVAILABLE, exc.message, "provider") from None
        top, intent = await stored_value.start_top_up(session, provider, member, plan_id, input.idempotency_key, utc_now())
        return {"top_up_id": ids.encode("TopUp", top.id), "client_payload": intent.client_payload if intent else None}

    return await in_transaction(info, TopUpStartPayload, MembershipError, Codes, work)


async def stored_value_pay(info: Info, input) -> StoredValuePayPayload:
    async def work(session):
        order_id = ids.decode(input.order_id, "Order", Codes, "orderId")
        if not (0 < len(input.idempotency_key) <= 64):
            raise DomainError(Codes.INVALID, "an idempotency key of 1..64 characters", "idempotencyKey")
        amount = parse_amount_to_fen(input.amount) if input.amount is not None else None
        order = await pay_order(session, info.context.principal, order_id, input.idempotency_key, utc_now(), amount)
        from membership.models import StoredValueCharge

        charge = await session.scalar(select(StoredValueCharge).where(StoredValueCharge.order_id == order.id))
        due = 0 if order.status != "UNPAID" else order.total_fen - await stored_value.prepaid_fen(session, order.id)
        return {"order_status": order.status, "amount_due": Money.of(due), "principal_spent": Money.of(charge.principal_fen),
                "bonus_spent": Money.of(charge.bonus_fen)}

    return await in_transaction(info, StoredValuePayPayload, MembershipError, Codes, work)


async def points_redeem(info: Info, input) -> PointsRedeemPayload:
    async def work(session):
        order_id = ids.decode(input.order_id, "Order", Codes, "orderId")
        order, award = await points.redeem_for_order(session, info.context.principal, order_id, input.points, utc_now())
        return {"points_redeemed": award.points, "money_off": Money.of(award.fen), "order_total": Money.of(order.total_fen)}

    return await in_transaction(info, PointsRedeemPayload, MembershipError, Codes, work)


async def member_code_create(info: Info) -> MemberCodePayload:
    async def work(session):
        tenant_id, customer_id = _customer(info)
        member = await members.require_member(session, tenant_id, customer_id)
        code, expires = await counter.issue_code(session, member, info.context.services.code_pepper, utc_now())
        return {"code": code, "expires_at": expires}

    return await in_transaction(info, MemberCodePayload, MembershipError, Codes, work)


# ---- store counter ----

async def member_lookup(info: Info, input) -> CounterMemberPayload:
    async def work(session):
        store_id = ids.decode(input.store_id, "Store", Codes, "storeId")
        if (input.code is None) == (input.mobile is None):
            raise DomainError(Codes.INVALID, "give a member code or a mobile", "code")
        if input.code is not None:
            member = await counter.lookup_by_code(session, info.context.principal, store_id, input.code,
                                                  info.context.services.code_pepper, utc_now(), attempt_taken=True)
        else:
            member = await counter.lookup_by_mobile(session, info.context.principal, store_id, input.mobile)
        return {"member": await _counter_member(session, member)}

    if input.code is not None:
        # A wrong guess must still spend its attempt: the budget is taken in its own transaction first.
        async def take(session):
            await counter.take_lookup_attempt(session, info.context.principal, ids.decode(input.store_id, "Store", Codes, "storeId"), utc_now())
            return {}

        taken = await in_transaction(info, CounterMemberPayload, MembershipError, Codes, take)
        if taken.errors:
            return taken
    return await in_transaction(info, CounterMemberPayload, MembershipError, Codes, work)


async def counter_charge(info: Info, input) -> CounterMemberPayload:
    async def work(session):
        store_id = ids.decode(input.store_id, "Store", Codes, "storeId")
        member_id = ids.decode(input.member_id, "Member", Codes, "memberId")
        await counter.charge(session, info.context.principal, store_id, member_id, parse_amount_to_fen(input.amount),
                             input.idempotency_key[:64], utc_now())
        return {"member": await _counter_member(session, await session.get(Member, member_id))}

    return await in_transaction(info, CounterMemberPayload, MembershipError, Codes, work)


async def counter_points(info: Info, input) -> CounterPointsPayload:
    async def work(session):
        store_id = ids.decode(input.store_id, "Store", Codes, "storeId")
        member_id = ids.decode(input.member_id, "Member", Codes, "memberId")
        category_id = ids.decode_optional(input.category_id, "Category", Codes, "categoryId")
        sale = parse_amount_to_fen(input.sale_amount)
        key = input.idempotency_key[:64]
        if input.redeem_points is not None:
            award = await counter.redeem(session, info.context.principal, store_id, member_id, input.redeem_points, sale, key, utc_now())
            result = {"points": award.points, "money_off": Money.of(award.fen)}
        else:
            award = await counter.earn(session, info.context.principal, store_id, member_id, [(category_id, sale)], key, utc_now())
            result = {"points": award.points if award else 0}
        result["member"] = await _counter_member(session, await session.get(Member, member_id))
        return result

    return await in_transaction(info, CounterPointsPayload, MembershipError, Codes, work)


# ---- HQ ----

def _actor(info: Info) -> tuple[str, int | None]:
    principal = info.context.principal
    return ("staff", principal.staff_id) if principal.staff_id else ("api_key", principal.api_key_id)


async def membership_program_set(info: Info, input) -> MembershipAdminPayload:
    async def work(session):
        tenant_id = await reports.require_hq(session, info.context.principal)
        changes = {k: (v.value if hasattr(v, "value") else v) for k, v in vars(input).items() if v is not None}
        await members.set_program(session, tenant_id, utc_now(), **changes)
        return {}

    return await in_transaction(info, MembershipAdminPayload, MembershipError, Codes, work)


async def member_level_create(info: Info, input) -> MembershipAdminPayload:
    async def work(session):
        tenant_id = await reports.require_hq(session, info.context.principal)
        free = parse_amount_to_fen(input.free_delivery_from) if input.free_delivery_from is not None else None
        level = await members.add_level(
            session, tenant_id, code=input.code, name=input.name, rank=input.rank, threshold=input.threshold,
            discount_percent=input.discount_percent, free_delivery_min_fen=free, points_multiplier_pct=input.points_multiplier_percent,
        )
        return {"id": ids.encode("MemberLevel", level.id)}

    return await in_transaction(info, MembershipAdminPayload, MembershipError, Codes, work)


async def top_up_plan_create(info: Info, input) -> MembershipAdminPayload:
    async def work(session):
        tenant_id = await reports.require_hq(session, info.context.principal)
        plan = await stored_value.add_plan(session, tenant_id, input.name, parse_amount_to_fen(input.pay), parse_amount_to_fen(input.bonus), utc_now())
        return {"id": ids.encode("TopUpPlan", plan.id)}

    return await in_transaction(info, MembershipAdminPayload, MembershipError, Codes, work)


async def points_rule_create(info: Info, input) -> MembershipAdminPayload:
    async def work(session):
        tenant_id = await reports.require_hq(session, info.context.principal)
        if not (0 <= input.multiplier_percent <= 10000) or not (0 < len(input.name) <= 100):
            raise DomainError(Codes.INVALID, "a name and a multiplier of 0..10000 percent", "multiplierPercent")
        for value, name in ((input.starts_at, "startsAt"), (input.ends_at, "endsAt")):
            if value is not None and value.tzinfo is None:
                raise DomainError(Codes.INVALID, "times need a timezone", name)
        rule = PointsRule(
            tenant_id=tenant_id, name=input.name, multiplier_pct=input.multiplier_percent,
            category_id=ids.decode_optional(input.category_id, "Category", Codes, "categoryId"),
            store_id=ids.decode_optional(input.store_id, "Store", Codes, "storeId"),
            starts_at=input.starts_at, ends_at=input.ends_at, active=True,
        )
        from commerce.models import Category
        from store_network.models import Store

        if rule.category_id is not None and (await session.get(Category, rule.category_id) or Category(tenant_id=-1)).tenant_id != tenant_id:
            raise DomainError(Codes.NOT_FOUND, "category not found", "categoryId")
        if rule.store_id is not None and (await session.get(Store, rule.store_id) or Store(tenant_id=-1)).tenant_id != tenant_id:
            raise DomainError(Codes.NOT_FOUND, "store not found", "storeId")
        session.add(rule)
        await session.flush()
        return {"id": ids.encode("PointsRule", rule.id)}

    return await in_transaction(info, MembershipAdminPayload, MembershipError, Codes, work)


async def member_adjust(info: Info, input) -> MembershipAdminPayload:
    async def work(session):
        tenant_id = await reports.require_hq(session, info.context.principal)
        member = await reports.member_in_tenant(session, tenant_id, ids.decode(input.member_id, "Member", Codes, "memberId"))
        key, now = input.idempotency_key[:64], utc_now()
        if input.part.value == "POINTS":
            try:
                delta = int(input.amount)
            except ValueError:
                raise DomainError(Codes.INVALID, "whole points", "amount") from None
            await points.adjust(session, member, delta, reason=input.reason[:200], idempotency_key=key, actor=_actor(info), now=now)
        else:
            raw = input.amount.strip()
            fen = -parse_amount_to_fen(raw[1:]) if raw.startswith("-") else parse_amount_to_fen(raw)
            await stored_value.adjust(session, member, input.part.value, fen, reason=input.reason[:200], idempotency_key=key,
                                      actor=_actor(info), now=now)
        return {"id": ids.encode("Member", member.id)}

    return await in_transaction(info, MembershipAdminPayload, MembershipError, Codes, work)


async def member_levels_evaluate(info: Info) -> MembershipAdminPayload:
    async def work(session):
        tenant_id = await reports.require_hq(session, info.context.principal)
        return {"changed": await members.evaluate_levels(session, tenant_id, utc_now())}

    return await in_transaction(info, MembershipAdminPayload, MembershipError, Codes, work)


async def member_import(info: Info, input) -> MemberImportPayload:
    async def work(session):
        tenant_id = await reports.require_hq(session, info.context.principal)
        if len(input.csv) > 5_000_000:
            raise DomainError(Codes.IMPORT_INVALID, "at most 5 MB per import", "csv")
        result = await importer.import_members(session, tenant_id, input.csv, actor=_actor(info), now=utc_now())
        if result.errors:
            # All rows or none: report every row's problems and write nothing.
            raise _RowErrors(result.errors)
        return {"imported": result.imported, "already_imported": result.already_imported}

    try:
        return await in_transaction(info, MemberImportPayload, MembershipError, Codes, work)
    except _RowErrors as exc:
        return MemberImportPayload(
            imported=0, already_imported=False,
            row_errors=[MemberImportRowError(row=e.row, field=e.field, message=e.message) for e in exc.errors[:1000]],
            errors=[MembershipError(field="csv", code=Codes.IMPORT_INVALID, message=f"{len(exc.errors)} rows have errors; nothing was imported")],
        )


class _RowErrors(Exception):
    def __init__(self, errors):
        super().__init__("row errors")
        self.errors = errors
