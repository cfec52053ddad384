"""The one error type domain code raises for anything a client can fix.

Resolvers turn it into a payload error `{ field code message }`; `code` is a member of a
per-domain str Enum so the GraphQL layer can expose it as a typed enum.
"""
from __future__ import annotations

from enum import Enum


class DomainError(Exception):
    def __init__(self, code: Enum, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"DomainError({self.code!s}, {self.message!r}, field={self.field!r})"


class CommonErrorCode(str, Enum):
    """Codes every domain's error enum also carries, so shared helpers can raise them."""

    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
