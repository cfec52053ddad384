"""Query and Mutation fields of store systems (webhooks, POS/ERP sync); base classes of schema.root's Query/Mutation."""
from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.common import Connection
from schema.store_systems import (
    Voucher,
    VoucherProductCreateInput,
    VoucherProductCreatePayload,
    VoucherRedeemInput,
    VoucherRedeemPayload,
    StoreListingSyncInput,
    StorePriceSyncInput,
    StoreStockSyncInput,
    StoreSyncPayload,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointCreateInput,
    WebhookEndpointCreatePayload,
    WebhookEndpointDeleteInput,
    WebhookEndpointDeletePayload,
    WebhookEndpointReplayInput,
    WebhookEndpointReplayPayload,
)


@strawberry.type
class StoreSystemsQuery:
    @strawberry.field(description="The brand's webhook endpoints (HQ administrators).")
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        from resolvers import webhook_resolvers

        return await webhook_resolvers.webhook_endpoints(info)

    @strawberry.field(description="An endpoint's delivery log, newest first (HQ administrators).")
    async def webhook_deliveries(
        self, info: Info, endpoint_id: strawberry.ID, first: int | None = 20, after: str | None = None
    ) -> Connection[WebhookDelivery]:
        from resolvers import webhook_resolvers

        return await webhook_resolvers.webhook_deliveries(info, endpoint_id, first, after)

    @strawberry.field(description="The signed-in customer's vouchers, newest first (at most 100), with their codes.")
    async def my_vouchers(self, info: Info) -> list[Voucher]:
        from resolvers import voucher_resolvers

        return await voucher_resolvers.my_vouchers(info)


@strawberry.type
class StoreSystemsMutation:
    @strawberry.mutation(description="Register a URL to receive signed events; the secret is returned once.")
    async def webhook_endpoint_create(self, info: Info, input: WebhookEndpointCreateInput) -> WebhookEndpointCreatePayload:
        from resolvers import webhook_resolvers

        return await webhook_resolvers.webhook_endpoint_create(info, input)

    @strawberry.mutation
    async def webhook_endpoint_delete(self, info: Info, input: WebhookEndpointDeleteInput) -> WebhookEndpointDeletePayload:
        from resolvers import webhook_resolvers

        return await webhook_resolvers.webhook_endpoint_delete(info, input)

    @strawberry.mutation(description="Resend from an event on (or from the first) and re-enable a disabled endpoint.")
    async def webhook_endpoint_replay(self, info: Info, input: WebhookEndpointReplayInput) -> WebhookEndpointReplayPayload:
        from resolvers import webhook_resolvers

        return await webhook_resolvers.webhook_endpoint_replay(info, input)

    @strawberry.mutation(description="POS/ERP: a batch of stock counts or movements for one store (API key or staff with MANAGE_STOCK).")
    async def store_stock_sync(self, info: Info, input: StoreStockSyncInput) -> StoreSyncPayload:
        from resolvers import store_sync_resolvers

        return await store_sync_resolvers.store_stock_sync(info, input)

    @strawberry.mutation(description="POS/ERP: a batch of the store's own prices (API key or staff with MANAGE_PRICES).")
    async def store_price_sync(self, info: Info, input: StorePriceSyncInput) -> StoreSyncPayload:
        from resolvers import store_sync_resolvers

        return await store_sync_resolvers.store_price_sync(info, input)

    @strawberry.mutation(description="POS/ERP: list or de-list SKUs in one store (API key or staff with MANAGE_STOCK; re-listing follows the assortment control policy, mandatory products stay listed).")
    async def store_listing_sync(self, info: Info, input: StoreListingSyncInput) -> StoreSyncPayload:
        from resolvers import store_sync_resolvers

        return await store_sync_resolvers.store_listing_sync(info, input)

    @strawberry.mutation(description="HQ: make a SKU a voucher product (pay its price, worth faceValue).")
    async def voucher_product_create(self, info: Info, input: VoucherProductCreateInput) -> VoucherProductCreatePayload:
        from resolvers import voucher_resolvers

        return await voucher_resolvers.voucher_product_create(info, input)

    @strawberry.mutation(description="Staff or a POS redeem a voucher at an accepting store (MANAGE_ORDERS there).")
    async def voucher_redeem(self, info: Info, input: VoucherRedeemInput) -> VoucherRedeemPayload:
        from resolvers import voucher_resolvers

        return await voucher_resolvers.voucher_redeem(info, input)
