"""Cart -> order: price snapshot, atomic stock reservation, unpaid-order expiry time.

Everything happens in the caller's transaction; any DomainError rolls all of it back, so a
failed checkout never leaves a partial reservation behind.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Principal
from commerce import ports, pricing, stock
from commerce.cart import require_customer
from commerce.errors import CheckoutErrorCode
from commerce.models import Address, Cart, CartLine, Order, OrderEvent, OrderLine, Product, Sku
from commerce.order_status import ActorType, FulfilmentType, OrderStatus, StockState
from commerce.quantities import QuantityRule, line_total_fen, validate_quantity
from core.clock import require_aware
from core.errors import DomainError
from core.money import MAX_AMOUNT_FEN, Money, fen_to_decimal_string
from events import OrderCreated, emit
from geo.coordinates import LonLat
from geo.distance import haversine_m
from geo.zone_lookup import zones_for
from membership import benefits as member_benefits
from store_network.access import load_store
from store_network.models import Store, Tenant
from store_sync.listed import delisted_skus

# Same-city delivery is priced by the store's zone tiers (geo.zone_lookup); parcels stay flat.
EXPRESS_PARCEL_FEE_FEN = 1000


@dataclass(frozen=True)
class CheckoutRequest:
    store_id: int
    fulfilment_type: FulfilmentType
    address_id: int | None
    note: str = ""
    slot_id: str | None = None  # opaque delivery/pickup slot (delivery.slots.slot_id)
    # The total the customer was shown; if the order's total differs, nothing is placed.
    expected_total: Money | None = None
    # A pickup order without a slot at a store that is closed now: allowed by default (collect once
    # it opens); refused with STORE_UNAVAILABLE when QIANDIAN_PICKUP_WHEN_CLOSED=0.
    pickup_when_closed: bool = True
    # Promotions (commerce.ports.adjust_order): claimed coupons to use, or a coupon code to redeem.
    coupon_ids: tuple[int, ...] = ()
    coupon_code: str | None = None


def _open_now(store: Store, now: datetime) -> bool:
    from geo.opening_hours import is_open_at

    return is_open_at(store.business_hours, store.timezone, now)


def _new_order_number(now: datetime) -> str:
    return now.strftime("%y%m%d") + "".join(secrets.choice("0123456789") for _ in range(10))


async def delivery_fee_fen(session: AsyncSession, store: Store, fulfilment: FulfilmentType, address: Address | None) -> int:
    if fulfilment is FulfilmentType.STORE_PICKUP:
        return 0
    if address is None:
        raise DomainError(CheckoutErrorCode.ADDRESS_REQUIRED, "delivery needs an address", "addressId")
    if fulfilment is FulfilmentType.EXPRESS_PARCEL:
        return EXPRESS_PARCEL_FEE_FEN
    point = LonLat(address.lon, address.lat)
    # max_staleness_s=0: the fee charged must follow a zone edit made a moment ago, even
    # in another process (one indexed version read; the zone geometry stays cached).
    match = (await zones_for(session, store.tenant_id, [store.id], point, max_staleness_s=0)).get(store.id)
    if match is None:
        distance = haversine_m(LonLat(store.lon, store.lat), point)
        raise DomainError(
            CheckoutErrorCode.OUTSIDE_DELIVERY_ZONE,
            f"the address is {distance / 1000:.1f} km away, outside this store's delivery zones",
            "addressId",
        )
    return match.fee_fen


async def place_order(
    session: AsyncSession, principal: Principal, request: CheckoutRequest, *, now: datetime, unpaid_ttl: timedelta
) -> Order:
    require_aware(now, "now")
    customer_id = require_customer(principal, CheckoutErrorCode)
    if len(request.note) > 500:
        raise DomainError(CheckoutErrorCode.INVALID, "note is longer than 500 characters", "note")
    store, store_path = await load_store(session, principal, request.store_id, CheckoutErrorCode)
    if store.status != "OPEN":
        raise DomainError(CheckoutErrorCode.STORE_UNAVAILABLE, "this store is not taking orders", "storeId")
    if (request.fulfilment_type is FulfilmentType.STORE_PICKUP and request.slot_id is None
            and not request.pickup_when_closed and not _open_now(store, now)):
        raise DomainError(CheckoutErrorCode.STORE_UNAVAILABLE, "this store is closed now: choose a pickup slot", "slotId")
    if request.fulfilment_type.value not in store.fulfilment_types:
        raise DomainError(
            CheckoutErrorCode.FULFILMENT_NOT_SUPPORTED,
            f"this store does not offer {request.fulfilment_type.value}",
            "fulfilmentType",
        )
    address = None
    if request.address_id is not None:
        address = await session.scalar(
            select(Address).where(Address.id == request.address_id, Address.customer_id == customer_id)
        )
        if address is None:
            raise DomainError(CheckoutErrorCode.NOT_FOUND, "address not found", "addressId")
    fee = await delivery_fee_fen(session, store, request.fulfilment_type, address)
    # The slot is held first (its usage row is locked before any stock row, as on cancel).
    point = LonLat(address.lon, address.lat) if address is not None else None
    hold = await ports.hold_slot(session, store, store_path, request.fulfilment_type.value, request.slot_id, point, now)

    cart = await session.scalar(select(Cart).where(Cart.customer_id == customer_id, Cart.store_id == store.id))
    rows = []
    if cart is not None:
        rows = (
            await session.execute(
                pricing.with_price_facts(
                    select(CartLine, Sku, Product)
                    .join(Sku, Sku.id == CartLine.sku_id)
                    .join(Product, Product.id == Sku.product_id),
                    store.id,
                )
                .where(CartLine.cart_id == cart.id)
                .order_by(Sku.id)  # reserve in id order so concurrent checkouts never deadlock
            )
        ).all()
    if not rows:
        raise DomainError(CheckoutErrorCode.EMPTY_CART, "the cart is empty", "storeId")
    delisted = await delisted_skus(session, store.id, [row[1].id for row in rows])
    for index, row in enumerate(rows):
        if row[1].id in delisted:  # de-listed after it went into the cart (store_sync.listing)
            raise DomainError(CheckoutErrorCode.NOT_LISTED_IN_STORE, f"this store no longer sells {row[2].name}", f"lines.{index}")
    prices = await pricing.price_facts(
        session,
        pricing.PriceContext(store.tenant_id, store.id, customer_id, now),
        [pricing.facts_from(row) for row in rows],
    )

    tenant_currency = await session.scalar(select(Tenant.currency).where(Tenant.id == store.tenant_id))
    expected = request.expected_total
    if expected is not None and expected.currency != tenant_currency:
        raise DomainError(CheckoutErrorCode.INVALID, f"this store charges in {tenant_currency}", "expectedTotal.currency")
    # Lines are checked and priced before the order row exists, so the order is inserted once with
    # its subtotal and fee (no second UPDATE inside the write transaction).
    subtotal = 0
    priced_lines: list[tuple[dict, Product, pricing.UnitPrice]] = []
    for index, (line, sku, product, *_facts) in enumerate(rows):
        field = f"lines.{index}"
        if product.status != "ACTIVE":
            raise DomainError(CheckoutErrorCode.PRODUCT_UNAVAILABLE, f"{product.name} is no longer sold", field)
        rule = QuantityRule(product.sold_by, sku.quantity_step, sku.min_quantity, sku.price_per_quantity)
        validate_quantity(rule, line.quantity, f"{field}.quantity")
        unit_price = prices[sku.id].fen
        total = line_total_fen(unit_price, line.quantity, sku.price_per_quantity)
        priced_lines.append((
            dict(sku_id=sku.id, product_name=product.name, sku_code=sku.code, quantity=line.quantity,
                 unit_price_fen=unit_price, price_per_quantity=sku.price_per_quantity, line_total_fen=total),
            product, prices[sku.id],
        ))
        subtotal += total
    # --- membership (issue #14): a member level's free-delivery threshold ---
    fee = await member_benefits.delivery_fee_fen(session, store.tenant_id, customer_id, subtotal, fee)
    # --- end membership ---
    if subtotal + fee > MAX_AMOUNT_FEN:
        raise DomainError(CheckoutErrorCode.AMOUNT_OUT_OF_RANGE, "order total is too large", "lines")
    order = Order(
        tenant_id=store.tenant_id,
        number=_new_order_number(now),
        customer_id=customer_id,
        store_id=store.id,
        status=OrderStatus.UNPAID.value,
        fulfilment_type=request.fulfilment_type.value,
        currency=tenant_currency,
        subtotal_fen=subtotal,
        delivery_fee_fen=fee,
        total_fen=subtotal + fee,  # less the order-level discount below
        stock_state=StockState.RESERVED.value,
        shipping_address=_address_snapshot(address),
        note=request.note,
        expires_at=now + unpaid_ttl,
        **(hold.order_fields() if hold else {}),
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    await session.flush()
    placed: list[tuple[OrderLine, Product, pricing.UnitPrice]] = []
    for fields, product, unit_price in priced_lines:
        order_line = OrderLine(order_id=order.id, **fields)
        session.add(order_line)
        placed.append((order_line, product, unit_price))
    # The order-level stage (promotions, coupons, flash-sale quotas): after unit prices, before
    # stock, so rows are locked slot -> quotas -> stock, the order a cancellation's listeners use.
    await session.flush()
    discount = await ports.adjust_order(session, order, store_path, placed, request.coupon_ids, request.coupon_code, now)
    for index, (line, sku, product, *_facts) in enumerate(rows):
        if not await stock.reserve(session, store.id, sku.id, line.quantity):
            raise DomainError(
                CheckoutErrorCode.INSUFFICIENT_STOCK, f"not enough {product.name} in stock at this store", f"lines.{index}"
            )
    total_due = subtotal + fee - discount
    if expected is not None and expected.fen != total_due:
        # Raised before anything is committed: the caller's transaction rolls back the order,
        # its lines, the stock and slot holds. TODO(events): emit a "price changed" event here
        # once the events package lands, so the storefront can refresh its cached prices.
        raise DomainError(
            CheckoutErrorCode.PRICE_CHANGED,
            f"the total is now {fen_to_decimal_string(total_due)} {tenant_currency}, "
            f"not {fen_to_decimal_string(expected.fen)}",
            "expectedTotal",
        )
    if discount:
        order.total_fen = total_due
    session.add(
        OrderEvent(
            order_id=order.id,
            from_status=None,
            to_status=OrderStatus.UNPAID.value,
            actor_type=ActorType.CUSTOMER.value,
            actor_id=customer_id,
            reason="placed",
            created_at=now,
        )
    )
    await session.execute(delete(CartLine).where(CartLine.cart_id == cart.id))
    await session.flush()
    await emit(session, OrderCreated(
        tenant_id=order.tenant_id, at=now, order_id=order.id, number=order.number, store_id=order.store_id,
        customer_id=customer_id, fulfilment_type=order.fulfilment_type, total_fen=order.total_fen, currency=order.currency,
    ))
    return order


def _address_snapshot(address: Address | None) -> dict | None:
    if address is None:
        return None
    return {
        "recipient": address.recipient,
        "mobile": address.mobile,
        "line": address.line,
        "lon": address.lon,
        "lat": address.lat,
    }
