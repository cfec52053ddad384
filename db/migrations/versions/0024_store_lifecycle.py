"""store lifecycle: OPENING_SOON / OPEN / PAUSED / CLOSED (issue #12 item 1)

Revision ID: 0024
Revises: 0026

SUSPENDED becomes PAUSED (both mean "not trading for now"; store_network.lifecycle).

SQLite cannot alter a CHECK constraint, and batch mode would recreate `store`, which the
geo-version triggers and a dozen foreign keys name (see 0011). The CHECK is text in the
schema table, and the new one accepts every row the old one did once SUSPENDED is
rewritten, so the definition is edited in place, the way SQLite's documentation describes
for constraint changes that leave the stored rows valid ("ALTER TABLE", section 7).
"""
from alembic import op


revision = '0024'
down_revision = '0026'
branch_labels = None
depends_on = None

OLD = "status IN ('OPEN','CLOSED','SUSPENDED')"
NEW = "status IN ('OPENING_SOON','OPEN','PAUSED','CLOSED')"


def _sqlite_replace_check(before: str, after: str) -> None:
    bind = op.get_bind()
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'store'").scalar()
    if sql.count(before) != 1:
        raise RuntimeError(f"store's CHECK constraint is not {before!r}: {sql}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'store'", (sql.replace(before, after),)
        )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")  # other connections re-read the schema
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _swap(before: str, after: str, rewrite: tuple[str, str]) -> None:
    old_value, new_value = rewrite
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_replace_check(before, after)
        op.execute(f"UPDATE store SET status = '{new_value}' WHERE status = '{old_value}'")
        return
    op.execute("ALTER TABLE store DROP CONSTRAINT ck_store_status")
    op.execute(f"UPDATE store SET status = '{new_value}' WHERE status = '{old_value}'")
    op.execute(f"ALTER TABLE store ADD CONSTRAINT ck_store_status CHECK ({after})")


def upgrade() -> None:
    _swap(OLD, NEW, ("SUSPENDED", "PAUSED"))


def downgrade() -> None:
    # OPENING_SOON has no old equivalent: such stores go back as CLOSED (not trading).
    op.execute("UPDATE store SET status = 'CLOSED' WHERE status = 'OPENING_SOON'")
    _swap(NEW, OLD, ("PAUSED", "SUSPENDED"))
