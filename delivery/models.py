"""Riders of the chain's own fleet (shifts, dispatch and courier adapters build on this)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from db.base import Base, BigId, UtcDateTime


class Rider(Base):
    __tablename__ = "rider"
    __table_args__ = (
        UniqueConstraint("tenant_id", "mobile"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("status IN ('OFF_SHIFT','AVAILABLE','BUSY','SUSPENDED')", name="status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    home_store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    mobile: Mapped[str] = mapped_column(String(20))
    vehicle: Mapped[str] = mapped_column(String(16), default="E_BIKE")
    capacity: Mapped[int] = mapped_column(Integer, default=6)
    status: Mapped[str] = mapped_column(String(16), default="OFF_SHIFT")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
