"""Mandatory products: what a node's whole subtree must keep listed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from db.base import Base, UtcDateTime


class MandatoryProduct(Base):
    """HQ (or a partner, for its region) says every store below `node_id` sells this product:
    none of its SKUs may be de-listed there, by staff or by a POS file (PRODUCT_MANDATORY)."""

    __tablename__ = "mandatory_product"
    node_id: Mapped[int] = mapped_column(ForeignKey("network_node.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True, index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
