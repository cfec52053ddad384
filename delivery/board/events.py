"""Tracking events collected during a transaction and published after it commits."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from delivery.tracking import TrackingHub, order_channel


def _iso(value: datetime) -> str:
    return value.isoformat()


@dataclass
class Outbox:
    messages: list[tuple[str, dict]] = field(default_factory=list)

    def status(self, order, task_state: str | None, now: datetime, rider_id: int | None = None) -> None:
        self.messages.append((order_channel(order.tenant_id, order.id), {
            "type": "STATUS", "orderId": order.id, "orderStatus": order.status, "taskState": task_state,
            "riderId": rider_id, "at": _iso(now),
        }))

    def position(self, tenant_id: int, order_id: int, rider_id: int, lon: float, lat: float, at: datetime) -> None:
        self.messages.append((order_channel(tenant_id, order_id), {
            "type": "POSITION", "orderId": order_id, "riderId": rider_id, "lon": lon, "lat": lat, "at": _iso(at),
        }))

    async def flush(self, hub: TrackingHub | None) -> None:
        messages, self.messages = self.messages, []
        if hub is None:
            return
        for channel, message in messages:
            await hub.publish(channel, message)
