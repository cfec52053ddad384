"""Storefront versions: one row per version of one node's document.

A node has at most one DRAFT (its working copy, replaced by each save); publishing freezes it
as history. Rollback publishes a copy of an old version as a new one, so no published row is
ever rewritten. Resolution takes, per node, the PUBLISHED version with the latest
`publish_at` not after now (a future `publish_at` is a scheduled publish; no job needed).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from db.base import Base, BigId, UtcDateTime


class StorefrontVersion(Base):
    __tablename__ = "storefront_version"
    __table_args__ = (
        UniqueConstraint("node_id", "version"),
        CheckConstraint("status IN ('DRAFT','PUBLISHED')", name="status"),
        CheckConstraint("status = 'DRAFT' OR publish_at IS NOT NULL", name="published_has_time"),
        Index("ix_storefront_version_node_status_publish_at", "node_id", "status", "publish_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("network_node.id"))
    version: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per node
    status: Mapped[str] = mapped_column(String(16), default="DRAFT")
    document: Mapped[dict] = mapped_column(JSON)  # storefront.document.Document, validated, ids as integers
    publish_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rolled_back_from: Mapped[int | None] = mapped_column(Integer)  # the version this one copies
    # Audit: who saved the draft last and who published it (a staff member or an API key).
    saved_by: Mapped[str] = mapped_column(String(64))  # global ID of the Staff or ApiKey
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    published_by: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
