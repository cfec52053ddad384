"""Staff accounts and API keys, created by admins inside their own subtree.

Granting happens only at nodes the caller may MANAGE_STAFF, so nobody can hand out a role
above their own place in the network (a partner admin cannot create an HQ admin).
"""
from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.api_keys import generate_api_key
from auth.passwords import PasswordPolicyError, hash_password
from auth.roles import Permission, Principal, StaffRole
from core.clock import utc_now
from core.errors import DomainError
from store_network.access import load_node
from store_network.errors import NetworkErrorCode as Codes
from store_network.models import ApiKey, NetworkNode, Staff
from store_network.provisioning import add_staff

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD = 10
# A role only makes sense at nodes of matching depth.
ROLE_NODE_KINDS = {
    StaffRole.HQ_ADMIN: {"HQ"},
    StaffRole.PARTNER_ADMIN: {"PARTNER"},
    StaffRole.STORE_MANAGER: {"STORE"},
    StaffRole.STORE_STAFF: {"STORE"},
}


async def _grantable_node(session: AsyncSession, principal: Principal, node_id: int, role: StaffRole) -> NetworkNode:
    node = await load_node(session, principal, node_id, Codes, "nodeId")
    if not principal.can(Permission.MANAGE_STAFF, node.path):
        raise DomainError(Codes.PERMISSION_DENIED, "you may not manage staff at this node", "nodeId")
    if node.kind not in ROLE_NODE_KINDS[role]:
        raise DomainError(Codes.INVALID, f"{role.value} is granted on a {'/'.join(ROLE_NODE_KINDS[role])} node", "role")
    return node


async def create_staff(
    session: AsyncSession, principal: Principal, *, username: str, display_name: str, password: str, role: StaffRole, node_id: int
) -> Staff:
    if not _USERNAME.match(username):
        raise DomainError(Codes.INVALID, "username: 3-64 of a-z 0-9 . _ -, starting with a letter or digit", "username")
    if len(password) < MIN_PASSWORD:
        raise DomainError(Codes.INVALID, f"password must be at least {MIN_PASSWORD} characters", "password")
    node = await _grantable_node(session, principal, node_id, role)
    try:
        password_hash = hash_password(password)
    except PasswordPolicyError as exc:
        raise DomainError(Codes.INVALID, exc.message, "password") from None
    try:
        async with session.begin_nested():
            return await add_staff(
                session, node.tenant_id, username, password, [(role.value, node)],
                display_name=display_name.strip()[:200] or username, password_hash=password_hash,
            )
    except IntegrityError:
        raise DomainError(Codes.DUPLICATE, "this username is taken", "username") from None


async def create_api_key(
    session: AsyncSession, principal: Principal, *, name: str, role: StaffRole, node_id: int
) -> tuple[ApiKey, str]:
    """Returns the row and the plain key, which is shown this once and never stored."""
    if not name.strip() or len(name) > 200:
        raise DomainError(Codes.INVALID, "name must be 1-200 characters", "name")
    node = await _grantable_node(session, principal, node_id, role)
    plain, prefix, key_hash = generate_api_key()
    row = ApiKey(tenant_id=node.tenant_id, name=name.strip(), prefix=prefix, key_hash=key_hash, role=role.value, node_id=node.id)
    session.add(row)
    await session.flush()
    return row, plain


async def revoke_api_key(session: AsyncSession, principal: Principal, api_key_id: int) -> ApiKey:
    row = await session.scalar(select(ApiKey).where(ApiKey.id == api_key_id, ApiKey.tenant_id == principal.tenant_id))
    if row is None:
        raise DomainError(Codes.NOT_FOUND, "API key not found", "id")
    node = await session.get(NetworkNode, row.node_id)
    if not principal.can(Permission.MANAGE_STAFF, node.path):
        raise DomainError(Codes.PERMISSION_DENIED, "you may not manage keys at this node", "id")
    await session.execute(
        update(ApiKey).where(ApiKey.id == row.id, ApiKey.revoked_at.is_(None)).values(revoked_at=utc_now())
    )
    await session.refresh(row)
    return row
