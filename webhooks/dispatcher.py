"""The webhook dispatcher: reads the settled outbox per endpoint and delivers, in order, at least once.

Runs outside the web process (`qiandian_cli.py webhooks-dispatch`), so a slow or dead receiver
never holds up checkout: checkout only writes its `domain_event` row. Each round:

1. Claim due endpoints: a short transaction selects enabled endpoints whose lease is free and
   whose retry time has come (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent dispatchers
   take different rows instead of queueing; SQLite has one writer) and stamps a lease on them.
2. For each claimed endpoint (concurrently): read the events after its cursor
   (events.outbox.read_settled, which never skips a late-committing transaction), POST them one
   by one in order, signed, with a timeout. Stop at the first failure.
3. One transaction per endpoint records the attempts, moves the cursor past what was delivered,
   and on failure schedules the retry (exponential backoff with jitter) or, after
   `max_failures` failures in a row, disables the endpoint and emits `webhook_endpoint.disabled`.
   The write only lands if this dispatcher still holds the lease.

A dispatcher killed mid-batch leaves its lease to expire; the next one resends from the
cursor, so receivers may see an event twice (same `Qiandian-Event-Id`) but never miss one.
"""
from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import global_ids
from core.clock import utc_now
from core.secret_box import SecretBox
from db.session import Database
from events import WebhookEndpointDisabled, emit
from events.models import DomainEventRecord
from events.outbox import Position, position, read_settled
from webhooks import signing
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.urls import check_url

log = logging.getLogger(__name__)
_NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True)
class DispatchConfig:
    timeout_s: float = 5.0
    batch: int = 100  # events per endpoint per round
    endpoints_per_round: int = 20
    lease_s: int = 60
    retry_base_s: float = 10.0
    retry_cap_s: float = 3600.0
    max_failures: int = 8
    concurrency: int = 10  # requests in flight per endpoint (never two of one aggregate)
    production: bool = False

    @classmethod
    def from_settings(cls, settings) -> "DispatchConfig":
        return cls(
            timeout_s=settings.webhook_timeout_s, batch=settings.webhook_batch, lease_s=settings.webhook_lease_s,
            retry_base_s=settings.webhook_retry_base_s, retry_cap_s=settings.webhook_retry_cap_s,
            max_failures=settings.webhook_max_failures, concurrency=settings.webhook_concurrency, production=settings.is_production,
        )


# Relay global ids beside the raw ones, so a receiver can call the GraphQL API with what it got.
# Payload field -> GraphQL type; fields not listed (actor_id: staff or API key) stay raw only.
GLOBAL_ID_FIELDS = {
    "order_id": "Order", "store_id": "Store", "sku_id": "Sku", "customer_id": "Customer", "payment_id": "Payment",
    "refund_id": "Refund", "rider_id": "Rider", "task_id": "DeliveryTask", "voucher_id": "Voucher",
    "endpoint_id": "WebhookEndpoint", "salesperson_id": "Salesperson", "pickup_point_id": "PickupPoint",
}
# Aggregate type -> the GraphQL type of its id (stock and store prices are keyed by their SKU).
GLOBAL_ID_AGGREGATES = {
    "order": "Order", "stock": "Sku", "store_price": "Sku", "store_listing": "Sku", "delivery_task": "DeliveryTask",
    "webhook_endpoint": "WebhookEndpoint", "voucher": "Voucher", "salesperson": "Salesperson", "pickup_point": "PickupPoint",
}


def global_ids_of(payload: dict) -> dict[str, str]:
    """{payload field: Relay global id} for every id field of a known type holding an integer."""
    return {name: global_ids.encode(GLOBAL_ID_FIELDS[name], value) for name, value in payload.items()
            if name in GLOBAL_ID_FIELDS and isinstance(value, int) and not isinstance(value, bool)}


def envelope(event: DomainEventRecord) -> bytes:
    """The request body. `sequence` grows with each event of one aggregate (it is the outbox id:
    changes to one aggregate lock its row, so a later change always inserts a later id).
    `aggregate.globalId` and `globalIds` carry Relay global ids beside the raw database ids."""
    aggregate_type = GLOBAL_ID_AGGREGATES.get(event.aggregate_type)
    return json.dumps(
        {
            "id": str(event.id),
            "type": event.type,
            "createdAt": event.created_at.isoformat(),
            "aggregate": {"type": event.aggregate_type, "id": str(event.aggregate_id),
                          "globalId": global_ids.encode(aggregate_type, event.aggregate_id) if aggregate_type else None},
            "sequence": event.id,
            "data": event.payload,
            "globalIds": global_ids_of(event.payload or {}),
        },
        separators=(",", ":"), ensure_ascii=False,
    ).encode()


def waves(events: list[DomainEventRecord], size: int) -> list[list[DomainEventRecord]]:
    """Consecutive groups of at most `size` events, none holding two events of one aggregate:
    a wave is sent concurrently, waves one after another, so each aggregate's events arrive in order."""
    out: list[list[DomainEventRecord]] = []
    current: list[DomainEventRecord] = []
    keys: set[tuple[str, int]] = set()
    for event in events:
        key = (event.aggregate_type, event.aggregate_id)
        if len(current) >= max(1, size) or key in keys:
            out.append(current)
            current, keys = [], set()
        current.append(event)
        keys.add(key)
    if current:
        out.append(current)
    return out


def backoff_s(failures: int, config: DispatchConfig, rng: random.Random = random) -> float:
    """Exponential, capped, with 'equal jitter': half fixed, half random."""
    delay = min(config.retry_cap_s, config.retry_base_s * 2 ** max(0, failures - 1))
    return delay / 2 + rng.uniform(0, delay / 2)


@dataclass
class _Attempt:
    event: DomainEventRecord
    success: bool
    status_code: int | None
    error: str
    duration_ms: int


class Dispatcher:
    def __init__(
        self, database: Database, box: SecretBox, config: DispatchConfig = DispatchConfig(), tenant_id: int | None = None,
    ):
        self.database = database
        self.tenant_id = tenant_id  # None: every brand's endpoints (a dedicated dispatcher per brand is possible)
        self.box = box
        self.config = config
        self.owner = uuid.uuid4().hex
        self._client: aiohttp.ClientSession | None = None  # made on first use, inside the running loop

    def _http(self) -> aiohttp.ClientSession:
        if self._client is None:
            self._client = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.config.timeout_s),
                connector=aiohttp.TCPConnector(limit=100, limit_per_host=max(2, self.config.concurrency)),
                headers={"User-Agent": "Qiandian-Webhooks/1"},
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()

    async def run_once(self) -> int:
        """One round; returns how many events were delivered."""
        claimed = await self._claim()
        if not claimed:
            return 0
        results = await asyncio.gather(*(self._serve(endpoint) for endpoint in claimed))
        return sum(results)

    async def run_forever(self, stop: asyncio.Event, idle_s: float = 0.5) -> None:
        while not stop.is_set():
            try:
                delivered = await self.run_once()
            except Exception:  # noqa: BLE001 - a dispatcher outlives a database blip
                log.exception("webhook dispatch round failed")
                delivered = 0
            if not delivered:
                try:
                    await asyncio.wait_for(stop.wait(), idle_s)
                except asyncio.TimeoutError:
                    pass

    async def _claim(self) -> list[WebhookEndpoint]:
        now = utc_now()
        async with self.database.write() as session:
            query = (
                select(WebhookEndpoint)
                .where(
                    WebhookEndpoint.enabled.is_(True),
                    or_(WebhookEndpoint.lease_until.is_(None), WebhookEndpoint.lease_until < now),
                    or_(WebhookEndpoint.next_attempt_at.is_(None), WebhookEndpoint.next_attempt_at <= now),
                )
                .where(*([WebhookEndpoint.tenant_id == self.tenant_id] if self.tenant_id is not None else []))
                .order_by(WebhookEndpoint.next_attempt_at.nulls_first(), WebhookEndpoint.id)
                .limit(self.config.endpoints_per_round)
                .with_for_update(skip_locked=True)
            )
            rows = list((await session.scalars(query)).all())
            if rows:
                await session.execute(
                    update(WebhookEndpoint)
                    .where(WebhookEndpoint.id.in_([r.id for r in rows]))
                    .values(lease_owner=self.owner, lease_until=now + timedelta(seconds=self.config.lease_s)),
                    execution_options=_NO_SYNC,
                )
        return rows

    async def _serve(self, endpoint: WebhookEndpoint) -> int:
        started = time.monotonic()
        async with self.database.read() as session:
            events = await read_settled(
                session, endpoint.tenant_id, Position(endpoint.cursor_txid, endpoint.cursor_event_id),
                limit=self.config.batch, types=tuple(endpoint.event_types) or None,
            )
        secret = self.box.open(endpoint.secret_sealed)["secret"] if events else ""
        attempts: list[_Attempt] = []
        for wave in waves(events, self.config.concurrency):
            results = await asyncio.gather(*(self._send(endpoint.url, secret, event) for event in wave))
            failed_at = next((i for i, a in enumerate(results) if not a.success), None)
            if failed_at is not None:
                # The cursor stops before the first failure; later successes of this wave are
                # sent again after it (at least once; receivers drop them by event id).
                attempts.extend(results[:failed_at + 1])
                break
            attempts.extend(results)
            if time.monotonic() - started > self.config.lease_s / 2:
                break  # before the lease could run out under slow receivers
        return await self._record(endpoint, attempts)

    async def _send(self, url: str, secret: str, event: DomainEventRecord) -> _Attempt:
        body = envelope(event)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "Qiandian-Event-Id": str(event.id),
            "Qiandian-Event-Type": event.type,
            "Qiandian-Timestamp": str(timestamp),
            signing.HEADER: signing.sign(secret, timestamp, body),
        }
        began = time.monotonic()
        try:
            if self.config.production:
                await check_url(url, True)  # resolve again: the host may have been pointed inward since
            # No redirects: a 3xx is a failure, never a hop to an address nobody checked (SSRF).
            async with self._http().post(url, data=body, headers=headers, allow_redirects=False) as response:
                await response.read()
                status = response.status
            ok = 200 <= status < 300
            return _Attempt(event, ok, status, "" if ok else f"HTTP {status}", _ms(began))
        except Exception as exc:  # noqa: BLE001 - any transport failure is a failed attempt
            return _Attempt(event, False, None, f"{type(exc).__name__}: {exc}"[:200], _ms(began))

    async def _record(self, endpoint: WebhookEndpoint, attempts: list[_Attempt]) -> int:
        delivered = [a for a in attempts if a.success]
        failed = attempts[-1] if attempts and not attempts[-1].success else None
        now = utc_now()
        values: dict = {"lease_owner": None, "lease_until": None}
        if delivered:
            values.update(cursor_txid=delivered[-1].event.txid, cursor_event_id=delivered[-1].event.id)
        failures = 0
        if failed is None:
            if delivered:
                values.update(consecutive_failures=0, next_attempt_at=None)
        else:
            failures = (0 if delivered else endpoint.consecutive_failures) + 1
            values["consecutive_failures"] = failures
            if failures >= self.config.max_failures:
                values.update(enabled=False, disabled_at=now, disabled_reason=f"{failures} failed deliveries in a row: {failed.error}"[:200])
            else:
                values["next_attempt_at"] = now + timedelta(seconds=backoff_s(failures, self.config))
        async with self.database.write() as session:
            result = await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint.id, WebhookEndpoint.lease_owner == self.owner)
                .values(**values),
                execution_options=_NO_SYNC,
            )
            if result.rowcount != 1:
                return 0  # lease lost (expired and taken, replayed, or deleted): the other holder decides
            if attempts:
                await session.execute(
                    WebhookDelivery.__table__.insert(),
                    [
                        {
                            "tenant_id": endpoint.tenant_id, "endpoint_id": endpoint.id, "event_id": a.event.id,
                            "event_type": a.event.type, "success": a.success, "status_code": a.status_code,
                            "error": a.error, "duration_ms": a.duration_ms, "created_at": now,
                        }
                        for a in attempts
                    ],
                )
            if values.get("enabled") is False:
                await _tell_brand(session, endpoint, failures, failed.error)
        return len(delivered)


async def _tell_brand(session: AsyncSession, endpoint: WebhookEndpoint, failures: int, error: str) -> None:
    await emit(session, WebhookEndpointDisabled(
        tenant_id=endpoint.tenant_id, at=utc_now(), endpoint_id=endpoint.id, url=endpoint.url,
        consecutive_failures=failures, last_error=error,
    ))


def _ms(began: float) -> int:
    return int((time.monotonic() - began) * 1000)
