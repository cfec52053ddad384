"""Load rows on behalf of a principal: tenant isolation first, then node-scope permission.

A row of another tenant is reported as NOT_FOUND, never as forbidden, so ids from another
brand reveal nothing. Inside the tenant, a staff member outside their subtree gets
PERMISSION_DENIED.
"""
from __future__ import annotations

from enum import Enum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from core.errors import DomainError
from store_network.models import NetworkNode, Store


def require_tenant(principal: Principal, codes: type[Enum]) -> int:
    if principal.tenant_id is None:
        raise DomainError(codes.UNAUTHENTICATED, "no tenant: send X-Tenant or authenticate", None)
    return principal.tenant_id


async def load_store(
    session: AsyncSession,
    principal: Principal,
    store_id: int,
    codes: type[Enum],
    permission: Permission | None = None,
    field: str = "storeId",
) -> tuple[Store, str]:
    """The store and its node path; `permission` (if given) must cover the store."""
    tenant_id = require_tenant(principal, codes)
    row = (
        await session.execute(
            select(Store, NetworkNode.path)
            .join(NetworkNode, NetworkNode.id == Store.node_id)
            .where(Store.id == store_id, Store.tenant_id == tenant_id)
        )
    ).first()
    if row is None:
        raise DomainError(codes.NOT_FOUND, "store not found", field)
    store, path = row
    if permission is not None and not principal.is_authenticated:
        raise DomainError(codes.UNAUTHENTICATED, "sign in first", None)
    if permission is not None and not principal.can(permission, path):
        raise DomainError(codes.PERMISSION_DENIED, f"you may not {permission.value.lower()} for this store", field)
    return store, path


async def load_node(session: AsyncSession, principal: Principal, node_id: int, codes: type[Enum], field: str) -> NetworkNode:
    tenant_id = require_tenant(principal, codes)
    node = await session.scalar(
        select(NetworkNode).where(NetworkNode.id == node_id, NetworkNode.tenant_id == tenant_id)
    )
    if node is None:
        raise DomainError(codes.NOT_FOUND, "network node not found", field)
    return node
