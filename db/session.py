"""Engine and session factory for both backends.

SQLite (the embedded default) needs care to be correct under concurrent writers:
WAL so readers never block, a busy timeout so writers queue instead of failing, foreign
keys on, and `BEGIN IMMEDIATE` for write transactions so a transaction that reads and
then writes cannot deadlock on the lock upgrade. PostgreSQL needs none of this.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

WRITE_OPTION = "qiandian_write"
_DEFERRED = "qiandian_after_commit"  # session.info key: [(topic, item, transaction it was queued in)]

CommitHook = Callable[[list], Awaitable[None]]


class WriteSession(Session):
    """The sync session behind Database.write(); keeps the after-commit queue (see `defer`)."""


def defer(session: AsyncSession, topic: str, item) -> None:
    """Queue `item` for the database's after-commit hook of `topic` (Database.set_commit_hook).

    Used for what must only leave the process once the change is durable (live tracking
    messages). Rolling back drops it: the whole transaction, or the savepoint
    (session.begin_nested) it was queued in."""
    sync = session.sync_session
    current = sync.get_nested_transaction() or sync.get_transaction()
    sync.info.setdefault(_DEFERRED, []).append((topic, item, current))


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(WriteSession, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    queued = session.info.get(_DEFERRED)
    if queued:
        session.info[_DEFERRED] = [entry for entry in queued if not _within(entry[2], previous_transaction)]


def create_engine_for(url: str, echo: bool = False) -> AsyncEngine:
    # An unexpected database error is logged with its statement; without hide_parameters its
    # message also carries the bound values (mobiles, addresses, names, token digests) into the
    # error log. echo (local debugging) shows them on purpose.
    hide = not echo
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, hide_parameters=hide, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_async_engine(url, echo=echo, hide_parameters=hide, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised by every SQLite test
        # Take transaction control away from the driver so we can issue BEGIN IMMEDIATE ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection):  # pragma: no cover - exercised by every SQLite test
        if connection.get_execution_options().get(WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


class Database:
    """Owns the engine; hands out short read sessions and transactional write sessions."""

    def __init__(self, url: str, echo: bool = False):
        self.url = url
        self.engine = create_engine_for(url, echo=echo)
        self.is_sqlite = url.startswith("sqlite")
        self._sqlite_writer = asyncio.Lock() if self.is_sqlite else None
        self._read_factory = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._write_factory = async_sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False, autoflush=False,
            sync_session_class=WriteSession,
        )
        self._commit_hooks: dict[str, CommitHook] = {}

    def set_commit_hook(self, topic: str, hook: CommitHook) -> None:
        """`hook(items)` receives what write transactions `defer`red under `topic`, after they
        commit. One hook per topic: setting it again replaces it (start-up may run twice)."""
        self._commit_hooks[topic] = hook

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._read_factory() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed on success, rolled back on any exception. What the
        transaction `defer`red is handed to the commit hooks after the commit, never before."""
        if self._sqlite_writer is not None:
            # SQLite has one writer at a time. Queueing writers here, in order, beats letting
            # them collide on the file lock, where SQLite's busy handler backs off in sleeps
            # of up to 100 ms and turns a queue of 30 writers into seconds of tail latency.
            async with self._sqlite_writer:
                async with self._write_factory() as session:
                    async with session.begin():
                        yield session
                    deferred = session.sync_session.info.pop(_DEFERRED, None)
        else:
            async with self._write_factory() as session:
                async with session.begin():
                    yield session
                deferred = session.sync_session.info.pop(_DEFERRED, None)
        if deferred:  # committed (an exception would have left above); outside the SQLite writer lock
            await self._after_commit(deferred)

    async def _after_commit(self, deferred: list) -> None:
        by_topic: dict[str, list] = {}
        for topic, item, _ in deferred:
            by_topic.setdefault(topic, []).append(item)
        for topic, items in by_topic.items():
            hook = self._commit_hooks.get(topic)
            if hook is None:
                continue  # nobody publishes this topic in this process (a script without tracking)
            try:
                await hook(items)
            except Exception:  # noqa: BLE001 - the change is committed; a failed side effect must not undo the answer
                log.exception("after-commit hook %s failed", topic)

    async def dispose(self) -> None:
        await self.engine.dispose()


class RequestReader:
    """One read session per GraphQL request, used by one coroutine at a time.

    Strawberry resolves sibling fields concurrently; an AsyncSession must never see two
    operations at once, so every use goes through the lock. DataLoaders batch the work,
    so the lock is taken a handful of times per request, not per field.
    """

    def __init__(self, database: Database):
        self._database = database
        self._session: AsyncSession | None = None
        self._context = None
        self.lock = asyncio.Lock()

    async def session(self) -> AsyncSession:
        if self._session is None:
            self._context = self._database.read()
            self._session = await self._context.__aenter__()
        return self._session

    async def execute(self, statement, params=None):
        async with self.lock:
            session = await self.session()
            return await session.execute(statement, params)

    async def scalars(self, statement):
        async with self.lock:
            session = await self.session()
            return (await session.scalars(statement)).all()

    async def close(self) -> None:
        if self._context is not None:
            await self._context.__aexit__(None, None, None)
            self._context = None
            self._session = None
