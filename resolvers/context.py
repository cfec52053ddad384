"""Per-request context: who is calling, a read session, and the request's DataLoaders."""
from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request

from auth.errors import AuthError
from auth.roles import Principal
from auth.service import principal_from_access_token, principal_from_api_key
from db.session import RequestReader
from resolvers.loaders import Loaders
from resolvers.services import Services


@dataclass
class RequestContext:
    request: Request
    services: Services
    principal: Principal
    reader: RequestReader
    loaders: Loaders
    auth_error: str | None = None
    header_tenant_id: int | None = None  # the brand named by X-Tenant; sign-in mutations use only this
    response_headers: dict[str, str] = field(default_factory=dict)

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
    header = request.headers.get("authorization", "")
    api_key = request.headers.get("x-api-key")
    scheme, _, credential = header.partition(" ")
    try:
        if scheme.lower() == "bearer" and credential:
            async with services.database.read() as session:
                return await principal_from_access_token(session, services.signer, credential.strip()), None
        if scheme.lower() == "apikey" and credential or api_key:
            async with services.database.read() as session:
                return await principal_from_api_key(session, (credential or api_key).strip()), None
    except AuthError as exc:
        tenant_id = await _tenant_from_header(request, services)
        return Principal.anonymous(tenant_id), f"{exc.code.value}: {exc.message}"
    return Principal.anonymous(await _tenant_from_header(request, services)), None


async def _tenant_from_header(request: Request, services: Services) -> int | None:
    slug = request.headers.get("x-tenant")
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
        loaders=Loaders(reader, principal.tenant_id),
        auth_error=auth_error,
        header_tenant_id=header_tenant_id,
    )
