"""The server's background dispatch loop (started in the ASGI lifespan).

Every `interval_s` seconds it runs the engine for every city partition with work
(`engine.run_all`), outside any request: the snapshot is read, the solve runs in a worker
thread, the result is written back. Several server processes may run the loop: a partition
is planned by whichever process takes its PostgreSQL advisory lock first; the others skip
it for this round ("locked"). On SQLite there is one process.
"""
from __future__ import annotations

import asyncio
import logging

from core.clock import utc_now
from db.session import Database
from delivery.board.courier import CourierRegistry
from delivery.board.engine import RunOutcome, run_all
from delivery.tracking import TrackingHub

log = logging.getLogger(__name__)


async def dispatch_forever(database: Database, hub: TrackingHub | None, interval_s: float,
                           stop: asyncio.Event | None = None, couriers: CourierRegistry | None = None) -> None:
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            outcomes: list[RunOutcome] = await run_all(database, utc_now(), trigger="period", hub=hub, couriers=couriers)
            for o in outcomes:
                if o.assigned or o.handed_off:
                    log.info("dispatch %s: %d assigned, %d handed off (%.0f ms solve)", o.partition, len(o.assigned),
                             len(o.handed_off), o.solve_ms)
        except Exception:  # noqa: BLE001 - the loop must outlive a bad cycle
            log.exception("dispatch cycle failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
        except asyncio.TimeoutError:
            pass
