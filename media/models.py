"""A product's images, in gallery order; the first is its featured image."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from db.base import Base, BigId, UtcDateTime


class ProductImage(Base):
    __tablename__ = "product_image"
    __table_args__ = (
        CheckConstraint("width BETWEEN 1 AND 10000", name="width"),
        CheckConstraint("height BETWEEN 1 AND 10000", name="height"),
        Index("ix_product_image_product_position", "product_id", "position", "id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    url: Mapped[str] = mapped_column(String(2000))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    alt_text: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer)  # 0-based, dense: 0..n-1 after every change
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
