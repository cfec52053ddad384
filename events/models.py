"""The outbox table: every domain event, in the transaction that made the change."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId, UtcDateTime


class DomainEventRecord(Base):
    __tablename__ = "domain_event"
    # Consumers read one tenant's events after a cursor: WHERE tenant_id = :t AND id > :cursor ORDER BY id.
    # Settled readers (events.outbox.read_settled) page by (txid, id) below the oldest running transaction.
    __table_args__ = (
        Index("ix_domain_event_tenant_id_id", "tenant_id", "id"),
        Index("ix_domain_event_tenant_txid_id", "tenant_id", "txid", "id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    type: Mapped[str] = mapped_column(String(64))
    aggregate_type: Mapped[str] = mapped_column(String(32))
    aggregate_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # PostgreSQL: the writing transaction's id (pg_current_xact_id, xid8 as bigint), so a reader can
    # wait for every older transaction to finish before passing an event; SQLite (one writer): 0.
    txid: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
