"""Sign-in mutations and the customer's address book."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from strawberry.types import Info

from auth import service as auth_service
from auth.captcha import require_human
from auth.errors import AuthError
from commerce import addresses
from commerce.models import Address, Customer
from core.clock import utc_now
from core.errors import DomainError
from geo.coordinates import CoordinateSystem as DomainCoordinateSystem
from resolvers.errors import payload_errors
from schema.ids import decode, encode
from resolvers.mutation_support import guarded, in_transaction
from schema import account as types
from schema.common import AccountError
from schema.inputs import (
    AddressCreateInput,
    AddressDeleteInput,
    AddressUpdateInput,
    CustomerLoginInput,
    LogoutInput,
    RequestLoginCodeInput,
    StaffLoginInput,
    TokenRefreshInput,
)
from schema.payloads import (
    AddressCreatePayload,
    AddressDeletePayload,
    AddressUpdatePayload,
    AuthPayload,
    LogoutPayload,
    RequestLoginCodePayload,
)

Codes = auth_service.AccountErrorCode


def _tenant(info: Info) -> int:
    """Sign-in happens in the brand named by X-Tenant, whatever stale token the device still sends."""
    tenant_id = info.context.header_tenant_id
    if tenant_id is None:
        slug = info.context.tenant_slug
        if slug:
            raise DomainError(Codes.UNKNOWN_TENANT, f"unknown tenant {slug[:64]!r}: no brand has this X-Tenant slug", None)
        raise DomainError(Codes.UNAUTHENTICATED, "send the X-Tenant header to sign in", None)
    return tenant_id


def _tokens(pair) -> types.AuthTokens:
    return types.AuthTokens(
        access_token=pair.access,
        refresh_token=pair.refresh,
        access_expires_at=pair.access_expires_at,
        refresh_expires_at=pair.refresh_expires_at,
    )


async def request_login_code(info: Info, input: RequestLoginCodeInput) -> RequestLoginCodePayload:
    services = info.context.services
    client_address = info.context.client_address

    async def run():
        tenant_id = _tenant(info)
        # Before the transaction: a captcha provider is a network call, not to be made holding the writer.
        await require_human(services.captcha, input.captcha_token, client_address)
        async with info.context.database.write() as session:
            to_send = await auth_service.request_login_code(
                session, tenant_id, input.mobile, utc_now(), timedelta(seconds=services.settings.login_code_ttl_s),
                services.code_pepper, client_address=client_address, budgets=services.settings.sms_budgets,
            )
        await services.sms.send_login_code(to_send.mobile, to_send.code)  # committed first: no locks held while texting
        return {"sent": True}

    return await guarded(RequestLoginCodePayload, AccountError, Codes, run)


async def customer_login(info: Info, input: CustomerLoginInput) -> AuthPayload:
    services = info.context.services
    try:
        async with info.context.database.write() as session:
            outcome = await auth_service.login_with_code(
                session, services.signer, _tenant(info), input.mobile, input.code, utc_now(), services.code_pepper
            )
    except (AuthError, DomainError) as exc:
        return AuthPayload(errors=payload_errors(exc, AccountError, Codes))
    if isinstance(outcome, AuthError):  # wrong code: the attempt was counted and committed
        return AuthPayload(errors=payload_errors(outcome, AccountError, Codes))
    return AuthPayload(tokens=_tokens(outcome.tokens))


async def staff_login(info: Info, input: StaffLoginInput) -> AuthPayload:
    services = info.context.services

    async def work(session):
        result = await auth_service.login_staff(session, services.signer, _tenant(info), input.username, input.password)
        return {"tokens": _tokens(result.tokens)}

    return await in_transaction(info, AuthPayload, AccountError, Codes, work)


async def token_refresh(info: Info, input: TokenRefreshInput) -> AuthPayload:
    services = info.context.services
    try:
        async with info.context.database.write() as session:
            outcome = await auth_service.refresh_tokens(session, services.signer, input.refresh_token, utc_now())
    except (AuthError, DomainError) as exc:
        return AuthPayload(errors=payload_errors(exc, AccountError, Codes))
    if isinstance(outcome, AuthError):  # a replay: the session's revocation was committed
        return AuthPayload(errors=payload_errors(outcome, AccountError, Codes))
    return AuthPayload(tokens=_tokens(outcome.tokens))


async def logout(info: Info, input: LogoutInput) -> LogoutPayload:
    services = info.context.services

    async def work(session):
        await auth_service.logout(session, services.signer, info.context.principal, input.refresh_token, utc_now())
        return {"logged_out": True}

    return await in_transaction(info, LogoutPayload, AccountError, Codes, work)


def _address_input(input) -> addresses.AddressInput:
    return addresses.AddressInput(
        label=input.label, recipient=input.recipient, mobile=input.mobile, line=input.line,
        longitude=input.longitude, latitude=input.latitude, system=DomainCoordinateSystem(input.system.value),
    )


async def address_create(info: Info, input: AddressCreateInput) -> AddressCreatePayload:
    principal = info.context.principal

    async def work(session):
        return {"address": address_type(await addresses.create_address(session, principal, _address_input(input)))}

    return await in_transaction(info, AddressCreatePayload, AccountError, Codes, work)


async def address_update(info: Info, input: AddressUpdateInput) -> AddressUpdatePayload:
    principal = info.context.principal

    async def work(session):
        pk = decode(input.id, "Address", Codes, "id")
        return {"address": address_type(await addresses.update_address(session, principal, pk, _address_input(input)))}

    return await in_transaction(info, AddressUpdatePayload, AccountError, Codes, work)


async def address_delete(info: Info, input: AddressDeleteInput) -> AddressDeletePayload:
    principal = info.context.principal

    async def work(session):
        await addresses.delete_address(session, principal, decode(input.id, "Address", Codes, "id"))
        return {"deleted_id": input.id}

    return await in_transaction(info, AddressDeletePayload, AccountError, Codes, work)


def address_type(row: Address) -> types.Address:
    return types.Address(
        id=encode("Address", row.id),
        label=row.label,
        recipient=row.recipient,
        mobile=row.mobile,
        line=row.line,
        longitude=row.lon,
        latitude=row.lat,
    )


async def viewer(info: Info) -> types.Viewer:
    principal = info.context.principal
    tenant = None
    mobile = None
    addresses: list[types.Address] = []
    if principal.customer_id is not None:
        mobile = await info.context.reader.execute(
            select(Customer.mobile).where(Customer.id == principal.customer_id)
        )
        mobile = mobile.scalar()
        rows = await info.context.reader.scalars(
            select(Address).where(Address.customer_id == principal.customer_id).order_by(Address.id)
        )
        addresses = [address_type(r) for r in rows]
    if principal.tenant_id is not None:
        from store_network.models import Tenant

        tenant = (await info.context.reader.execute(select(Tenant.slug).where(Tenant.id == principal.tenant_id))).scalar()
    return types.Viewer(
        kind=principal.kind.value,
        tenant=tenant,
        customer_id=encode("Customer", principal.customer_id) if principal.customer_id else None,
        mobile=mobile,
        staff_id=encode("Staff", principal.staff_id) if principal.staff_id else None,
        roles=[types.RoleGrantType(role=g.role, node_id=encode("NetworkNode", g.node_id)) for g in principal.grants],
        addresses=addresses,
        auth_error=info.context.auth_error,
    )


__all__ = [
    "address_create",
    "address_delete",
    "customer_login",
    "logout",
    "request_login_code",
    "staff_login",
    "token_refresh",
    "viewer",
]
