"""Promotions against the database: what is active for a store and customer, the checkout
adjustment (automatic promotions + coupons + flash-sale quotas, recorded on the order), the
cart's price breakdown, coupons (claim, issue, redeem by code) and staff administration under
the network's promotions control policy.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal, PrincipalKind
from commerce import pricing
from commerce.models import Cart, CartLine, Customer, Order, Product, Sku
from commerce.order_status import OrderStatus
from core.errors import DomainError
from promotions import engine, flash_sales
from promotions.engine import CustomerFacts, LineInput, PromotionSpec, Scope
from promotions.errors import PromotionErrorCode as Codes
from promotions.models import Coupon, FlashSale, OrderLineDiscount, OrderPromotion, Promotion, PromotionPolicy
from promotions.registry import ACTIONS, validate_action, validate_condition
from store_network.access import load_node, load_store, require_tenant
from store_network.control import ControlledAttribute, may_change
from store_network.models import NetworkNode, Store, Tenant
from store_network.policies import control_chain

_NO_SYNC = {"synchronize_session": False}
MAX_RULES = 10  # conditions or actions per promotion
MAX_SCOPE_IDS = 200
MAX_COUPONS_PER_ORDER = 5
MAX_ISSUE = 1000  # customers per couponIssue call
ADMIN_PERMISSION = Permission.MANAGE_PRICES  # who runs campaigns; WHERE is decided by the promotions control policy


def is_hq_path(path: str) -> bool:
    return path.count("/") == 2  # "/1/": the root node


# ---------------------------------------------------------------- loading what applies

def spec_of(row: Promotion, coupon_id: int | None = None) -> PromotionSpec:
    scope = row.scope or {}
    return PromotionSpec(
        id=row.id, version=row.version, name=row.name,
        conditions=tuple(row.conditions), actions=tuple(row.actions),
        scope=Scope(frozenset(scope.get("sku_ids", ())), frozenset(scope.get("product_ids", ())), frozenset(scope.get("category_ids", ()))),
        hq=is_hq_path(row.node_path), priority=row.priority, stackable=row.stackable, coupon_id=coupon_id,
    )


def _running(now: datetime):
    return (Promotion.status == "ACTIVE", Promotion.starts_at <= now, Promotion.ends_at > now)


async def store_path(db, store_id: int) -> str:
    return (await db.execute(select(NetworkNode.path).join(Store, Store.node_id == NetworkNode.id).where(Store.id == store_id))).scalar_one()


async def automatic_for(db, tenant_id: int, path: str, now: datetime) -> list[PromotionSpec]:
    rows = (await db.execute(select(Promotion).where(Promotion.tenant_id == tenant_id, Promotion.kind == "AUTOMATIC", *_running(now)))).scalars()
    return [spec_of(row) for row in rows if path.startswith(row.node_path)]


async def max_partner_percent(db, tenant_id: int) -> int:
    value = (await db.execute(select(PromotionPolicy.max_partner_discount_percent).where(PromotionPolicy.tenant_id == tenant_id))).scalar()
    return 100 if value is None else value


async def customer_facts(db, customer_id: int | None, now: datetime, exclude_order_id: int | None = None) -> CustomerFacts:
    if customer_id is None:
        return CustomerFacts()
    created = (await db.execute(select(Customer.created_at).where(Customer.id == customer_id))).scalar()
    query = select(func.count()).select_from(Order).where(Order.customer_id == customer_id, Order.status != OrderStatus.CANCELLED.value)
    if exclude_order_id is not None:
        query = query.where(Order.id != exclude_order_id)
    earlier = (await db.execute(query)).scalar_one()
    age = None if created is None else max((now - created).days, 0)
    return CustomerFacts(first_order=earlier == 0, account_age_days=age)


async def lock_order_history(session: AsyncSession, customer_id: int | None) -> None:
    """Serialise a customer's checkouts that read "is this the first order": the customer row
    is locked (PostgreSQL) before earlier orders are counted, so a second checkout at the same
    instant waits for the first to commit and then counts its order. SQLite has one writer
    (the order INSERT before this already serialised them). Only when a first-order condition
    is in play: other checkouts of one customer stay parallel."""
    if customer_id is not None and session.get_bind().dialect.name == "postgresql":
        # FOR NO KEY UPDATE: this checkout's order INSERT already holds KEY SHARE on the row (its
        # foreign key); FOR UPDATE would wait for the other checkout's KEY SHARE and deadlock.
        await session.execute(select(Customer.id).where(Customer.id == customer_id).with_for_update(key_share=True))


def line_input(product: Product, sku_id: int, quantity: int, unit_price_fen: int, line_total: int, per: int) -> LineInput:
    return LineInput(sku_id, product.id, product.category_id, quantity, unit_price_fen, line_total, by_unit=product.sold_by == "UNIT" and per == 1)


def _coupon_usable(row: Promotion, path: str, now: datetime) -> bool:
    return row.status == "ACTIVE" and row.starts_at <= now < row.ends_at and path.startswith(row.node_path)


# ---------------------------------------------------------------- checkout

async def adjust_order_at_checkout(session: AsyncSession, order, path: str, lines, coupon_ids: tuple[int, ...],
                                   coupon_code: str | None, now: datetime) -> int:
    """The checkout's order-level stage (commerce.ports.adjust_order); `path` is the store's
    network path. Returns the discount in fen."""
    # 1. Flash-sale quotas for lines the flash price priced (lines come sorted by SKU id: quota rows lock in one order).
    flash_lines = [(i, ol) for i, (ol, _p, price) in enumerate(lines) if price.source is pricing.PriceSource.PROMOTION]
    if flash_lines:
        sales = await flash_sales.active_sales(session, order.tenant_id, order.store_id, [ol.sku_id for _, ol in flash_lines], now)
        for index, ol in flash_lines:
            sale = sales.get(ol.sku_id)
            if sale is None or sale.price_fen != ol.unit_price_fen:
                raise DomainError(Codes.FLASH_SALE_SOLD_OUT, "this flash sale has sold out or ended", f"lines.{index}")
            await flash_sales.take(session, sale, order.id, order.customer_id, ol.quantity, now, f"lines.{index}")
            before = next((c.unit_price_fen for c in reversed(lines[index][2].breakdown[:-1])), ol.unit_price_fen)
            session.add(OrderPromotion(
                order_id=order.id, flash_sale_id=sale.id, promotion_version=sale.version, name=sale.name, discount_fen=0,
                shipping_discount_fen=0,
                snapshot={"type": "FLASH_SALE", "sku_id": sale.sku_id, "price_fen": sale.price_fen, "saving_fen": (before - sale.price_fen) * ol.quantity},
            ))
    # 2. Coupons: the customer's claimed ones, or one redeemed by code (claimed here and now).
    coupons = await _coupons_for_checkout(session, order, path, coupon_ids, coupon_code, now)
    # 3. The engine: the same function the cart's price breakdown calls.
    inputs = [line_input(product, ol.sku_id, ol.quantity, ol.unit_price_fen, ol.line_total_fen, ol.price_per_quantity) for ol, product, _ in lines]
    automatic = await automatic_for(session, order.tenant_id, path, now)
    chosen = [spec for _, spec in coupons]
    if not automatic and not chosen:
        return 0
    everything = automatic + chosen
    if engine.needs_order_history(everything):
        # Locked after slot and flash-sale quota rows, before stock: the checkout's lock order.
        await lock_order_history(session, order.customer_id)
    result = engine.price_order(
        inputs, automatic, chosen,
        facts=await customer_facts(session, order.customer_id, now, exclude_order_id=order.id) if engine.needs_customer_facts(everything) else CustomerFacts(),
        delivery_fee_fen=order.delivery_fee_fen,
        max_partner_percent=100 if all(p.hq for p in everything) else await max_partner_percent(session, order.tenant_id),
    )
    if result.refused:
        spec, miss = result.refused[0]
        index = next(i for i, (_, s) in enumerate(coupons) if s is spec)
        hint = next((h.message for h in result.hints if h.promotion is spec), None)
        raise DomainError(Codes.COUPON_NOT_APPLICABLE, f"{spec.name}: {hint or miss.reason}", "couponIds" if coupon_ids else "couponCode")
    for row, _spec in coupons:
        used = await session.execute(
            update(Coupon).where(Coupon.id == row.id, Coupon.status == "AVAILABLE").values(status="USED", order_id=order.id, used_at=now),
            execution_options=_NO_SYNC,
        )
        if used.rowcount != 1:
            raise DomainError(Codes.COUPON_NOT_AVAILABLE, "this coupon was used meanwhile", "couponIds")
    # 4. Record every applied promotion with its version and a snapshot, and each line's share.
    if not result.applied:
        return 0
    by_id = {row.id: row for row in (await session.scalars(select(Promotion).where(Promotion.id.in_([a.promotion.id for a in result.applied])))).all()}
    for applied in result.applied:
        row = by_id[applied.promotion.id]
        record = OrderPromotion(
            order_id=order.id, promotion_id=row.id, promotion_version=row.version, coupon_id=applied.promotion.coupon_id,
            name=row.name, discount_fen=applied.amount_fen, shipping_discount_fen=applied.shipping_fen,
            snapshot={"type": row.kind, "conditions": row.conditions, "actions": row.actions, "scope": row.scope, "node_path": row.node_path},
        )
        session.add(record)
        await session.flush()
        for (ol, _, _), fen in zip(lines, applied.line_amounts, strict=True):
            if fen:
                session.add(OrderLineDiscount(order_id=order.id, order_line_id=ol.id, order_promotion_id=record.id, amount_fen=fen))
    await session.flush()
    return result.discount_fen


async def _coupons_for_checkout(session, order, path, coupon_ids, coupon_code, now) -> list[tuple[Coupon, PromotionSpec]]:
    if len(coupon_ids) > MAX_COUPONS_PER_ORDER:
        raise DomainError(Codes.INVALID, f"at most {MAX_COUPONS_PER_ORDER} coupons per order", "couponIds")
    chosen: list[tuple[Coupon, Promotion]] = []
    for index, coupon_id in enumerate(coupon_ids):
        row = (await session.execute(
            select(Coupon, Promotion).join(Promotion, Promotion.id == Coupon.promotion_id)
            .where(Coupon.id == coupon_id, Coupon.customer_id == order.customer_id, Coupon.status == "AVAILABLE")
        )).first()
        if row is None or not _coupon_usable(row[1], path, now):
            raise DomainError(Codes.COUPON_NOT_AVAILABLE, "this coupon is not available (used, expired, or not for this store)", f"couponIds.{index}")
        chosen.append(tuple(row))
    if coupon_code:
        template = await _template_by_code(session, order.tenant_id, coupon_code)
        if template is None or not _coupon_usable(template, path, now):
            raise DomainError(Codes.COUPON_NOT_AVAILABLE, "no such coupon code here, or it has ended", "couponCode")
        held = (await session.scalars(
            select(Coupon).where(Coupon.promotion_id == template.id, Coupon.customer_id == order.customer_id, Coupon.status == "AVAILABLE").order_by(Coupon.id).limit(1)
        )).first()
        if held is None or any(c.id == held.id for c, _ in chosen):
            held = await _claim(session, template, order.customer_id, now, "couponCode")
        chosen.append((held, template))
    if len({c.id for c, _ in chosen}) != len(chosen):
        raise DomainError(Codes.INVALID, "the same coupon twice", "couponIds")
    if len(chosen) > 1 and not all(t.stackable for _, t in chosen):
        raise DomainError(Codes.COUPON_NOT_STACKABLE, "one coupon per order: these coupons do not stack", "couponIds")
    return [(c, spec_of(t, coupon_id=c.id)) for c, t in chosen]


async def release_for_order(session: AsyncSession, order_id: int) -> None:
    """An unpaid order was cancelled or expired: its coupons are usable again and its flash-sale quota returns."""
    await session.execute(
        update(Coupon).where(Coupon.order_id == order_id, Coupon.status == "USED").values(status="AVAILABLE", order_id=None, used_at=None),
        execution_options=_NO_SYNC,
    )
    await flash_sales.release_for_order(session, order_id)


# ---------------------------------------------------------------- cart price breakdown

@dataclass
class Breakdown:
    store_id: int
    currency: str
    skus: list[int]
    lines: list[LineInput]
    unit_prices: list[pricing.UnitPrice]
    result: engine.OrderPricing
    coupons: list[engine.CouponVerdict] = field(default_factory=list)
    chosen: list[int] = field(default_factory=list)


async def cart_breakdown(db, principal: Principal, store_id: int, coupon_ids: Sequence[int], now: datetime) -> Breakdown:
    """Price the customer's cart in a store exactly as checkout would (delivery fee aside): per
    line and order, what applied, what almost applied, and every coupon they hold ranked."""
    if principal.kind is not PrincipalKind.CUSTOMER or principal.customer_id is None:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in as a customer first", None)
    if len(coupon_ids) > MAX_COUPONS_PER_ORDER:
        raise DomainError(Codes.INVALID, f"at most {MAX_COUPONS_PER_ORDER} coupons", "couponIds")
    store, path = await load_store(db, principal, store_id, Codes)
    customer_id = principal.customer_id
    rows = (await db.execute(
        pricing.with_price_facts(
            select(CartLine, Sku, Product).join(Cart, Cart.id == CartLine.cart_id).join(Sku, Sku.id == CartLine.sku_id).join(Product, Product.id == Sku.product_id),
            store.id,
        ).where(Cart.customer_id == customer_id, Cart.store_id == store.id).order_by(Sku.id)
    )).all()
    context = pricing.PriceContext(store.tenant_id, store.id, customer_id, now)
    prices = await pricing.price_facts(db, context, [pricing.facts_from(r) for r in rows])
    from commerce.quantities import line_total_fen

    lines, units = [], []
    for line, sku, product, *_ in rows:
        price = prices[sku.id]
        lines.append(line_input(product, sku.id, line.quantity, price.fen, line_total_fen(price.fen, line.quantity, sku.price_per_quantity), sku.price_per_quantity))
        units.append(price)
    held = (await db.execute(
        select(Coupon, Promotion).join(Promotion, Promotion.id == Coupon.promotion_id)
        .where(Coupon.customer_id == customer_id, Coupon.status == "AVAILABLE", Coupon.tenant_id == store.tenant_id).order_by(Coupon.id).limit(100)
    )).all()
    held_specs = {c.id: spec_of(t, coupon_id=c.id) for c, t in held if _coupon_usable(t, path, now)}
    automatic = await automatic_for(db, store.tenant_id, path, now)
    everything = automatic + list(held_specs.values())
    facts = await customer_facts(db, customer_id, now) if engine.needs_customer_facts(everything) else CustomerFacts()
    cap = 100 if all(p.hq for p in everything) else await max_partner_percent(db, store.tenant_id)
    chosen = []
    for index, cid in enumerate(coupon_ids):
        if cid not in held_specs:
            raise DomainError(Codes.COUPON_NOT_AVAILABLE, "this coupon is not available here", f"couponIds.{index}")
        chosen.append(held_specs[cid])
    if len(chosen) > 1 and not all(s.stackable for s in chosen):
        raise DomainError(Codes.COUPON_NOT_STACKABLE, "one coupon per order: these coupons do not stack", "couponIds")
    result = engine.price_order(lines, automatic, chosen, facts=facts, max_partner_percent=cap)
    verdicts = engine.rank_coupons(lines, automatic, list(held_specs.values()), facts=facts, max_partner_percent=cap)
    currency = (await db.execute(select(Tenant.currency).where(Tenant.id == store.tenant_id))).scalar_one()
    return Breakdown(store.id, currency, [r[1].id for r in rows], lines, units, result, verdicts, [c.coupon_id for c in chosen])


# ---------------------------------------------------------------- coupons

async def _template_by_code(db, tenant_id: int, code: str) -> Promotion | None:
    return (await db.execute(select(Promotion).where(Promotion.tenant_id == tenant_id, Promotion.kind == "COUPON", Promotion.code == code.strip().upper()))).scalar()


async def _claim(session: AsyncSession, template: Promotion, customer_id: int, now: datetime, field: str) -> Coupon:
    """One coupon of `template` for a customer: per-customer limit by a unique claim number,
    total quota by a conditional UPDATE; either refusal is typed and leaves nothing behind."""
    held = (await session.execute(select(func.count()).select_from(Coupon).where(Coupon.promotion_id == template.id, Coupon.customer_id == customer_id))).scalar_one()
    limit = template.per_customer_limit or 1
    if held >= limit:
        raise DomainError(Codes.COUPON_LIMIT_REACHED, f"at most {limit} of this coupon per customer", field)
    issued = await session.execute(
        update(Promotion)
        .where(Promotion.id == template.id, (Promotion.total_quota.is_(None)) | (Promotion.issued < Promotion.total_quota))
        .values(issued=Promotion.issued + 1),
        execution_options=_NO_SYNC,
    )
    if issued.rowcount != 1:
        raise DomainError(Codes.COUPON_SOLD_OUT, "all of these coupons have been given out", field)
    # Take the first free claim number up to the limit: a concurrent claim by the same customer
    # that took one makes our INSERT fail (on PostgreSQL after the other commits), and we try the next.
    for claim_no in range(held + 1, limit + 1):
        coupon = Coupon(tenant_id=template.tenant_id, promotion_id=template.id, customer_id=customer_id, claim_no=claim_no, claimed_at=now)
        try:
            async with session.begin_nested():
                session.add(coupon)
                await session.flush()
        except IntegrityError:
            continue
        return coupon
    # Every number was taken meanwhile; the quota taken above rolls back with the caller's transaction.
    raise DomainError(Codes.COUPON_LIMIT_REACHED, f"at most {limit} of this coupon per customer", field)


async def claim(session: AsyncSession, principal: Principal, promotion_id: int | None, code: str | None, now: datetime) -> Coupon:
    if principal.kind is not PrincipalKind.CUSTOMER or principal.customer_id is None:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in as a customer first", None)
    if code:
        template = await _template_by_code(session, principal.tenant_id, code)
        field_name = "code"
    elif promotion_id is not None:
        template = await session.scalar(select(Promotion).where(Promotion.id == promotion_id, Promotion.tenant_id == principal.tenant_id, Promotion.kind == "COUPON"))
        field_name = "promotionId"
    else:
        raise DomainError(Codes.REQUIRED, "give promotionId or code", "promotionId")
    if template is None:  # unknown, or another brand's: the same answer
        raise DomainError(Codes.NOT_FOUND, "coupon not found", field_name)
    if template.status != "ACTIVE" or not template.starts_at <= now < template.ends_at:
        raise DomainError(Codes.COUPON_NOT_AVAILABLE, "this coupon is not running", field_name)
    return await _claim(session, template, principal.customer_id, now, field_name)


async def issue(session: AsyncSession, principal: Principal, promotion_id: int, customer_ids: Sequence[int], now: datetime) -> int:
    """A campaign hands one coupon to each customer (staff who may run the template's campaign)."""
    if len(customer_ids) > MAX_ISSUE:
        raise DomainError(Codes.INVALID, f"at most {MAX_ISSUE} customers per call", "customerIds")
    template = await _load_promotion(session, principal, promotion_id)
    if template.kind != "COUPON":
        raise DomainError(Codes.INVALID, "only coupon templates are issued", "promotionId")
    known = set((await session.scalars(select(Customer.id).where(Customer.id.in_(set(customer_ids)), Customer.tenant_id == template.tenant_id))).all())
    for index, customer_id in enumerate(customer_ids):
        if customer_id not in known:
            raise DomainError(Codes.NOT_FOUND, "customer not found", f"customerIds.{index}")
        await _claim(session, template, customer_id, now, f"customerIds.{index}")
    return len(customer_ids)


async def my_coupons(db, principal: Principal, now: datetime, limit: int = 100) -> list[tuple[Coupon, Promotion]]:
    if principal.customer_id is None:
        return []
    rows = (await db.execute(
        select(Coupon, Promotion).join(Promotion, Promotion.id == Coupon.promotion_id)
        .where(Coupon.customer_id == principal.customer_id, Coupon.status == "AVAILABLE", Promotion.ends_at > now).order_by(Coupon.id).limit(limit)
    )).all()
    return [tuple(r) for r in rows]


async def claimable(db, principal: Principal, store_id: int, now: datetime, limit: int = 100) -> list[Promotion]:
    """Coupon templates running at this store with quota left (what a customer can claim)."""
    store, path = await load_store(db, principal, store_id, Codes)
    rows = (await db.execute(
        select(Promotion).where(Promotion.tenant_id == store.tenant_id, Promotion.kind == "COUPON", *_running(now),
                                (Promotion.total_quota.is_(None)) | (Promotion.issued < Promotion.total_quota)).order_by(Promotion.id).limit(limit)
    )).scalars()
    return [row for row in rows if path.startswith(row.node_path)]


# ---------------------------------------------------------------- administration

@dataclass(frozen=True)
class Rule:
    code: str
    args: dict[str, str]


@dataclass(frozen=True)
class PromotionDraft:
    node_id: int
    kind: str  # AUTOMATIC | COUPON
    name: str
    conditions: list[Rule]
    actions: list[Rule]
    starts_at: datetime
    ends_at: datetime
    scope_sku_ids: list[int] = field(default_factory=list)
    scope_product_ids: list[int] = field(default_factory=list)
    scope_category_ids: list[int] = field(default_factory=list)
    priority: int = 0
    stackable: bool = False
    code: str | None = None
    per_customer_limit: int | None = None
    total_quota: int | None = None


async def _require_control(session: AsyncSession, principal: Principal, node: NetworkNode, field_name: str) -> None:
    if not principal.can(ADMIN_PERMISSION, node.path):
        raise DomainError(Codes.PERMISSION_DENIED, "you may not run promotions for this node", field_name)
    if is_hq_path(node.path):
        return
    chain = await control_chain(session, node.tenant_id, node.path, ControlledAttribute.PROMOTIONS)
    if not may_change(principal, chain, ADMIN_PERMISSION):
        raise DomainError(Codes.PROMOTIONS_LOCKED_BY_HQ, "promotions here are run by HQ (strong control)", field_name)


def _validated_rules(rules: list[Rule], name: str, validate) -> list[dict]:
    if len(rules) > MAX_RULES:
        raise DomainError(Codes.INVALID, f"at most {MAX_RULES} {name}", name)
    return [validate(rule.code, rule.args, f"{name}.{i}") for i, rule in enumerate(rules)]


async def _check_hq_limit(session, tenant_id: int, path: str, actions: list[dict], conditions: list[dict]) -> None:
    if is_hq_path(path):
        return
    cap = await max_partner_percent(session, tenant_id)
    threshold = next((c["args"]["amount"] for c in conditions if c["code"] == "min_subtotal"), None)
    for i, action in enumerate(actions):
        args = action["args"]
        if "percent" in args and action["code"] != "nth_item_percent" and args["percent"] > cap:
            raise DomainError(Codes.DISCOUNT_ABOVE_HQ_LIMIT, f"HQ allows at most {cap}% off", f"actions.{i}.args.percent")
        if action["code"] == "amount_off" and threshold and args["amount"] * 100 > cap * threshold:
            raise DomainError(Codes.DISCOUNT_ABOVE_HQ_LIMIT, f"HQ allows at most {cap}% off the threshold", f"actions.{i}.args.amount")
        for spend, off in args.get("tiers", ()):
            if off * 100 > cap * spend:
                raise DomainError(Codes.DISCOUNT_ABOVE_HQ_LIMIT, f"HQ allows at most {cap}% off each tier", f"actions.{i}.args.tiers")


async def create_promotion(session: AsyncSession, principal: Principal, draft: PromotionDraft) -> Promotion:
    tenant_id = require_tenant(principal, Codes)
    node = await load_node(session, principal, draft.node_id, Codes, "nodeId")
    await _require_control(session, principal, node, "nodeId")
    if draft.kind not in ("AUTOMATIC", "COUPON"):
        raise DomainError(Codes.INVALID, "kind is AUTOMATIC or COUPON", "kind")
    if not draft.name.strip() or len(draft.name) > 200:
        raise DomainError(Codes.INVALID, "a name of 1 to 200 characters", "name")
    if draft.starts_at.tzinfo is None or draft.ends_at.tzinfo is None or draft.ends_at <= draft.starts_at:
        raise DomainError(Codes.INVALID, "endsAt must be after startsAt (timezone-aware)", "endsAt")
    if not draft.actions:
        raise DomainError(Codes.REQUIRED, "at least one action", "actions")
    conditions = _validated_rules(draft.conditions, "conditions", validate_condition)
    actions = _validated_rules(draft.actions, "actions", validate_action)
    await _check_hq_limit(session, tenant_id, node.path, actions, conditions)
    scope = {"sku_ids": draft.scope_sku_ids, "product_ids": draft.scope_product_ids, "category_ids": draft.scope_category_ids}
    if sum(len(v) for v in scope.values()) > MAX_SCOPE_IDS:
        raise DomainError(Codes.INVALID, f"at most {MAX_SCOPE_IDS} ids in a scope", "scope")
    code = None
    if draft.kind == "COUPON":
        if draft.code is not None:
            code = draft.code.strip().upper()
            if not code or len(code) > 64 or not code.replace("-", "").replace("_", "").isalnum():
                raise DomainError(Codes.INVALID, "a code of letters, digits, - and _ (at most 64)", "code")
            if await _template_by_code(session, tenant_id, code) is not None:
                raise DomainError(Codes.INVALID, "this code is taken", "code")
        if draft.per_customer_limit is not None and not 1 <= draft.per_customer_limit <= 1000:
            raise DomainError(Codes.INVALID, "perCustomerLimit is 1 to 1000", "perCustomerLimit")
        if draft.total_quota is not None and not 0 <= draft.total_quota <= 10**9:
            raise DomainError(Codes.INVALID, "totalQuota is 0 to 10^9", "totalQuota")
    elif draft.code or draft.per_customer_limit or draft.total_quota is not None:
        raise DomainError(Codes.INVALID, "code, perCustomerLimit and totalQuota are for coupons", "kind")
    if not -1000 <= draft.priority <= 1000:
        raise DomainError(Codes.INVALID, "priority is -1000 to 1000", "priority")
    row = Promotion(
        tenant_id=tenant_id, node_id=node.id, node_path=node.path, kind=draft.kind, status="ACTIVE", name=draft.name.strip(),
        version=1, priority=draft.priority, stackable=draft.stackable, conditions=conditions, actions=actions, scope=scope,
        starts_at=draft.starts_at, ends_at=draft.ends_at, code=code, per_customer_limit=draft.per_customer_limit,
        total_quota=draft.total_quota, issued=0, created_by=principal.staff_id,
    )
    session.add(row)
    await session.flush()
    return row


async def _load_promotion(session, principal: Principal, promotion_id: int) -> Promotion:
    tenant_id = require_tenant(principal, Codes)
    row = await session.scalar(select(Promotion).where(Promotion.id == promotion_id, Promotion.tenant_id == tenant_id))
    if row is None:
        raise DomainError(Codes.NOT_FOUND, "promotion not found", "id")
    node = await session.get(NetworkNode, row.node_id)
    await _require_control(session, principal, node, "id")
    return row


async def update_promotion(
    session: AsyncSession, principal: Principal, promotion_id: int, *, name: str | None = None, status: str | None = None,
    actions: list[Rule] | None = None, conditions: list[Rule] | None = None, ends_at: datetime | None = None, now: datetime,
) -> Promotion:
    """Edit a promotion: its version goes up; orders placed before keep the version they used."""
    row = await _load_promotion(session, principal, promotion_id)
    if name is not None:
        if not name.strip() or len(name) > 200:
            raise DomainError(Codes.INVALID, "a name of 1 to 200 characters", "name")
        row.name = name.strip()
    if status is not None:
        if status not in ("ACTIVE", "PAUSED"):
            raise DomainError(Codes.INVALID, "status is ACTIVE or PAUSED", "status")
        row.status = status
    new_conditions = _validated_rules(conditions, "conditions", validate_condition) if conditions is not None else row.conditions
    new_actions = _validated_rules(actions, "actions", validate_action) if actions is not None else row.actions
    if not new_actions:
        raise DomainError(Codes.REQUIRED, "at least one action", "actions")
    await _check_hq_limit(session, row.tenant_id, row.node_path, new_actions, new_conditions)
    row.conditions, row.actions = new_conditions, new_actions
    if ends_at is not None:
        if ends_at.tzinfo is None or ends_at <= row.starts_at:
            raise DomainError(Codes.INVALID, "endsAt must be after startsAt", "endsAt")
        row.ends_at = ends_at
    row.version += 1
    row.updated_at = now
    await session.flush()
    return row


async def set_policy(session: AsyncSession, principal: Principal, max_percent: int, now: datetime) -> PromotionPolicy:
    tenant_id = require_tenant(principal, Codes)
    root = await session.scalar(select(NetworkNode).where(NetworkNode.tenant_id == tenant_id, NetworkNode.parent_id.is_(None)))
    if root is None or not any(g.node_path == root.path for g in principal.grants) or not principal.can(ADMIN_PERMISSION, root.path):
        raise DomainError(Codes.PERMISSION_DENIED, "only HQ sets the limits of partner and store campaigns", None)
    if not 0 <= max_percent <= 100:
        raise DomainError(Codes.INVALID, "a percentage from 0 to 100", "maxPartnerDiscountPercent")
    row = await session.get(PromotionPolicy, tenant_id)
    if row is None:
        row = PromotionPolicy(tenant_id=tenant_id, max_partner_discount_percent=max_percent, updated_at=now)
        session.add(row)
    else:
        row.max_partner_discount_percent, row.updated_at = max_percent, now
    await session.flush()
    return row


@dataclass(frozen=True)
class FlashSaleDraft:
    node_id: int
    name: str
    sku_id: int
    store_id: int | None
    price_fen: int
    starts_at: datetime
    ends_at: datetime
    quota: int
    per_customer_limit: int


async def create_flash_sale(session: AsyncSession, principal: Principal, draft: FlashSaleDraft) -> FlashSale:
    tenant_id = require_tenant(principal, Codes)
    node = await load_node(session, principal, draft.node_id, Codes, "nodeId")
    await _require_control(session, principal, node, "nodeId")
    sku = await session.scalar(select(Sku).where(Sku.id == draft.sku_id, Sku.tenant_id == tenant_id))
    if sku is None:
        raise DomainError(Codes.NOT_FOUND, "SKU not found", "skuId")
    if draft.store_id is not None:
        _store, path = await load_store(session, principal, draft.store_id, Codes)
        if not path.startswith(node.path):
            raise DomainError(Codes.INVALID, "the store is not under this node", "storeId")
    if draft.ends_at.tzinfo is None or draft.starts_at.tzinfo is None or draft.ends_at <= draft.starts_at:
        raise DomainError(Codes.INVALID, "endsAt must be after startsAt", "endsAt")
    if not 1 <= draft.quota <= 10**9:
        raise DomainError(Codes.INVALID, "quota is 1 to 10^9", "quota")
    if not 1 <= draft.per_customer_limit <= draft.quota:
        raise DomainError(Codes.INVALID, "perCustomerLimit is 1 to quota", "perCustomerLimit")
    if not draft.name.strip() or len(draft.name) > 200:
        raise DomainError(Codes.INVALID, "a name of 1 to 200 characters", "name")
    if draft.price_fen >= sku.base_price_fen:
        raise DomainError(Codes.INVALID, "a flash price is below the SKU's HQ price", "price")
    if not is_hq_path(node.path):
        cap = await max_partner_percent(session, tenant_id)
        if (sku.base_price_fen - draft.price_fen) * 100 > cap * sku.base_price_fen:
            raise DomainError(Codes.DISCOUNT_ABOVE_HQ_LIMIT, f"HQ allows at most {cap}% off", "price")
    row = FlashSale(
        tenant_id=tenant_id, node_id=node.id, node_path=node.path, name=draft.name.strip(), sku_id=sku.id, store_id=draft.store_id,
        price_fen=draft.price_fen, starts_at=draft.starts_at, ends_at=draft.ends_at, quota=draft.quota, sold=0,
        per_customer_limit=draft.per_customer_limit, version=1,
    )
    session.add(row)
    await session.flush()
    return row


def action_types() -> list:
    return list(ACTIONS.values())


async def line_refund_fen(db, order_line_id: int, line_total_fen: int, quantity: int, refunded_quantity: int, already_refunded: int = 0) -> int:
    """What a partial refund of one order line returns: its units' share of the line's net price,
    with the discounts allocated to it at placement (never re-prorated: Vendure#4811)."""
    from promotions.allocation import refund_share

    discount = (await db.execute(
        select(func.coalesce(func.sum(OrderLineDiscount.amount_fen), 0)).where(OrderLineDiscount.order_line_id == order_line_id)
    )).scalar_one()
    return refund_share(line_total_fen, int(discount), quantity, refunded_quantity, already_refunded)
