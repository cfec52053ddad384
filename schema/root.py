"""The schema's entry points and its hardening extensions."""
from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.extensions import DisableIntrospection, MaxTokensLimiter, ParserCache
from strawberry.types import Info

from core.settings import Settings
from resolvers import account_mutations, cart_mutations, catalog_mutations, catalog_queries, order_mutations, staff_mutations
from resolvers import geo_queries, zone_mutations
from resolvers import delivery_mutations, slot_queries
from resolvers import dispatch_mutations, dispatch_queries, rider_admin, rider_mutations
from resolvers import orders as order_queries
from resolvers import stores as store_queries
from resolvers.errors import UserInputError
from schema.ids import decode
from app.limits import DocumentLimits
from app.request_log import QiandianSchema, RequestIdMaskErrors
from app.validation import GuardedValidation
from schema.account import Viewer
from schema.datetime_scalar import SCALAR_OVERRIDES
from schema.distribution_root import DistributionMutation, DistributionQuery
from schema.pickup_points_root import PickupPointsMutation, PickupPointsQuery  # community-leader pickup points (#15 item 3)
from schema.membership_root import MembershipMutation, MembershipQuery  # membership (issue #14)
from schema.catalog import Category, Product, Sku
from schema.common import Connection
from schema.enums import FulfilmentType, OrderStatus
from schema.orders import Cart, Order
from schema.payments_root import PaymentsMutation
from schema.aftersales_root import AfterSalesMutation
from schema.payloads import (
    AddressCreatePayload,
    AddressDeletePayload,
    AddressUpdatePayload,
    ApiKeyCreatePayload,
    ApiKeyRevokePayload,
    AuthPayload,
    CartPayload,
    CategoryCreatePayload,
    CheckoutCompletePayload,
    LogoutPayload,
    NetworkNodeControlSetPayload,
    OrderPayload,
    OrderPayPayload,
    OrderRefundPayload,
    ProductPayload,
    RequestLoginCodePayload,
    StaffCreatePayload,
    StockSetPayload,
    StorePriceSetPayload,
    StoreUpdatePayload,
)
from schema.store_systems_root import StoreSystemsMutation, StoreSystemsQuery
from schema.store import NetworkNode, ProductFilterInput, ProductSortingInput, Store
from schema import delivery as delivery_types
from schema import dispatch as dispatch_types
from schema import store_board as store_board_types
from resolvers import store_board
from schema import riders as rider_types
from schema.coordinates import CoordinateSystem
from geo.coordinates import CoordinateSystem as DomainCoordinateSystem
from collections.abc import AsyncGenerator
from schema.geo import (
    DeliveryOption,
    DeliveryZoneDeletePayload,
    DeliveryZonePayload,
    LocationInput,
    NearbyStore,
    NearbyStoresFilter,
    ServingCartLineInput,
)
from core.errors import CommonErrorCode, DomainError
from schema.couriers_root import CouriersMutation, CouriersQuery
from schema.promotions_root import PromotionsMutation, PromotionsQuery
from schema.group_buys_root import GroupBuysMutation, GroupBuysQuery
from schema.reports_root import ReportsQuery  # sales reports per store / partner / HQ (#12 item 6)
from schema.storefront_root import StorefrontMutation, StorefrontQuery  # storefront configuration (#12 item 5)
from schema import storefront as storefront_types
from schema.store_network_admin_root import StoreNetworkAdminMutation, StoreNetworkAdminQuery  # store administration (#12 item 1)
from schema.network_pricing_root import NetworkPricingMutation, NetworkPricingQuery  # store-network pricing (#12 item 3)
from schema.assortment_root import AssortmentMutation, AssortmentQuery  # per-store assortment, product media (#12 item 4)


def _store_pk(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return decode(raw, "Store", CommonErrorCode, "storeId")
    except DomainError as exc:
        raise UserInputError(exc.message) from None


@strawberry.type
class Query(AssortmentQuery, CouriersQuery, DistributionQuery, PickupPointsQuery, StoreSystemsQuery, MembershipQuery, PromotionsQuery, GroupBuysQuery,
            ReportsQuery, StorefrontQuery, StoreNetworkAdminQuery, NetworkPricingQuery):
    node: relay.Node | None = relay.node(description="Any object by its global ID (null if not visible to you).")
    nodes: list[relay.Node | None] = relay.node()

    @strawberry.field(description="Who the request is authenticated as.")
    async def viewer(self, info: Info) -> Viewer:
        return await account_mutations.viewer(info)

    @strawberry.field
    async def store(self, info: Info, id: strawberry.ID) -> Store | None:
        row = await info.context.loaders.store.load(_store_pk(id))
        return Store.from_row(row) if row else None

    @strawberry.field
    async def stores(
        self, info: Info, first: int | None = 20, after: str | None = None, search: str | None = None
    ) -> Connection[Store]:
        return await store_queries.stores(info, first, after, search)

    @strawberry.field(description="Products; pass storeId for that store's prices and stock.")
    async def products(
        self,
        info: Info,
        store_id: strawberry.ID | None = None,
        first: int | None = 20,
        after: str | None = None,
        filter: ProductFilterInput | None = None,
        sort_by: ProductSortingInput | None = None,
    ) -> Connection[Product]:
        store_pk = _store_pk(store_id)
        if store_pk is not None and await info.context.loaders.store.load(store_pk) is None:
            raise UserInputError("store not found")
        return await catalog_queries.product_connection(info, store_pk, first, after, filter, sort_by)

    @strawberry.field
    async def product(self, info: Info, id: strawberry.ID, store_id: strawberry.ID | None = None) -> Product | None:
        try:
            pk = decode(id, "Product", CommonErrorCode, "id")
        except DomainError as exc:
            raise UserInputError(exc.message) from None
        row = await info.context.loaders.product.load(pk)
        store_pk = _store_pk(store_id)
        if row is None or (store_pk is not None and await info.context.loaders.store.load(store_pk) is None):
            return None
        return Product.from_row(row, store_pk)

    @strawberry.field
    async def categories(self, info: Info) -> list[Category]:
        return await catalog_queries.categories(info)

    @strawberry.field(description="The signed-in customer's cart in one store.")
    async def cart(self, info: Info, store_id: strawberry.ID) -> Cart | None:
        return await cart_mutations.cart(info, store_id)

    @strawberry.field(description="Your orders (customers) or your stores' orders (staff), newest first.")
    async def orders(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        status: OrderStatus | None = None,
        store_id: strawberry.ID | None = None,
    ) -> Connection[Order]:
        return await order_queries.orders(info, first, after, status, _store_pk(store_id))

    @strawberry.field(
        description="Stores nearest to a point, ranked by estimated road distance, up to 50 a page; "
        "for the next page pass `after` (pageInfo.endCursor) with the same location and filter."
    )
    async def nearby_stores(
        self, info: Info, location: LocationInput, first: int | None = 10, after: str | None = None,
        filter: NearbyStoresFilter | None = None,
    ) -> Connection[NearbyStore]:
        return await geo_queries.nearby_stores(info, location, first, after, filter)

    @strawberry.field(description="Per store that could deliver to a location or saved address: tier, fee, ETA, express, or the reasons it cannot. Best first.")
    async def delivery_options(
        self, info: Info, location: LocationInput | None = None, address_id: strawberry.ID | None = None, first: int | None = 10
    ) -> list[DeliveryOption]:
        return await geo_queries.delivery_options_query(info, location, address_id, first)

    @strawberry.field(description="The best store that can deliver the whole cart from its own stock (not merely the nearest), or null.")
    async def serving_store(
        self,
        info: Info,
        lines: list[ServingCartLineInput],
        location: LocationInput | None = None,
        address_id: strawberry.ID | None = None,
    ) -> DeliveryOption | None:
        return await geo_queries.serving_store(info, location, address_id, lines)

    @strawberry.field(description="Bookable delivery (express first, then windows) or pickup slots of a store, with capacity and why a slot is unavailable.")
    async def delivery_slots(
        self,
        info: Info,
        store_id: strawberry.ID,
        fulfilment_type: FulfilmentType = FulfilmentType.SAME_CITY_DELIVERY,
        location: LocationInput | None = None,
        address_id: strawberry.ID | None = None,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        days: int | None = None,
    ) -> delivery_types.DeliverySlotList:
        return await slot_queries.delivery_slots(info, store_id, fulfilment_type, location, address_id, from_, days)

    @strawberry.field(description="A network node's delivery settings (own and effective); staff with MANAGE_DELIVERY only.")
    async def delivery_settings(self, info: Info, node_id: strawberry.ID) -> delivery_types.DeliverySettings | None:
        return await slot_queries.delivery_settings(info, node_id)

    @strawberry.field(description="Riders whose home store this is, oldest first; staff who dispatch or manage delivery there (empty otherwise).")
    async def riders(
        self, info: Info, store_id: strawberry.ID, first: int | None = 50, after: str | None = None
    ) -> Connection[rider_types.Rider]:
        return await rider_admin.store_riders(info, store_id, first, after)

    @strawberry.field(description="Rider shifts at a store from `from` (default now) for `days` (default 7).")
    async def rider_shifts(
        self, info: Info, store_id: strawberry.ID, from_: Annotated[datetime | None, strawberry.argument(name="from")] = None, days: int | None = None
    ) -> list[delivery_types.RiderShift]:
        return await slot_queries.rider_shifts(info, store_id, from_, days)

    @strawberry.field(description="A store's dispatch board: orders by dispatch state with time left on the promise, riders with position and route, the engine's suggestion. Staff with DISPATCH_ORDERS only (null otherwise).")
    async def dispatch_board(self, info: Info, store_id: strawberry.ID) -> dispatch_types.DispatchBoard | None:
        return await dispatch_queries.dispatch_board(info, store_id)

    @strawberry.field(description="The signed-in rider's own tasks: active ones, and those ended in the last 12 hours.")
    async def rider_tasks(self, info: Info, include_finished: bool = True) -> list[dispatch_types.RiderTask]:
        return await dispatch_queries.rider_tasks(info, include_finished)


@strawberry.type
class Mutation(AssortmentMutation, CouriersMutation, DistributionMutation, PickupPointsMutation, StoreSystemsMutation, PaymentsMutation, AfterSalesMutation,
               MembershipMutation, PromotionsMutation, GroupBuysMutation, StorefrontMutation, StoreNetworkAdminMutation, NetworkPricingMutation):
    request_login_code: RequestLoginCodePayload = strawberry.mutation(resolver=account_mutations.request_login_code)
    customer_login: AuthPayload = strawberry.mutation(resolver=account_mutations.customer_login)
    staff_login: AuthPayload = strawberry.mutation(resolver=account_mutations.staff_login)
    token_refresh: AuthPayload = strawberry.mutation(resolver=account_mutations.token_refresh)
    logout: LogoutPayload = strawberry.mutation(resolver=account_mutations.logout)
    address_create: AddressCreatePayload = strawberry.mutation(resolver=account_mutations.address_create)
    address_update: AddressUpdatePayload = strawberry.mutation(resolver=account_mutations.address_update)
    address_delete: AddressDeletePayload = strawberry.mutation(resolver=account_mutations.address_delete)
    category_create: CategoryCreatePayload = strawberry.mutation(resolver=catalog_mutations.category_create)
    product_create: ProductPayload = strawberry.mutation(resolver=catalog_mutations.product_create)
    product_update: ProductPayload = strawberry.mutation(resolver=catalog_mutations.product_update)
    store_price_set: StorePriceSetPayload = strawberry.mutation(resolver=catalog_mutations.store_price_set)
    stock_set: StockSetPayload = strawberry.mutation(resolver=catalog_mutations.stock_set)
    store_update: StoreUpdatePayload = strawberry.mutation(resolver=catalog_mutations.store_update)
    network_node_control_set: NetworkNodeControlSetPayload = strawberry.mutation(
        resolver=catalog_mutations.network_node_control_set
    )
    staff_create: StaffCreatePayload = strawberry.mutation(resolver=staff_mutations.staff_create)
    api_key_create: ApiKeyCreatePayload = strawberry.mutation(resolver=staff_mutations.api_key_create)
    api_key_revoke: ApiKeyRevokePayload = strawberry.mutation(resolver=staff_mutations.api_key_revoke)
    cart_lines_add: CartPayload = strawberry.mutation(resolver=cart_mutations.cart_lines_add)
    cart_lines_update: CartPayload = strawberry.mutation(resolver=cart_mutations.cart_lines_update)
    cart_lines_remove: CartPayload = strawberry.mutation(resolver=cart_mutations.cart_lines_remove)
    checkout_complete: CheckoutCompletePayload = strawberry.mutation(resolver=order_mutations.checkout_complete)
    order_pay: OrderPayPayload = strawberry.mutation(resolver=order_mutations.order_pay)
    order_cancel: OrderRefundPayload = strawberry.mutation(resolver=order_mutations.order_cancel)
    order_transition: OrderPayload = strawberry.mutation(resolver=order_mutations.order_transition)
    order_complete: OrderPayload = strawberry.mutation(resolver=order_mutations.order_complete)
    order_refund: OrderRefundPayload = strawberry.mutation(resolver=order_mutations.order_refund)
    delivery_zone_create: DeliveryZonePayload = strawberry.mutation(resolver=zone_mutations.delivery_zone_create)
    delivery_zone_update: DeliveryZonePayload = strawberry.mutation(resolver=zone_mutations.delivery_zone_update)
    delivery_zone_delete: DeliveryZoneDeletePayload = strawberry.mutation(resolver=zone_mutations.delivery_zone_delete)
    delivery_settings_set: delivery_types.DeliverySettingsPayload = strawberry.mutation(resolver=delivery_mutations.delivery_settings_set)
    rider_create: rider_types.RiderPayload = strawberry.mutation(
        resolver=rider_admin.rider_create, description="Add a rider to the fleet (staff with MANAGE_DELIVERY over the home store)."
    )
    rider_update: rider_types.RiderPayload = strawberry.mutation(
        resolver=rider_admin.rider_update, description="Edit, suspend or reinstate a rider (MANAGE_DELIVERY over the home store)."
    )
    rider_shift_add: delivery_types.RiderShiftPayload = strawberry.mutation(resolver=delivery_mutations.rider_shift_add)
    rider_shift_remove: delivery_types.RiderShiftPayload = strawberry.mutation(resolver=delivery_mutations.rider_shift_remove)
    slot_cap_set: delivery_types.SlotCapSetPayload = strawberry.mutation(resolver=delivery_mutations.slot_cap_set)
    pickup_code_verify: delivery_types.PickupCodeVerifyPayload = strawberry.mutation(resolver=delivery_mutations.pickup_code_verify)
    dispatch_now: dispatch_types.DispatchTaskPayload = strawberry.mutation(resolver=dispatch_mutations.dispatch_now)
    dispatch_assign: dispatch_types.DispatchTaskPayload = strawberry.mutation(resolver=dispatch_mutations.dispatch_assign)
    dispatch_unassign: dispatch_types.DispatchTaskPayload = strawberry.mutation(resolver=dispatch_mutations.dispatch_unassign)
    rider_login: AuthPayload = strawberry.mutation(resolver=rider_mutations.rider_login)
    rider_shift_start: dispatch_types.RiderShiftStatusPayload = strawberry.mutation(resolver=rider_mutations.rider_shift_start)
    rider_shift_end: dispatch_types.RiderShiftStatusPayload = strawberry.mutation(resolver=rider_mutations.rider_shift_end)
    rider_task_accept: dispatch_types.RiderTaskPayload = strawberry.mutation(resolver=rider_mutations.rider_task_accept)
    rider_task_reject: dispatch_types.RiderTaskPayload = strawberry.mutation(resolver=rider_mutations.rider_task_reject)
    rider_arrive_at_store: dispatch_types.RiderTaskPayload = strawberry.mutation(resolver=rider_mutations.rider_arrive_at_store)
    rider_pick_up: dispatch_types.RiderTaskPayload = strawberry.mutation(resolver=rider_mutations.rider_pick_up)
    rider_deliver: dispatch_types.RiderTaskPayload = strawberry.mutation(resolver=rider_mutations.rider_deliver)
    rider_position_report: dispatch_types.RiderPositionReportPayload = strawberry.mutation(resolver=rider_mutations.rider_position_report)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Live position of the order's rider and status changes (graphql-transport-ws on /graphql). The order's customer, or staff who may view the store's orders. Starts with a SNAPSHOT; ends when the order completes.")
    async def order_tracking(
        self, info: Info, order_id: strawberry.ID, system: CoordinateSystem = DomainCoordinateSystem.GCJ02
    ) -> AsyncGenerator[dispatch_types.TrackingEvent, None]:
        async for event in dispatch_queries.order_tracking(info, order_id, system):
            yield event

    @strawberry.subscription(description="The store's live board events (graphql-transport-ws on /graphql) for staff who may dispatch the store (as dispatchBoard): a SNAPSHOT, then orders placed and changing status, rider task and courier changes, each after its commit. Refused with a typed error (extensions.code NOT_FOUND, UNAUTHENTICATED, PERMISSION_DENIED); a client more than 100 events behind is cut off with SLOW_CONSUMER.")
    async def store_board_events(self, info: Info, store_id: strawberry.ID) -> AsyncGenerator[store_board_types.StoreBoardEvent, None]:
        async for event in store_board.store_board_events(info, store_id):
            yield event


EXTRA_TYPES = [Sku, NetworkNode, *storefront_types.SECTION_TYPES]


def build_schema(settings: Settings) -> strawberry.Schema:
    limits = DocumentLimits(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_cost=settings.max_query_cost,
        max_fields=settings.max_query_fields,
        max_list_input=settings.max_list_input,
    )
    return _build_schema(limits, settings.max_tokens, settings.introspection)


@functools.lru_cache(maxsize=8)
def _build_schema(limits: DocumentLimits, max_tokens: int, introspection: bool) -> strawberry.Schema:
    # Cached: strawberry binds resolvers onto the Query class, so a second build of the same
    # classes in one process fails; one schema per distinct limit set is all a process needs.
    # Depth, aliases, size and cost are one linear pass in GuardedValidation, not strawberry's
    # QueryDepthLimiter/MaxAliasesLimiter: those re-walk a fragment at every spread.
    extensions = [
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        RequestIdMaskErrors,  # masked errors carry extensions.requestId; logging is QiandianSchema's
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    # Fresh instances per request; their LRU caches live at module level and are shared.
    # GuardedValidation runs (and caches) validation itself, so it replaces ValidationCache.
    extensions += [lambda: ParserCache(maxsize=256), lambda: GuardedValidation(limits, hide_suggestions=not introspection)]
    return QiandianSchema(query=Query, mutation=Mutation, subscription=Subscription, types=EXTRA_TYPES, extensions=extensions,
                          scalar_overrides=SCALAR_OVERRIDES)  # DateTime refuses instants past the UTC calendar
