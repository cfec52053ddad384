"""Map domain failures to payload errors; keep top-level GraphQL errors for malformed requests."""
from __future__ import annotations

import logging
from enum import Enum

from graphql import GraphQLError

from auth.errors import AuthError
from core.errors import DomainError
from core.money import MoneyError
from geo.errors import GeoInputError

log = logging.getLogger(__name__)


class UserInputError(Exception):
    """A malformed argument outside a mutation payload (bad cursor, `first` too large)."""


def no_tenant_error(info) -> Exception:
    """Why a brand-scoped query has no brand: an X-Tenant nobody has (UNKNOWN_TENANT), or none sent."""
    slug = getattr(info.context, "tenant_slug", None)
    if slug and getattr(info.context, "header_tenant_id", None) is None:
        shown = slug if len(slug) <= 64 else slug[:64] + "…"
        return GraphQLError(f"unknown tenant {shown!r}: no brand has this X-Tenant slug", extensions={"code": "UNKNOWN_TENANT"})
    return UserInputError("no tenant: send the X-Tenant header or authenticate")


def payload_errors(exc: Exception, error_type, code_enum: type[Enum], default_field: str | None = None) -> list:
    """One payload error for a DomainError/AuthError/MoneyError, coded in the payload's own enum."""
    if isinstance(exc, (DomainError, AuthError, GeoInputError)):
        raw = getattr(exc.code, "name", str(exc.code))
        field = getattr(exc, "field", None) or default_field
        message = exc.message or str(exc)
    elif isinstance(exc, MoneyError):
        raw, field, message = "AMOUNT_OUT_OF_RANGE", default_field, str(exc)
    else:
        raise exc
    code = code_enum.__members__.get(raw)
    if code is None:
        log.warning("error code %s has no member in %s; reported as INVALID", raw, code_enum.__name__)
        code = code_enum.INVALID
    return [error_type(field=field, code=code, message=message)]


def is_client_error(error: GraphQLError) -> bool:
    """A parse/validation error, a refused document or a malformed argument: the caller's mistake."""
    original = error.original_error
    if original is None or isinstance(original, (UserInputError, GraphQLError)):
        return True
    from strawberry.relay.types import GlobalIDValueError

    return isinstance(original, GlobalIDValueError)


def should_mask_error(error: GraphQLError) -> bool:
    """Mask unexpected exceptions only; validation and user-input errors stay readable.

    Logging happens once, in app.request_log (client errors at INFO, these at ERROR with a traceback).
    """
    return not is_client_error(error)
