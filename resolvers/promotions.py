"""Thin resolvers of promotions: decode ids, call promotions.service, shape the answer."""
from __future__ import annotations


from sqlalchemy import literal, or_, select
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from core.clock import utc_now
from core.errors import DomainError
from core.money import MoneyError, parse_amount_to_fen
from promotions import service
from promotions.errors import PromotionErrorCode as Codes
from promotions.models import Coupon as CouponRow
from promotions.models import FlashSale as FlashSaleRow
from promotions.models import OrderPromotion as OrderPromotionRow
from promotions.models import Promotion as PromotionRow
from promotions.registry import ACTIONS, CONDITIONS
from resolvers.errors import UserInputError
from commerce.idempotency import run_idempotent
from resolvers.mutation_support import guarded, in_transaction
from resolvers.pagination import build_connection, keyset_page
from schema import ids
from schema.common import Connection, Money
from schema.enums import PriceSource
from schema import promotions as t


def _args_out(args: dict) -> list[t.ConfigArg]:
    out = []
    for name, value in args.items():
        if isinstance(value, list):
            text = ",".join(f"{spend / 100:.2f}:{off / 100:.2f}" for spend, off in value)
        elif name in ("amount", "max"):
            text = f"{value / 100:.2f}"
        else:
            text = str(value)
        out.append(t.ConfigArg(name=name, value=text))
    return out


def promotion_type(row: PromotionRow) -> t.Promotion:
    scope = row.scope or {}
    return t.Promotion(
        id=ids.encode("Promotion", row.id), node_id=ids.encode("NetworkNode", row.node_id), kind=t.PromotionKind(row.kind),
        status=t.PromotionStatus(row.status), name=row.name, version=row.version, priority=row.priority, stackable=row.stackable,
        conditions=[t.ConfigurableOperation(code=c["code"], args=_args_out(c["args"])) for c in row.conditions],
        actions=[t.ConfigurableOperation(code=a["code"], args=_args_out(a["args"])) for a in row.actions],
        scope=t.PromotionScope(
            sku_ids=[ids.encode("Sku", i) for i in scope.get("sku_ids", [])],
            product_ids=[ids.encode("Product", i) for i in scope.get("product_ids", [])],
            category_ids=[ids.encode("Category", i) for i in scope.get("category_ids", [])],
        ),
        starts_at=row.starts_at, ends_at=row.ends_at, code=row.code, per_customer_limit=row.per_customer_limit,
        total_quota=row.total_quota, issued=row.issued,
    )


def coupon_type(row: CouponRow, template: PromotionRow) -> t.Coupon:
    return t.Coupon(
        id=ids.encode("Coupon", row.id), promotion_id=ids.encode("Promotion", template.id), name=template.name, code=template.code,
        status=row.status, stackable=template.stackable, valid_until=template.ends_at,
    )


def flash_sale_type(row: FlashSaleRow, currency: str = "CNY") -> t.FlashSale:
    return t.FlashSale(
        id=ids.encode("FlashSale", row.id), name=row.name, sku_id=ids.encode("Sku", row.sku_id),
        store_id=ids.encode("Store", row.store_id) if row.store_id else None, price=Money.of(row.price_fen, currency),
        starts_at=row.starts_at, ends_at=row.ends_at, quota=row.quota, sold=row.sold, per_customer_limit=row.per_customer_limit,
    )


def _rules(items, name: str) -> list[service.Rule]:
    return [service.Rule(item.code, {a.name: a.value for a in item.arguments}) for item in items]


def _decode_all(raw: list, type_name: str, field: str) -> list[int]:
    return [ids.decode(r, type_name, Codes, f"{field}.{i}") for i, r in enumerate(raw)]


async def _mutate(info: Info, payload_cls, operation: str, key: str | None, request, work, present):
    """One transaction; with an idempotency key, once per key (a retry replays the first answer).
    `work(session)` acts and returns ids (JSON); `present(session, ids)` builds the payload fields."""
    if key is None:
        async def once(session):
            return await present(session, await work(session))

        return await in_transaction(info, payload_cls, t.PromotionError, Codes, once)
    principal = info.context.principal

    async def run():
        if principal.tenant_id is None:
            raise DomainError(Codes.UNAUTHENTICATED, "sign in first", None)
        who = f"{principal.kind.value}:{principal.customer_id or principal.staff_id or principal.api_key_id}"
        result, _ = await run_idempotent(
            info.context.database, tenant_id=principal.tenant_id, principal=who, operation=operation, key=key,
            request={"input": request}, codes=Codes, work=work,
        )
        async with info.context.database.read() as session:
            return await present(session, result)

    return await guarded(payload_cls, t.PromotionError, Codes, run)


async def _promotion_fields(session, result: dict) -> dict:
    return {"promotion": promotion_type(await session.get(PromotionRow, result["promotion_id"]))}


async def promotion_create(info: Info, input: t.PromotionCreateInput) -> t.PromotionPayload:
    async def work(session):
        scope = input.scope or t.PromotionScopeInput()
        draft = service.PromotionDraft(
            node_id=ids.decode(input.node_id, "NetworkNode", Codes, "nodeId"), kind=input.kind.value, name=input.name,
            conditions=_rules(input.conditions, "conditions"), actions=_rules(input.actions, "actions"),
            starts_at=input.starts_at, ends_at=input.ends_at,
            scope_sku_ids=_decode_all(scope.sku_ids, "Sku", "scope.skuIds"),
            scope_product_ids=_decode_all(scope.product_ids, "Product", "scope.productIds"),
            scope_category_ids=_decode_all(scope.category_ids, "Category", "scope.categoryIds"),
            priority=input.priority, stackable=input.stackable, code=input.code, per_customer_limit=input.per_customer_limit,
            total_quota=input.total_quota,
        )
        return {"promotion_id": (await service.create_promotion(session, info.context.principal, draft)).id}

    return await _mutate(info, t.PromotionPayload, "promotionCreate", input.idempotency_key, input, work, _promotion_fields)


async def promotion_update(info: Info, input: t.PromotionUpdateInput) -> t.PromotionPayload:
    async def work(session):
        row = await service.update_promotion(
            session, info.context.principal, ids.decode(input.id, "Promotion", Codes, "id"), name=input.name,
            status=input.status.value if input.status else None,
            conditions=_rules(input.conditions, "conditions") if input.conditions is not None else None,
            actions=_rules(input.actions, "actions") if input.actions is not None else None,
            ends_at=input.ends_at, now=utc_now(),
        )
        return {"promotion": promotion_type(row)}

    return await in_transaction(info, t.PromotionPayload, t.PromotionError, Codes, work)


async def promotion_policy_set(info: Info, input: t.PromotionPolicySetInput) -> t.PromotionPolicyPayload:
    async def work(session):
        row = await service.set_policy(session, info.context.principal, input.max_partner_discount_percent, utc_now())
        return {"max_partner_discount_percent": row.max_partner_discount_percent}

    return await in_transaction(info, t.PromotionPolicyPayload, t.PromotionError, Codes, work)


async def coupon_issue(info: Info, input: t.CouponIssueInput) -> t.CouponIssuePayload:
    async def work(session):
        issued = await service.issue(
            session, info.context.principal, ids.decode(input.promotion_id, "Promotion", Codes, "promotionId"),
            _decode_all(input.customer_ids, "Customer", "customerIds"), utc_now(),
        )
        return {"issued": issued}

    async def present(session, result):
        return result

    return await _mutate(info, t.CouponIssuePayload, "couponIssue", input.idempotency_key, input, work, present)


async def coupon_claim(info: Info, input: t.CouponClaimInput) -> t.CouponPayload:
    async def work(session):
        promotion_id = ids.decode_optional(input.promotion_id, "Promotion", Codes, "promotionId")
        row = await service.claim(session, info.context.principal, promotion_id, input.code, utc_now())
        return {"coupon_id": row.id}

    async def present(session, result):
        row = await session.get(CouponRow, result["coupon_id"])
        return {"coupon": coupon_type(row, await session.get(PromotionRow, row.promotion_id))}

    return await _mutate(info, t.CouponPayload, "couponClaim", input.idempotency_key, input, work, present)


async def flash_sale_create(info: Info, input: t.FlashSaleCreateInput) -> t.FlashSalePayload:
    async def work(session):
        try:
            price = parse_amount_to_fen(input.price)
        except MoneyError as exc:
            raise DomainError(Codes.INVALID_ARGUMENT, str(exc), "price") from None
        draft = service.FlashSaleDraft(
            node_id=ids.decode(input.node_id, "NetworkNode", Codes, "nodeId"), name=input.name,
            sku_id=ids.decode(input.sku_id, "Sku", Codes, "skuId"), store_id=ids.decode_optional(input.store_id, "Store", Codes, "storeId"),
            price_fen=price, starts_at=input.starts_at, ends_at=input.ends_at, quota=input.quota, per_customer_limit=input.per_customer_limit,
        )
        return {"flash_sale_id": (await service.create_flash_sale(session, info.context.principal, draft)).id}

    async def present(session, result):
        return {"flash_sale": flash_sale_type(await session.get(FlashSaleRow, result["flash_sale_id"]))}

    return await _mutate(info, t.FlashSalePayload, "flashSaleCreate", input.idempotency_key, input, work, present)


# ---------------------------------------------------------------- queries

def _user_error(exc: DomainError) -> UserInputError:
    return UserInputError(exc.message)


async def promotions(info: Info, first: int | None, after: str | None, kind: t.PromotionKind | None) -> Connection[t.Promotion]:
    """Staff: the promotions of the nodes they manage, and those above them that reach their stores."""
    principal = info.context.principal
    if principal.tenant_id is None or not principal.grants:
        return build_connection([], 0, after, lambda r: (r.id,), promotion_type)
    visible = [PromotionRow.node_path.like(g.node_path + "%") for g in principal.grants]
    visible += [literal(g.node_path).like(PromotionRow.node_path.concat("%")) for g in principal.grants]
    query = select(PromotionRow).where(PromotionRow.tenant_id == principal.tenant_id, or_(*visible))
    if kind is not None:
        query = query.where(PromotionRow.kind == kind.value)
    query, limit = keyset_page(query, [PromotionRow.id], descending=True, first=first, after=after)
    rows = list((await info.context.reader.execute(query)).scalars())
    return build_connection(rows, limit, after, lambda r: (r.id,), promotion_type)


def promotion_types() -> t.PromotionTypes:
    def definition(kind, level):
        return t.ConfigurableOperationDefinition(
            code=kind.code, description=kind.description, level=level,
            args=[t.ConfigArgDefinition(name=a.name, type=a.type.value, required=a.required) for a in kind.args],
        )

    return t.PromotionTypes(
        conditions=[definition(k, None) for k in CONDITIONS.values()],
        actions=[definition(k, k.level.value) for k in ACTIONS.values()],
    )


async def my_coupons(info: Info) -> list[t.Coupon]:
    rows = await service.my_coupons(info.context.reader, info.context.principal, utc_now())
    return [coupon_type(c, p) for c, p in rows]


async def claimable_coupons(info: Info, store_id: str) -> list[t.Promotion]:
    try:
        store_pk = ids.decode(store_id, "Store", Codes, "storeId")
        rows = await service.claimable(info.context.reader, info.context.principal, store_pk, utc_now())
    except DomainError as exc:
        raise _user_error(exc) from None
    return [promotion_type(r) for r in rows]


async def price_breakdown(info: Info, store_id: str, coupon_ids: list[str] | None) -> t.PriceBreakdown:
    try:
        store_pk = ids.decode(store_id, "Store", Codes, "storeId")
        chosen = _decode_all(coupon_ids or [], "Coupon", "couponIds")
        b = await service.cart_breakdown(info.context.reader, info.context.principal, store_pk, chosen, utc_now())
    except DomainError as exc:
        raise _user_error(exc) from None
    cur = b.currency
    result = b.result

    def money(fen: int) -> Money:
        return Money.of(fen, cur)

    lines = []
    for i, (line, unit) in enumerate(zip(b.lines, b.unit_prices)):
        shares = [
            t.PromotionShare(promotion_id=ids.encode("Promotion", a.promotion.id), name=a.promotion.name, amount=money(a.line_amounts[i]))
            for a in result.applied if a.line_amounts[i]
        ]
        lines.append(t.BreakdownLine(
            sku_id=ids.encode("Sku", line.sku_id), quantity=line.quantity, unit_price=money(line.unit_price_fen),
            price_source=PriceSource(unit.source), line_total=money(line.line_total_fen), discount=money(result.line_discounts[i]),
            net=money(line.line_total_fen - result.line_discounts[i]), promotions=shares,
        ))
    held = {c.coupon_id: c for c in (v.coupon for v in b.coupons)}
    templates = {}
    if held:
        rows = (await info.context.reader.execute(
            select(CouponRow, PromotionRow).join(PromotionRow, PromotionRow.id == CouponRow.promotion_id).where(CouponRow.id.in_(list(held)))
        )).all()
        templates = {c.id: coupon_type(c, p) for c, p in rows}
    options = [
        t.CouponOption(coupon=templates[v.coupon.coupon_id], applicable=v.reason is None, discount=money(v.discount_fen), reason=v.reason)
        for v in b.coupons if v.coupon.coupon_id in templates
    ]
    best = next((o.coupon for o in options if o.applicable and o.discount.amount != "0.00"), None)
    goods_discount = sum(result.line_discounts)
    return t.PriceBreakdown(
        subtotal=money(result.subtotal_fen), discount=money(goods_discount), total=money(result.subtotal_fen - goods_discount),
        lines=lines,
        applied=[
            t.AppliedPromotion(
                promotion_id=ids.encode("Promotion", a.promotion.id), name=a.promotion.name, version=a.promotion.version,
                amount=money(a.amount_fen), coupon_id=ids.encode("Coupon", a.promotion.coupon_id) if a.promotion.coupon_id else None,
            ) for a in result.applied
        ],
        hints=[
            t.PromotionHint(
                promotion_id=ids.encode("Promotion", h.promotion.id), name=h.promotion.name, message=h.message,
                missing=money(h.missing_fen) if h.missing_fen is not None else None, reward=money(h.reward_fen) if h.reward_fen is not None else None,
            ) for h in result.hints if h.promotion.coupon_id is None
        ],
        coupons=options, suggested_coupon=best,
    )


async def _order_promotions(info: Info, order_ids: list[int]) -> list[list[OrderPromotionRow]]:
    rows = (await info.context.reader.execute(
        select(OrderPromotionRow).where(OrderPromotionRow.order_id.in_(order_ids)).order_by(OrderPromotionRow.id)
    )).scalars()
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(row.order_id, []).append(row)
    return [grouped.get(i, []) for i in order_ids]


async def applied_to_order(info: Info, order_id: int, currency: str) -> list[t.AppliedPromotion]:
    """Order.appliedPromotions (the order is already visible to the caller): one batched query per request."""
    loaders = info.context.loaders
    loader = getattr(loaders, "promotion_order_promotions", None)
    if loader is None:
        loader = DataLoader(lambda keys: _order_promotions(info, list(keys)))
        loaders.promotion_order_promotions = loader
    rows = await loader.load(order_id)
    return [
        t.AppliedPromotion(
            promotion_id=ids.encode("FlashSale", r.flash_sale_id) if r.flash_sale_id else ids.encode("Promotion", r.promotion_id),
            name=r.name, version=r.promotion_version, amount=Money.of(r.discount_fen, currency),
            coupon_id=ids.encode("Coupon", r.coupon_id) if r.coupon_id else None,
        )
        for r in rows
    ]
