"""Admins create staff accounts and API keys within their subtree."""
from __future__ import annotations

from strawberry.types import Info

from auth.roles import StaffRole as DomainStaffRole
from commerce.errors import CatalogErrorCode as Codes
from schema import ids
from resolvers.mutation_support import in_transaction
from schema.account import ApiKeyInfo, RoleGrantType, StaffMember
from schema.common import CatalogError
from schema.inputs import ApiKeyCreateInput, ApiKeyRevokeInput, StaffCreateInput
from schema.payloads import ApiKeyCreatePayload, ApiKeyRevokePayload, StaffCreatePayload
from store_network import staff as staff_service


def _key_info(row) -> ApiKeyInfo:
    return ApiKeyInfo(
        id=ids.encode("ApiKey", row.id),
        name=row.name,
        prefix=row.prefix,
        role=DomainStaffRole(row.role),
        node_id=ids.encode("NetworkNode", row.node_id),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


async def staff_create(info: Info, input: StaffCreateInput) -> StaffCreatePayload:
    async def work(session):
        role = DomainStaffRole(input.role.value)
        node_id = ids.decode(input.node_id, "NetworkNode", Codes, "nodeId")
        row = await staff_service.create_staff(
            session, info.context.principal, username=input.username, display_name=input.display_name,
            password=input.password, role=role, node_id=node_id,
        )
        grant = RoleGrantType(role=role, node_id=ids.encode("NetworkNode", node_id))
        return {"staff": StaffMember(id=ids.encode("Staff", row.id), username=row.username, display_name=row.display_name, roles=[grant])}

    return await in_transaction(info, StaffCreatePayload, CatalogError, Codes, work)


async def api_key_create(info: Info, input: ApiKeyCreateInput) -> ApiKeyCreatePayload:
    async def work(session):
        row, plain = await staff_service.create_api_key(
            session, info.context.principal, name=input.name, role=DomainStaffRole(input.role.value),
            node_id=ids.decode(input.node_id, "NetworkNode", Codes, "nodeId"),
        )
        return {"api_key": _key_info(row), "key": plain}

    return await in_transaction(info, ApiKeyCreatePayload, CatalogError, Codes, work)


async def api_key_revoke(info: Info, input: ApiKeyRevokeInput) -> ApiKeyRevokePayload:
    async def work(session):
        row = await staff_service.revoke_api_key(session, info.context.principal, ids.decode(input.id, "ApiKey", Codes, "id"))
        return {"api_key": _key_info(row)}

    return await in_transaction(info, ApiKeyRevokePayload, CatalogError, Codes, work)
