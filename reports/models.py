"""The rollup: one row per store per local day (the store's timezone), counters only.

Every counter is an integer (counts, or fen) that listeners move with `x = x + :d`, so
concurrent orders of one store never lose an update. Rates and averages are derived when read.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from db.base import Base, BigId, UtcDateTime

COUNTERS = (
    "orders", "gmv_fen", "pickup_orders", "refunds", "refund_fen", "cancelled", "delivered", "delivered_on_time",
)


def _counter() -> Mapped[int]:
    return mapped_column(BigInteger, default=0, server_default="0")


class ReportStoreDay(Base):
    __tablename__ = "report_store_day"
    __table_args__ = (
        UniqueConstraint("store_id", "day"),  # the upsert's conflict target
        Index("ix_report_store_day_tenant_day", "tenant_id", "day"),  # HQ and partner windows
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    day: Mapped[date] = mapped_column(Date)  # the store's local calendar day
    orders: Mapped[int] = _counter()  # orders paid that day
    gmv_fen: Mapped[int] = _counter()  # their totals
    pickup_orders: Mapped[int] = _counter()  # of them, STORE_PICKUP
    refunds: Mapped[int] = _counter()  # refunds that succeeded that day (partial ones and whole-order ones)
    refund_fen: Mapped[int] = _counter()
    cancelled: Mapped[int] = _counter()  # unpaid orders cancelled that day (customer, staff, expiry)
    delivered: Mapped[int] = _counter()  # same-city orders with a promise, delivered that day
    delivered_on_time: Mapped[int] = _counter()  # of them, delivered by their promised time


class ReportFact(Base):
    """A fact the rollup has counted (kind + the row it came from): a listener that hears the
    same fact twice finds its row and adds nothing."""

    __tablename__ = "report_fact"
    __table_args__ = (UniqueConstraint("kind", "source_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # PAID, CANCELLED, DELIVERED, ORDER_REFUND (order id); REFUND (payment_refund id)
    source_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
