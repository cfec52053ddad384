"""Partner prices, time prices and the price-change audit. Bands are two columns on network_node."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from db.base import Base, BigId, UtcDateTime


class PartnerPrice(Base):
    """A partner node's price for a SKU in every store below it (the nearest partner wins)."""

    __tablename__ = "partner_price"
    __table_args__ = (
        UniqueConstraint("node_id", "sku_id"),
        CheckConstraint("price_fen > 0", name="price_positive"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("network_node.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)


class TimePrice(Base):
    """A time-limited price for a SKU on a store's node or a partner's subtree.

    Either `percent_off` or `price_fen`. Active inside [starts_at, ends_at) when given and, when
    a daily window is given, between `daily_start_minute` and `daily_end_minute` of the store's
    local day (a window whose end is before its start runs across midnight). `ended_at` set by
    timePriceEnd takes it out for good.
    """

    __tablename__ = "time_price"
    __table_args__ = (
        CheckConstraint("(percent_off IS NULL) <> (price_fen IS NULL)", name="one_kind"),
        CheckConstraint("percent_off IS NULL OR (percent_off > 0 AND percent_off < 100)", name="percent_range"),
        CheckConstraint("price_fen IS NULL OR price_fen > 0", name="price_positive"),
        CheckConstraint("(daily_start_minute IS NULL) = (daily_end_minute IS NULL)", name="window_pair"),
        Index("ix_time_price_node_sku", "node_id", "sku_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("network_node.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"))
    percent_off: Mapped[int | None] = mapped_column(Integer)
    price_fen: Mapped[int | None] = mapped_column(BigInteger)
    daily_start_minute: Mapped[int | None] = mapped_column(Integer)  # minutes after local midnight
    daily_end_minute: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class PriceChange(Base):
    """One row per price change, written in the transaction that made it (audit)."""

    __tablename__ = "price_change"
    __table_args__ = (
        CheckConstraint("source IN ('STORE','PARTNER','TIME')", name="source"),
        CheckConstraint("channel IN ('API','CSV','POS')", name="channel"),
        Index("ix_price_change_tenant_node", "tenant_id", "node_id", "id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    node_id: Mapped[int] = mapped_column(ForeignKey("network_node.id"))  # the store's node, or the partner's
    store_id: Mapped[int | None] = mapped_column(ForeignKey("store.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"))
    old_fen: Mapped[int | None] = mapped_column(BigInteger)
    new_fen: Mapped[int | None] = mapped_column(BigInteger)  # None: cleared (the price above applies)
    source: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    actor_api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_key.id"))
    time_price_id: Mapped[int | None] = mapped_column(ForeignKey("time_price.id"))
    reason: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
