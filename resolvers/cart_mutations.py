"""Customer cart mutations and the cart query."""
from __future__ import annotations

from sqlalchemy import select
from strawberry.types import Info

from commerce import cart as cart_service
from commerce.errors import CartErrorCode as Codes
from commerce.models import Cart as CartRow
from core.errors import DomainError
from schema import ids
from resolvers.errors import UserInputError
from resolvers.mutation_support import in_transaction
from schema.common import CartError
from schema.inputs import CartLinesAddInput, CartLinesRemoveInput, CartLinesUpdateInput
from schema.orders import Cart
from schema.payloads import CartPayload


def _cart_type(row: CartRow) -> Cart:
    return Cart(id=ids.encode("Cart", row.id), cart_id=row.id, store_id=row.store_id)


def _changes(lines) -> list[cart_service.LineChange]:
    if len(lines) > cart_service.MAX_CART_LINES:
        raise DomainError(Codes.TOO_MANY_LINES, f"at most {cart_service.MAX_CART_LINES} lines per call", "lines")
    return [
        cart_service.LineChange(ids.decode(line.sku_id, "Sku", Codes, f"lines.{i}.skuId"), line.quantity)
        for i, line in enumerate(lines)
    ]


async def cart_lines_add(info: Info, input: CartLinesAddInput) -> CartPayload:
    async def work(session):
        store_id = ids.decode(input.store_id, "Store", Codes, "storeId")
        row = await cart_service.change_lines(session, info.context.principal, store_id, _changes(input.lines), replace=False)
        return {"cart": _cart_type(row)}

    return await in_transaction(info, CartPayload, CartError, Codes, work)


async def cart_lines_update(info: Info, input: CartLinesUpdateInput) -> CartPayload:
    async def work(session):
        store_id = ids.decode(input.store_id, "Store", Codes, "storeId")
        row = await cart_service.change_lines(session, info.context.principal, store_id, _changes(input.lines), replace=True)
        return {"cart": _cart_type(row)}

    return await in_transaction(info, CartPayload, CartError, Codes, work)


async def cart_lines_remove(info: Info, input: CartLinesRemoveInput) -> CartPayload:
    async def work(session):
        store_id = ids.decode(input.store_id, "Store", Codes, "storeId")
        if len(input.sku_ids) > cart_service.MAX_CART_LINES:
            raise DomainError(Codes.TOO_MANY_LINES, "too many SKUs", "skuIds")
        sku_ids = [ids.decode(raw, "Sku", Codes, f"skuIds.{i}") for i, raw in enumerate(input.sku_ids)]
        row = await cart_service.remove_lines(session, info.context.principal, store_id, sku_ids)
        return {"cart": _cart_type(row)}

    return await in_transaction(info, CartPayload, CartError, Codes, work)


async def cart(info: Info, store_id: str) -> Cart | None:
    principal = info.context.principal
    if principal.customer_id is None:
        raise UserInputError("sign in as a customer to see a cart")
    try:
        store_pk = ids.decode(store_id, "Store", Codes, "storeId")
    except DomainError as exc:
        raise UserInputError(exc.message) from None
    store = await info.context.loaders.store.load(store_pk)
    if store is None:
        return None
    row = (
        await info.context.reader.execute(
            select(CartRow).where(CartRow.customer_id == principal.customer_id, CartRow.store_id == store_pk)
        )
    ).scalar()
    if row is None:
        return Cart(id=ids.encode("Cart", 0), cart_id=None, store_id=store_pk)
    return _cart_type(row)
