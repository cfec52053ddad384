"""Per-request context: who is calling, a read session, and the request's DataLoaders."""
from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from strawberry.exceptions import ConnectionRejectionError

from auth.errors import AuthError
from auth.roles import Principal
from auth.service import principal_from_access_token, principal_from_api_key
from core.client_address import client_address
from db.session import RequestReader
from app.credential_headers import ambiguity
from resolvers.loaders import Loaders
from app.services import Services


@dataclass
class RequestContext:
    request: Request
    services: Services
    principal: Principal
    reader: RequestReader
    loaders: Loaders
    auth_error: str | None = None
    header_tenant_id: int | None = None  # the brand named by X-Tenant; sign-in mutations use only this
    tenant_slug: str | None = None  # X-Tenant as sent: set with header_tenant_id None means UNKNOWN_TENANT
    response_headers: dict[str, str] = field(default_factory=dict)
    connection_params: dict | None = None  # graphql-transport-ws connection_init payload (subscriptions)
    client_address: str | None = None  # the caller's address (X-Forwarded-For only from trusted proxies)

    @property
    def database(self):
        return self.services.database

    @property
    def tenant_id(self) -> int | None:
        return self.principal.tenant_id


async def authenticate(request: Request, services: Services) -> tuple[Principal, str | None]:
    """Bearer JWT, or `ApiKey <key>` / X-Api-Key; otherwise anonymous in the X-Tenant brand.

    A bad credential does not fail the whole request: the caller becomes anonymous and
    every field that needs a sign-in answers UNAUTHENTICATED with the reason.
    """
    return await authenticate_headers(request.headers, services)


async def authenticate_headers(headers, services: Services) -> tuple[Principal, str | None]:
    """`authenticate` over any case-insensitive mapping of headers (a request's, or a websocket's
    connection_init payload: browsers cannot set headers on a WebSocket)."""
    header = headers.get("authorization", "")
    api_key = headers.get("x-api-key")
    scheme, _, credential = header.partition(" ")
    try:
        if scheme.lower() == "bearer" and credential:
            async with services.database.read() as session:
                return await principal_from_access_token(session, services.signer, credential.strip()), None
        if scheme.lower() == "apikey" and credential or api_key:
            async with services.database.read() as session:
                return await principal_from_api_key(session, (credential or api_key).strip()), None
    except AuthError as exc:
        tenant_id = await _tenant_from_header(headers, services)
        return Principal.anonymous(tenant_id), f"{exc.code.value}: {exc.message}"
    return Principal.anonymous(await _tenant_from_header(headers, services)), None


async def _tenant_from_header(headers, services: Services) -> int | None:
    if hasattr(headers, "headers"):  # a Request
        headers = headers.headers
    return await tenant_for_slug(headers.get("x-tenant"), services)


async def tenant_for_slug(slug: str | None, services: Services) -> int | None:
    """The tenant an `X-Tenant` value names (None if none); the response cache keys on this too."""
    if not slug or len(slug) > 64:
        return None
    return await services.tenant_id_for_slug(slug)


async def build_context(request: Request, services: Services) -> RequestContext:
    principal, auth_error = await authenticate(request, services)
    reader = RequestReader(services.database)
    header_tenant_id = await _tenant_from_header(request, services)
    return RequestContext(
        request=request,
        services=services,
        principal=principal,
        reader=reader,
        loaders=Loaders(reader, principal.tenant_id, principal.customer_id),
        auth_error=auth_error,
        header_tenant_id=header_tenant_id,
        tenant_slug=request.headers.get("x-tenant"),
        client_address=client_address(
            request.client.host if request.client else None,
            request.headers.get("x-forwarded-for"),
            services.settings.trusted_proxy_networks,
        ),
    )


async def authenticate_connection(context: RequestContext, params: dict) -> None:
    """Subscriptions: credentials in the connection_init payload (`{"Authorization": "Bearer ..",
    "X-Tenant": ".."}`) replace an anonymous handshake's principal."""
    if context.principal.is_authenticated or not isinstance(params, dict):
        return
    # "Authorization" and "authorization" would both become one key below: refuse, as for headers.
    problem = ambiguity(str(k).lower() for k in params)
    if problem is not None:
        raise ConnectionRejectionError({"message": problem, "code": "AMBIGUOUS_CREDENTIALS"})
    headers = {str(k).lower(): str(v) for k, v in params.items() if isinstance(v, (str, int))}
    if not headers:
        return
    principal, auth_error = await authenticate_headers(headers, context.services)
    context.principal, context.auth_error = principal, auth_error
    context.loaders = Loaders(context.reader, principal.tenant_id, principal.customer_id)
    if context.header_tenant_id is None:
        context.header_tenant_id = await _tenant_from_header(headers, context.services)
        context.tenant_slug = context.tenant_slug or headers.get("x-tenant")
