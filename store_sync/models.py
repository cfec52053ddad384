"""The newest version applied per (store, SKU, kind) from a store system; per-store listing."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UtcDateTime


class SyncVersion(Base):
    """An update with a version at or below `version` is stale and skipped. `kind` is
    'stock' (absolute counts), 'price' or 'listing'."""

    __tablename__ = "sync_version"
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    version: Mapped[int] = mapped_column(BigInteger)




class StoreListing(Base):
    """Whether a store sells a SKU. No row: listed (every SKU of the brand is, until a store or
    HQ de-lists it). A de-listed SKU is hidden from the store's storefront and refused by cart
    and checkout (store_sync.listing)."""

    __tablename__ = "store_listing"
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    listed: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
