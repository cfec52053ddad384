"""Thin resolvers for webhook endpoints and the delivery log."""
from __future__ import annotations

from sqlalchemy import select
from strawberry.types import Info

from core.errors import DomainError
from resolvers.errors import UserInputError
from resolvers.mutation_support import in_transaction
from resolvers.pagination import build_connection, keyset_page
from schema import ids
from schema.common import Connection
from schema import store_systems as types
from webhooks import endpoints
from webhooks.errors import WebhookErrorCode as Codes
from webhooks.models import WebhookDelivery, WebhookEndpoint

MAX_ENDPOINTS_LISTED = endpoints.MAX_ENDPOINTS_PER_TENANT


def endpoint_type(row: WebhookEndpoint) -> types.WebhookEndpoint:
    return types.WebhookEndpoint(
        id=ids.encode("WebhookEndpoint", row.id), url=row.url, description=row.description, event_types=list(row.event_types),
        enabled=row.enabled, consecutive_failures=row.consecutive_failures, disabled_at=row.disabled_at,
        disabled_reason=row.disabled_reason, next_attempt_at=row.next_attempt_at, last_event_id=str(row.cursor_event_id),
        created_at=row.created_at,
    )


def _delivery_type(row: WebhookDelivery) -> types.WebhookDelivery:
    return types.WebhookDelivery(
        id=ids.encode("WebhookDelivery", row.id), event_id=str(row.event_id), event_type=row.event_type, success=row.success,
        status_code=row.status_code, error=row.error, duration_ms=row.duration_ms, created_at=row.created_at,
    )


async def webhook_endpoint_create(info: Info, input: types.WebhookEndpointCreateInput) -> types.WebhookEndpointCreatePayload:
    services = info.context.services

    async def work(session):
        row, secret = await endpoints.create_endpoint(
            session, info.context.principal, services.secret_box, url=input.url, event_types=list(input.event_types),
            description=input.description, production=services.settings.is_production,
        )
        return {"endpoint": endpoint_type(row), "secret": secret}

    return await in_transaction(info, types.WebhookEndpointCreatePayload, types.WebhookError, Codes, work)


async def webhook_endpoint_delete(info: Info, input: types.WebhookEndpointDeleteInput) -> types.WebhookEndpointDeletePayload:
    async def work(session):
        await endpoints.delete_endpoint(session, info.context.principal, ids.decode(input.id, "WebhookEndpoint", Codes, "id"))
        return {"deleted_id": input.id}

    return await in_transaction(info, types.WebhookEndpointDeletePayload, types.WebhookError, Codes, work)


async def webhook_endpoint_replay(info: Info, input: types.WebhookEndpointReplayInput) -> types.WebhookEndpointReplayPayload:
    async def work(session):
        from_id = None
        if input.from_event_id is not None:
            if not input.from_event_id.isdigit() or len(input.from_event_id) > 18:
                raise DomainError(Codes.INVALID, "fromEventId is an event id as sent in Qiandian-Event-Id", "fromEventId")
            from_id = int(input.from_event_id)
        row = await endpoints.replay(session, info.context.principal, ids.decode(input.id, "WebhookEndpoint", Codes, "id"), from_id)
        return {"endpoint": endpoint_type(row)}

    return await in_transaction(info, types.WebhookEndpointReplayPayload, types.WebhookError, Codes, work)


async def _admin_tenant(info: Info) -> int:
    reader = info.context.reader
    try:
        async with reader.lock:
            return await endpoints.require_brand_admin(await reader.session(), info.context.principal)
    except DomainError as exc:
        raise UserInputError(exc.message) from None


async def webhook_endpoints(info: Info) -> list[types.WebhookEndpoint]:
    tenant_id = await _admin_tenant(info)
    rows = await info.context.reader.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.tenant_id == tenant_id).order_by(WebhookEndpoint.id).limit(MAX_ENDPOINTS_LISTED)
    )
    return [endpoint_type(r) for r in rows]


async def webhook_deliveries(info: Info, endpoint_id: str, first: int | None, after: str | None) -> Connection[types.WebhookDelivery]:
    """Newest first."""
    tenant_id = await _admin_tenant(info)
    try:
        pk = ids.decode(endpoint_id, "WebhookEndpoint", Codes, "endpointId")
    except DomainError as exc:
        raise UserInputError(exc.message) from None
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == pk, WebhookDelivery.tenant_id == tenant_id)
    query, limit = keyset_page(query, [WebhookDelivery.id], descending=True, first=first, after=after)
    rows = list(await info.context.reader.scalars(query))
    return build_connection(rows, limit, after, lambda r: [r.id], _delivery_type)
