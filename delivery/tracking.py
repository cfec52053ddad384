"""Live tracking events: rider positions and status changes per order, across processes.

Redis pub/sub is used only here, where processes must share events: the process that accepts
a rider's position batch is rarely the one holding the customer's websocket. One channel per
order, `qiandian:{tenant}:order:{id}:track` (`order_channel`), which the hub sends on Redis as
`qiandian:{namespace}:{tenant}:order:{id}:track`: the deployment namespace
(QIANDIAN_DEPLOYMENT_NAMESPACE, default a hash of the database URL) keeps deployments that share
one Redis from seeing each other's events. Messages are small JSON objects:

    {"type": "POSITION", "orderId": 7, "riderId": 3, "lon": 120.1, "lat": 30.2, "at": "...Z"}   (WGS-84)
    {"type": "STATUS", "orderId": 7, "orderStatus": "DELIVERING", "taskState": "PICKED_UP", "at": "..."}

Store-wide board events (`storeBoardEvents`) travel through the same hub on a channel per store
(delivery.store_feed.store_channel), queued under the same after-commit TOPIC.

Pub/sub is fire-and-forget: a subscriber sees what is published while it listens. The
subscription therefore starts with a snapshot from the database (status, last position).

If REDIS_URL cannot be reached when the broker is first used, it falls back to an in-process
broker and logs a warning. That is correct for a single process (one uvicorn worker, tests);
with several workers a customer would only see events accepted by its own worker.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Protocol

from db.session import defer

log = logging.getLogger(__name__)

QUEUE_SIZE = 256  # per subscriber; a slow websocket loses the oldest positions, never blocks publishers


TOPIC = "tracking"  # the after-commit topic of tracking messages (db.session.defer)


def order_channel(tenant_id: int, order_id: int) -> str:
    return f"qiandian:{tenant_id}:order:{order_id}:track"


def publish_after_commit(session, tenant_id: int, order_id: int, message: dict) -> None:
    """Publish `message` on the order's channel once the session's transaction commits;
    dropped if it rolls back (db.session.defer)."""
    defer(session, TOPIC, (order_channel(tenant_id, order_id), message))


class Broker(Protocol):
    name: str

    async def publish(self, channel: str, message: dict) -> None: ...

    def subscribe(self, channel: str) -> contextlib.AbstractAsyncContextManager[AsyncIterator[dict]]: ...

    async def close(self) -> None: ...


class InProcessBroker:
    """Fan-out to asyncio queues of this process (and this event loop) only."""

    name = "in-process"

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue]] = defaultdict(set)

    async def publish(self, channel: str, message: dict) -> None:
        for queue in list(self._queues.get(channel, ())):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(message)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str):
        queue: asyncio.Queue = asyncio.Queue(QUEUE_SIZE)
        self._queues[channel].add(queue)

        async def messages():
            while True:
                yield await queue.get()

        try:
            yield messages()
        finally:
            self._queues[channel].discard(queue)
            if not self._queues[channel]:
                self._queues.pop(channel, None)

    def subscribers(self, channel: str) -> int:
        return len(self._queues.get(channel, ()))

    async def close(self) -> None:
        self._queues.clear()


class RedisBroker:
    name = "redis"

    def __init__(self, client) -> None:
        self._client = client

    async def publish(self, channel: str, message: dict) -> None:
        await self._client.publish(channel, json.dumps(message, separators=(",", ":")))

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str):
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(channel)  # returns once Redis confirmed: nothing published after this is missed

        async def messages():
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if message is None:
                    continue
                try:
                    yield json.loads(message["data"])
                except (TypeError, ValueError):
                    log.warning("ignored a malformed tracking message on %s", channel)

        try:
            yield messages()
        finally:
            with contextlib.suppress(Exception):
                await pubsub.unsubscribe(channel)
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._client.aclose()


class TrackingHub:
    """The process's broker, chosen on first use: Redis if it answers a PING, else in-process.

    Publishing never fails the caller: a position or status change is already committed when
    it is published, and a lost live event only delays the customer's map until the next one."""

    def __init__(self, redis_url: str | None, connect_timeout_s: float = 1.0, namespace: str = "") -> None:
        self.redis_url = redis_url
        self.namespace = namespace
        self.connect_timeout_s = connect_timeout_s
        self._broker: Broker | None = None
        self._lock: asyncio.Lock | None = None

    @classmethod
    def in_process(cls) -> "TrackingHub":
        hub = cls(None)
        hub._broker = InProcessBroker()
        return hub

    async def broker(self) -> Broker:
        if self._broker is not None:
            return self._broker
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._broker is None:
                self._broker = await self._connect()
        return self._broker

    async def _connect(self) -> Broker:
        if not self.redis_url:
            return InProcessBroker()
        try:
            import redis.asyncio as aioredis

            client = aioredis.Redis.from_url(
                self.redis_url, socket_connect_timeout=self.connect_timeout_s, health_check_interval=30
            )
            await asyncio.wait_for(client.ping(), timeout=self.connect_timeout_s * 2)
            return RedisBroker(client)
        except Exception as exc:  # noqa: BLE001 - any failure means "no Redis here"
            log.warning(
                "Redis at %s unreachable (%s): live tracking uses an in-process broker, "
                "correct for one process only", self.redis_url.split("@")[-1], type(exc).__name__,
            )
            return InProcessBroker()

    def wire_channel(self, channel: str) -> str:
        """The channel as sent to the broker: `qiandian:{namespace}:...` (unchanged without a namespace)."""
        if not self.namespace:
            return channel
        return f"qiandian:{self.namespace}:{channel.removeprefix('qiandian:')}"

    async def publish(self, channel: str, message: dict) -> None:
        try:
            await (await self.broker()).publish(self.wire_channel(channel), message)
        except Exception:  # noqa: BLE001 - see the class docstring
            log.exception("could not publish a tracking event on %s", channel)

    async def publish_many(self, messages: list[tuple[str, dict]]) -> None:
        """The commit hook for TOPIC (db.session.Database.set_commit_hook), in queued order."""
        for channel, message in messages:
            await self.publish(channel, message)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str):
        async with (await self.broker()).subscribe(self.wire_channel(channel)) as messages:
            yield messages

    async def close(self) -> None:
        if self._broker is not None:
            await self._broker.close()
            self._broker = None
