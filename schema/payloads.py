"""Mutation payloads: the changed object plus `errors { field code message }`."""
from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from schema.account import Address, ApiKeyInfo, AuthTokens, StaffMember, Viewer
from schema.catalog import Category, Product, StockLevel
from schema.common import AccountError, CartError, CatalogError, CheckoutError, Money, OrderError, PaymentError
from schema.orders import Cart, Order, Payment
from schema.store import NetworkNode, Store


@strawberry.type
class RequestLoginCodePayload:
    sent: bool = False
    errors: list[AccountError] = strawberry.field(default_factory=list)


@strawberry.type
class AuthPayload:
    tokens: AuthTokens | None = None
    viewer: Viewer | None = None
    errors: list[AccountError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    logged_out: bool = False
    errors: list[AccountError] = strawberry.field(default_factory=list)


@strawberry.type
class AddressCreatePayload:
    address: Address | None = None
    errors: list[AccountError] = strawberry.field(default_factory=list)


@strawberry.type
class AddressUpdatePayload:
    address: Address | None = None
    errors: list[AccountError] = strawberry.field(default_factory=list)


@strawberry.type
class AddressDeletePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[AccountError] = strawberry.field(default_factory=list)


@strawberry.type
class CategoryCreatePayload:
    category: Category | None = None
    errors: list[CatalogError] = strawberry.field(default_factory=list)


@strawberry.type
class ProductPayload:
    product: Product | None = None
    errors: list[CatalogError] = strawberry.field(default_factory=list)


@strawberry.type
class StorePriceSetPayload:
    price: Money | None = strawberry.field(default=None, description="The effective price in the store after the change.")
    errors: list[CatalogError] = strawberry.field(default_factory=list)


@strawberry.type
class StockSetPayload:
    stock: StockLevel | None = None
    on_hand: int | None = None
    errors: list[CatalogError] = strawberry.field(default_factory=list)


@strawberry.type
class StoreUpdatePayload:
    store: Store | None = None
    errors: list[CatalogError] = strawberry.field(default_factory=list)


@strawberry.type
class NetworkNodeControlSetPayload:
    node: NetworkNode | None = None
    errors: list[CatalogError] = strawberry.field(default_factory=list)


@strawberry.type
class CartPayload:
    cart: Cart | None = None
    errors: list[CartError] = strawberry.field(default_factory=list)


@strawberry.type
class CheckoutCompletePayload:
    order: Order | None = None
    replayed: bool = strawberry.field(default=False, description="True when this answered a retry of an earlier call.")
    errors: list[CheckoutError] = strawberry.field(default_factory=list)


@strawberry.type
class OrderPayPayload:
    payment: Payment | None = None
    client_payload: JSON | None = strawberry.field(default=None, description="Hand this to the payment provider's SDK.")
    replayed: bool = False
    errors: list[PaymentError] = strawberry.field(default_factory=list)


@strawberry.type
class OrderPayload:
    order: Order | None = None
    errors: list[OrderError] = strawberry.field(default_factory=list)


@strawberry.type
class OrderRefundPayload:
    order: Order | None = None
    errors: list[PaymentError] = strawberry.field(default_factory=list)


@strawberry.type
class StaffCreatePayload:
    staff: StaffMember | None = None
    errors: list[CatalogError] = strawberry.field(default_factory=list)


@strawberry.type
class ApiKeyCreatePayload:
    api_key: ApiKeyInfo | None = None
    key: str | None = strawberry.field(default=None, description="The secret; store it now, it is never shown again.")
    errors: list[CatalogError] = strawberry.field(default_factory=list)


@strawberry.type
class ApiKeyRevokePayload:
    api_key: ApiKeyInfo | None = None
    errors: list[CatalogError] = strawberry.field(default_factory=list)
