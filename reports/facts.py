"""What the rollup counts, and on which local day: the one definition both paths follow.

Every counter counts on the local day (the store's timezone) on which its fact happened:

* PAID: the order was paid -> orders +1, gmv +total, pickup_orders +1 for STORE_PICKUP.
* CANCELLED: an unpaid order was cancelled -> cancelled +1.
* DELIVERED: a same-city order with a promised time reached COMPLETED from DELIVERING ->
  delivered +1, delivered_on_time +1 when at <= promised_by.
* REFUND: a partial refund (payments.refunds, after-sales) succeeded -> refunds +1, refund_fen
  +amount; not counted once the whole order was refunded before it (the whole-order refund
  already counted all that was left).
* ORDER_REFUND: the order was refunded whole -> refunds +1, refund_fen + the total less the
  partial refunds that had succeeded by then.

A refund therefore counts on the day the money went back, not on the order's day: a closed
day's figures never change afterwards, and a day's refunds match the payment provider's
statement for that day. Net sales of a day = its GMV - its refunds.

`rollup` applies these as events arrive; `rebuild` reads them back from the order tables
(`fact_selects` below), so the two can be compared at any time.
"""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import case, exists, func, literal, select
from sqlalchemy.orm import aliased

from commerce.models import Order, OrderEvent
from payments.models import PaymentRefund
from store_network.models import Store

PICKUP = "STORE_PICKUP"
SAME_CITY = "SAME_CITY_DELIVERY"


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_day(at: datetime, timezone: str) -> date:
    return at.astimezone(zone(timezone)).date()


def paid_counters(total_fen: int, fulfilment_type: str) -> dict[str, int]:
    return {"orders": 1, "gmv_fen": total_fen, "pickup_orders": int(fulfilment_type == PICKUP)}


def delivered_counters(at: datetime, promised_by: datetime) -> dict[str, int]:
    return {"delivered": 1, "delivered_on_time": int(at <= promised_by)}


def _partials_by(order_id_column, at_column):
    """SQL: fen of the order's partial refunds that had succeeded by `at_column`."""
    return (
        select(func.coalesce(func.sum(PaymentRefund.amount_fen), 0))
        .where(PaymentRefund.order_id == order_id_column, PaymentRefund.status == "SUCCEEDED",
               PaymentRefund.updated_at <= at_column)
        .scalar_subquery()
    )


def fact_selects(tenant_id: int, since: datetime | None, until: datetime | None):
    """One SELECT per fact, each of (store_id, timezone, at, <counter columns>), for the
    tenant's facts whose time is in [since, until) (None: unbounded)."""

    def window(column):
        conditions = []
        if since is not None:
            conditions.append(column >= since)
        if until is not None:
            conditions.append(column < until)
        return conditions

    paid = (
        select(Order.store_id, Store.timezone, Order.paid_at.label("at"),
               literal(1).label("orders"), Order.total_fen.label("gmv_fen"),
               case((Order.fulfilment_type == PICKUP, 1), else_=0).label("pickup_orders"))
        .join(Store, Store.id == Order.store_id)
        .where(Order.tenant_id == tenant_id, Order.paid_at.is_not(None), *window(Order.paid_at))
    )

    def transitions(to_status: str, *conditions):
        return (
            select(Order.store_id, Store.timezone, OrderEvent.created_at.label("at"))
            .select_from(OrderEvent)
            .join(Order, Order.id == OrderEvent.order_id)
            .join(Store, Store.id == Order.store_id)
            .where(Order.tenant_id == tenant_id, OrderEvent.to_status == to_status, *conditions,
                   *window(OrderEvent.created_at))
        )

    cancelled = transitions("CANCELLED").add_columns(literal(1).label("cancelled"))
    delivered = transitions(
        "COMPLETED", OrderEvent.from_status == "DELIVERING", Order.fulfilment_type == SAME_CITY,
        Order.promised_by.is_not(None),
    ).add_columns(literal(1).label("delivered"),
                  case((OrderEvent.created_at <= Order.promised_by, 1), else_=0).label("delivered_on_time"))
    order_refund = transitions("REFUNDED").add_columns(
        literal(1).label("refunds"),
        (Order.total_fen - _partials_by(Order.id, OrderEvent.created_at)).label("refund_fen"),
    )
    whole = aliased(OrderEvent)
    refunded_before = exists().where(whole.order_id == PaymentRefund.order_id, whole.to_status == "REFUNDED",
                                     whole.created_at < PaymentRefund.updated_at)
    partial = (
        select(Order.store_id, Store.timezone, PaymentRefund.updated_at.label("at"),
               literal(1).label("refunds"), PaymentRefund.amount_fen.label("refund_fen"))
        .select_from(PaymentRefund)
        .join(Order, Order.id == PaymentRefund.order_id)
        .join(Store, Store.id == Order.store_id)
        .where(Order.tenant_id == tenant_id, PaymentRefund.status == "SUCCEEDED", ~refunded_before,
               *window(PaymentRefund.updated_at))
    )
    return [paid, cancelled, delivered, order_refund, partial]


