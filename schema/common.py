"""Shared GraphQL shapes: money, page info, payload errors, connections."""
from __future__ import annotations

from typing import Generic, TypeVar

import strawberry

from core.money import fen_to_decimal_string
from schema import enums

T = TypeVar("T")


@strawberry.type(description="An amount of money. `amount` is a decimal string, e.g. \"12.50\"; never a float.")
class Money:
    amount: str
    currency: str

    @staticmethod
    def of(fen: int, currency: str = "CNY") -> "Money":
        return Money(amount=fen_to_decimal_string(fen), currency=currency)


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo

    @strawberry.field(description="The nodes of `edges`, for clients that do not need cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def _error_type(name: str, code_enum):
    fields = {
        "__annotations__": {"field": str | None, "code": code_enum, "message": str},
        "__doc__": f"A problem with the input of a {name.removesuffix('Error').lower()} mutation.",
    }
    return strawberry.type(type(name, (), fields), description=fields["__doc__"])


AccountError = _error_type("AccountError", enums.AccountErrorCode)
CatalogError = _error_type("CatalogError", enums.CatalogErrorCode)
CartError = _error_type("CartError", enums.CartErrorCode)
CheckoutError = _error_type("CheckoutError", enums.CheckoutErrorCode)
OrderError = _error_type("OrderError", enums.OrderErrorCode)
PaymentError = _error_type("PaymentError", enums.PaymentErrorCode)
