"""GraphQL types of store systems: webhook endpoints and their delivery log, POS/ERP sync batches."""
from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from webhooks.errors import WebhookErrorCode as DomainWebhookErrorCode

WebhookErrorCode = strawberry.enum(DomainWebhookErrorCode, name="WebhookErrorCode")


@strawberry.type(description="A problem with the input of a webhook mutation.")
class WebhookError:
    field: str | None
    code: WebhookErrorCode
    message: str


@strawberry.type(description="A URL of the brand's that receives signed events (see README: Store systems).")
class WebhookEndpoint:
    id: strawberry.ID
    url: str
    description: str
    event_types: list[str] = strawberry.field(description="Event types sent; empty: every type.")
    enabled: bool
    consecutive_failures: int
    disabled_at: datetime | None = strawberry.field(description="Set when the dispatcher gave up after a run of failures.")
    disabled_reason: str
    next_attempt_at: datetime | None
    last_event_id: str = strawberry.field(description="The last event delivered (its Qiandian-Event-Id).")
    created_at: datetime


@strawberry.type(description="One attempt to deliver one event to one endpoint.")
class WebhookDelivery:
    id: strawberry.ID
    event_id: str
    event_type: str
    success: bool
    status_code: int | None
    error: str
    duration_ms: int
    created_at: datetime


@strawberry.input
class WebhookEndpointCreateInput:
    url: str = strawberry.field(description="https in production; must not point at a private or loopback address.")
    event_types: list[str] = strawberry.field(default_factory=list, description="e.g. [\"order.paid\"]; empty: every type.")
    description: str = ""


@strawberry.input
class WebhookEndpointDeleteInput:
    id: strawberry.ID


@strawberry.input
class WebhookEndpointReplayInput:
    id: strawberry.ID
    from_event_id: str | None = strawberry.field(default=None, description="Resend from this event on (inclusive); null: from the first.")


@strawberry.type
class WebhookEndpointCreatePayload:
    endpoint: WebhookEndpoint | None = None
    secret: str | None = strawberry.field(default=None, description="The signing secret; store it now, it is never shown again.")
    errors: list[WebhookError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookEndpointDeletePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[WebhookError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookEndpointReplayPayload:
    endpoint: WebhookEndpoint | None = None
    errors: list[WebhookError] = strawberry.field(default_factory=list)
