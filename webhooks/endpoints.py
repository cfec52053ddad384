"""Registering, removing and replaying a brand's webhook endpoints (HQ only)."""
from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from core.clock import utc_now
from core.errors import DomainError
from core.secret_box import SecretBox
from events.models import DomainEventRecord
from events.types import all_event_types
from store_network.models import NetworkNode, Tenant
from webhooks.errors import WebhookErrorCode as Codes
from webhooks.models import WebhookEndpoint
from webhooks.signing import new_secret
from webhooks.urls import check_url

MAX_ENDPOINTS_PER_TENANT = 20
MAX_EVENT_TYPES = 50


async def require_brand_admin(session: AsyncSession, principal: Principal) -> int:
    """Webhooks see every store's events, so only a grant on the brand's HQ node may manage them."""
    if principal.tenant_id is None or not principal.is_authenticated:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in first", None)
    hq_path = await session.scalar(
        select(NetworkNode.path).where(NetworkNode.tenant_id == principal.tenant_id, NetworkNode.parent_id.is_(None))
    )
    if hq_path is None or not principal.can(Permission.MANAGE_STORES, hq_path):
        raise DomainError(Codes.PERMISSION_DENIED, "only brand (HQ) administrators manage webhooks", None)
    return principal.tenant_id


def check_event_types(event_types: list[str]) -> list[str]:
    if len(event_types) > MAX_EVENT_TYPES:
        raise DomainError(Codes.INVALID, f"at most {MAX_EVENT_TYPES} event types", "eventTypes")
    known = all_event_types()
    for i, name in enumerate(event_types):
        if name not in known:
            raise DomainError(Codes.UNKNOWN_EVENT_TYPE, f"unknown event type {name[:64]!r}; known: {', '.join(sorted(known))}", f"eventTypes.{i}")
    return sorted(set(event_types))


async def create_endpoint(
    session: AsyncSession, principal: Principal, box: SecretBox, *, url: str, event_types: list[str], description: str, production: bool
) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its signing secret (returned this once; stored sealed). New
    endpoints start at the end of the outbox: they receive events from now on (replay for older)."""
    tenant_id = await require_brand_admin(session, principal)
    url = await check_url(url.strip() if isinstance(url, str) else url, production)
    types = check_event_types(event_types)
    if len(description) > 200:
        raise DomainError(Codes.INVALID, "description: at most 200 characters", "description")
    # The brand's row is the lock: concurrent creates count one after another (the cap held only
    # for sequential callers before; twelve at once on PostgreSQL all saw 19 and inserted).
    await session.execute(select(Tenant.id).where(Tenant.id == tenant_id).with_for_update())
    count = await session.scalar(select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.tenant_id == tenant_id))
    if count >= MAX_ENDPOINTS_PER_TENANT:
        raise DomainError(Codes.TOO_MANY_ENDPOINTS, f"at most {MAX_ENDPOINTS_PER_TENANT} endpoints per brand", None)
    last = (
        await session.execute(
            select(DomainEventRecord.txid, DomainEventRecord.id)
            .where(DomainEventRecord.tenant_id == tenant_id)
            .order_by(DomainEventRecord.txid.desc(), DomainEventRecord.id.desc())
            .limit(1)
        )
    ).first()
    secret = new_secret()
    row = WebhookEndpoint(
        tenant_id=tenant_id, url=url, description=description, event_types=types,
        secret_sealed=box.seal({"secret": secret}), enabled=True, consecutive_failures=0,
        cursor_txid=last[0] if last else 0, cursor_event_id=last[1] if last else 0, created_at=utc_now(),
    )
    session.add(row)
    await session.flush()
    return row, secret


async def load_endpoint(session: AsyncSession, principal: Principal, endpoint_id: int) -> WebhookEndpoint:
    tenant_id = await require_brand_admin(session, principal)
    row = await session.scalar(
        select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.tenant_id == tenant_id)
    )
    if row is None:
        raise DomainError(Codes.NOT_FOUND, "webhook endpoint not found", "id")
    return row


async def delete_endpoint(session: AsyncSession, principal: Principal, endpoint_id: int) -> None:
    row = await load_endpoint(session, principal, endpoint_id)
    await session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == row.id))


async def replay(session: AsyncSession, principal: Principal, endpoint_id: int, from_event_id: int | None) -> WebhookEndpoint:
    """Move the endpoint's cursor back so it receives again from `from_event_id` (inclusive; None:
    from the brand's first event), and re-enable it with a clean failure count."""
    row = await load_endpoint(session, principal, endpoint_id)
    if from_event_id is None:
        txid, event_id = 0, 0
    else:
        event = (
            await session.execute(
                select(DomainEventRecord.txid, DomainEventRecord.id)
                .where(DomainEventRecord.id == from_event_id, DomainEventRecord.tenant_id == row.tenant_id)
            )
        ).first()
        if event is None:
            raise DomainError(Codes.NOT_FOUND, "event not found", "fromEventId")
        txid, event_id = event[0], event[1] - 1
    row.cursor_txid, row.cursor_event_id = txid, event_id
    row.enabled, row.consecutive_failures, row.disabled_at, row.disabled_reason = True, 0, None, ""
    row.next_attempt_at = None
    row.lease_owner, row.lease_until = None, None  # a dispatcher mid-batch loses its lease: its cursor write is dropped
    await session.flush()
    return row
