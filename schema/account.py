"""Viewer, customer, staff and token types."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from schema.nodes import EncodedIdNode

from schema.enums import StaffRole


@strawberry.type
class AuthTokens:
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime
    token_type: str = "Bearer"


@strawberry.type(description="A saved delivery address; longitude/latitude are WGS-84 whatever system it was created in.")
class Address(EncodedIdNode):
    id: relay.NodeID[str]
    label: str
    recipient: str
    mobile: str
    line: str
    longitude: float
    latitude: float

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        from resolvers import nodes

        return await nodes.addresses(info, node_ids)


@strawberry.type
class RoleGrantType:
    role: StaffRole
    node_id: strawberry.ID


@strawberry.type(description="Who the request is authenticated as.")
class Viewer:
    kind: str = strawberry.field(description="ANONYMOUS, CUSTOMER, STAFF, API_KEY or RIDER")
    tenant: str | None
    customer_id: strawberry.ID | None
    mobile: str | None
    staff_id: strawberry.ID | None
    roles: list[RoleGrantType]
    addresses: list[Address]
    auth_error: str | None = strawberry.field(description="Why the credential sent was not accepted, if it was not.")


@strawberry.type
class StaffMember:
    id: strawberry.ID
    username: str
    display_name: str
    roles: list[RoleGrantType]


@strawberry.type(description="A server-to-server credential. The key itself is shown once, at creation.")
class ApiKeyInfo:
    id: strawberry.ID
    name: str
    prefix: str
    role: StaffRole
    node_id: strawberry.ID
    created_at: datetime
    revoked_at: datetime | None
