"""The newest version applied per (store, SKU, kind) from a store system."""
from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base


class SyncVersion(Base):
    """An update with a version at or below `version` is stale and skipped. `kind` is
    'stock' (absolute counts) or 'price'."""

    __tablename__ = "sync_version"
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    version: Mapped[int] = mapped_column(BigInteger)


