"""A cart per customer per store; lines are validated against the SKU's quantity rules."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Principal, PrincipalKind
from commerce.errors import CartErrorCode
from commerce.models import Cart, CartLine, Product, Sku
from commerce.quantities import QuantityRule, validate_quantity
from core.clock import utc_now
from core.errors import DomainError
from store_network.access import load_store
from store_sync.listed import delisted_skus

MAX_CART_LINES = 100


@dataclass(frozen=True)
class LineChange:
    sku_id: int
    quantity: int


def require_customer(principal: Principal, codes=CartErrorCode) -> int:
    if principal.kind is not PrincipalKind.CUSTOMER or principal.customer_id is None:
        raise DomainError(codes.UNAUTHENTICATED, "sign in as a customer first", None)
    return principal.customer_id


async def get_or_create_cart(session: AsyncSession, tenant_id: int, customer_id: int, store_id: int) -> Cart:
    cart = await session.scalar(select(Cart).where(Cart.customer_id == customer_id, Cart.store_id == store_id))
    if cart is None:
        cart = Cart(tenant_id=tenant_id, customer_id=customer_id, store_id=store_id)
        session.add(cart)
        await session.flush()
    return cart


async def change_lines(
    session: AsyncSession, principal: Principal, store_id: int, changes: list[LineChange], *, replace: bool
) -> Cart:
    """Add to (replace=False) or set (replace=True) quantities; the whole call succeeds or nothing changes."""
    customer_id = require_customer(principal)
    if not changes:
        raise DomainError(CartErrorCode.REQUIRED, "give at least one line", "lines")
    if len(changes) > MAX_CART_LINES:
        raise DomainError(CartErrorCode.TOO_MANY_LINES, f"at most {MAX_CART_LINES} lines per call", "lines")
    store, _ = await load_store(session, principal, store_id, CartErrorCode)
    if store.status in ("PAUSED", "CLOSED"):  # OPENING_SOON and OPEN take carts (checkout still needs OPEN)
        raise DomainError(CartErrorCode.STORE_UNAVAILABLE, "this store is not taking orders", "storeId")
    sku_ids = {change.sku_id for change in changes}
    rows = (
        await session.execute(
            select(Sku, Product.sold_by, Product.status)
            .join(Product, Product.id == Sku.product_id)
            .where(Sku.id.in_(sku_ids), Sku.tenant_id == store.tenant_id)
        )
    ).all()
    skus = {sku.id: (sku, sold_by, status) for sku, sold_by, status in rows}
    delisted = await delisted_skus(session, store.id, skus)
    cart = await get_or_create_cart(session, store.tenant_id, customer_id, store.id)
    existing = {
        line.sku_id: line for line in (await session.scalars(select(CartLine).where(CartLine.cart_id == cart.id))).all()
    }
    for index, change in enumerate(changes):
        field = f"lines.{index}"
        found = skus.get(change.sku_id)
        if found is None:
            raise DomainError(CartErrorCode.NOT_FOUND, "SKU not found", f"{field}.skuId")
        sku, sold_by, status = found
        if status != "ACTIVE":
            raise DomainError(CartErrorCode.PRODUCT_UNAVAILABLE, "this product is no longer sold", f"{field}.skuId")
        if sku.id in delisted and change.quantity > 0:  # taking it out of the cart stays possible
            raise DomainError(CartErrorCode.NOT_LISTED_IN_STORE, "this store does not sell this item", f"{field}.skuId")
        line = existing.get(sku.id)
        quantity = change.quantity if replace or line is None else line.quantity + change.quantity
        rule = QuantityRule(sold_by, sku.quantity_step, sku.min_quantity, sku.price_per_quantity)
        validate_quantity(rule, change.quantity if change.quantity <= 0 else quantity, f"{field}.quantity")
        if line is None:
            line = CartLine(cart_id=cart.id, sku_id=sku.id, quantity=quantity)
            session.add(line)
            existing[sku.id] = line
        else:
            line.quantity = quantity
    if len(existing) > MAX_CART_LINES:
        raise DomainError(CartErrorCode.TOO_MANY_LINES, f"a cart holds at most {MAX_CART_LINES} lines", "lines")
    cart.updated_at = utc_now()
    await session.flush()
    return cart


async def remove_lines(session: AsyncSession, principal: Principal, store_id: int, sku_ids: list[int]) -> Cart:
    customer_id = require_customer(principal)
    if len(sku_ids) > MAX_CART_LINES:
        raise DomainError(CartErrorCode.TOO_MANY_LINES, f"at most {MAX_CART_LINES} lines per call", "skuIds")
    store, _ = await load_store(session, principal, store_id, CartErrorCode)
    cart = await get_or_create_cart(session, store.tenant_id, customer_id, store.id)
    await session.execute(delete(CartLine).where(CartLine.cart_id == cart.id, CartLine.sku_id.in_(sku_ids)))
    await session.flush()
    return cart
