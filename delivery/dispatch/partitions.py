"""Running one CityDispatcher per city partition off the request path, and sharing partitions
between processes."""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import Callable, Iterable

from delivery.dispatch.rolling import CityDispatcher
from delivery.dispatch.rolling_state import CycleResult, PlanRecord


def partition_owner(partition: str, workers: int) -> int:
    """Stable owner of a partition among `workers` processes (independent of
    PYTHONHASHSEED): process i runs the partitions with owner == i."""
    return int.from_bytes(hashlib.sha1(partition.encode()).digest()[:8], "big") % max(1, workers)


class DispatchService:
    """One CityDispatcher per partition key (a city), cycles run off the request path.

    * `dispatcher(key)` returns (creating on demand) the partition's dispatcher;
      the API applies events to it (cheap, under its lock) and reads its latest
      plan / commitments; it never waits for a solve.
    * `run(clock)` is an asyncio task: every `tick` seconds it asks each owned
      partition whether a cycle is due and runs due cycles in `executor` (a
      thread pool by default, which keeps the event loop free; for CPU
      parallelism across cities use several processes as below), at most one
      cycle per partition at a time.  Results go to `on_result`.
    * Several processes: start each with `worker_index=i, workers=n`; a process
      owns exactly the partitions with `partition_owner(key, n) == i`, so every
      city is planned by one process and cities spread over cores/hosts.  (With
      a database later: the same split, or a lease row per partition renewed
      every cycle, so a dead worker's cities move on lease expiry.)  Events for
      a partition must be routed to its owner (or replayed from the database).
    """

    def __init__(self, factory: Callable[[str], CityDispatcher] | None = None, *, workers: int = 1,
                 worker_index: int = 0, executor=None,
                 on_result: Callable[[str, CycleResult], None] | None = None):
        self.factory = factory or (lambda key: CityDispatcher(key))
        self.workers, self.worker_index = workers, worker_index
        self.executor = executor
        self.on_result = on_result
        self.partitions: dict[str, CityDispatcher] = {}
        self._running: set[str] = set()

    def owns(self, key: str) -> bool:
        return partition_owner(key, self.workers) == self.worker_index

    def dispatcher(self, key: str) -> CityDispatcher:
        if key not in self.partitions:
            if not self.owns(key):
                raise KeyError(f"partition {key} belongs to worker {partition_owner(key, self.workers)}")
            self.partitions[key] = self.factory(key)
        return self.partitions[key]

    def run_due(self, now: float) -> dict[str, CycleResult]:
        """Synchronous: run every due partition's cycle now (tests, simulations)."""
        out = {}
        for key, d in list(self.partitions.items()):
            res = d.tick(now)
            if res is not None:
                out[key] = res
                if self.on_result:
                    self.on_result(key, res)
        return out

    async def cycle_once(self, now: float) -> dict[str, CycleResult]:
        loop = asyncio.get_running_loop()
        jobs = {}
        for key, d in list(self.partitions.items()):
            if key in self._running:
                continue
            why = d.due(now)
            if why:
                self._running.add(key)
                jobs[key] = loop.run_in_executor(self.executor, d.replan, now, why)
        out = {}
        for key, fut in jobs.items():
            try:
                out[key] = await fut
                if self.on_result:
                    self.on_result(key, out[key])
            finally:
                self._running.discard(key)
        return out

    async def run(self, clock: Callable[[], float], tick: float = 1.0, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        while not stop.is_set():
            await self.cycle_once(clock())
            try:
                await asyncio.wait_for(stop.wait(), timeout=tick)
            except asyncio.TimeoutError:
                pass


def summarize(records: Iterable[PlanRecord]) -> dict[str, float]:
    solved = sorted(r.total_ms for r in records if r.status != "skipped")
    if not solved:
        return {"cycles": 0}
    return {"cycles": len(solved), "p50_ms": solved[len(solved) // 2],
            "p95_ms": solved[min(len(solved) - 1, int(math.ceil(0.95 * len(solved))) - 1)]}
