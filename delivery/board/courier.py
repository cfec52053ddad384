"""The seam for courier partners (Dada, SF Intra-city, Meituan, ...): none is wired yet.

When the engine hands an order off (the fleet cannot keep the promise, or a courier is
cheaper), `engine.run_partition` calls `CourierAdapter.book` and records the order's
assignment as HANDED_TO_COURIER with the engine's reason and the adapter's reference.
A real adapter books the courier (and may return None to refuse, leaving the order open
for the next cycle); `cancel` is called when staff take the order back by hand.

Adapters are registered by name in a `CourierRegistry` (the app's one lives in
app.services, filled from settings.courier_by_tenant); each tenant uses one, by
default the record-only adapter. A partner adapter is added by registering it and naming
it for the tenants that contract with that partner.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CourierRequest:
    tenant_id: int
    order_id: int
    store_id: int
    reason: str  # the engine's UnassignedReason value
    quote: float  # the cost the engine compared against (cost units)


class CourierAdapter(Protocol):
    name: str

    async def book(self, request: CourierRequest) -> str | None:
        """A booking reference, or None if the courier refused (the order stays with the engine)."""
        ...

    async def cancel(self, tenant_id: int, order_id: int, reference: str | None) -> None: ...


class RecordOnlyCourier:
    """No partner integration: record the hand-off so staff see it on the board and act."""

    name = "record-only"

    async def book(self, request: CourierRequest) -> str | None:
        log.info("order %s handed to courier (%s); no courier adapter configured", request.order_id, request.reason)
        return ""  # booked in name only: staff follow up by hand

    async def cancel(self, tenant_id: int, order_id: int, reference: str | None) -> None:
        return None


class CourierRegistry:
    """Courier adapters by name, and which one each tenant hands its orders to."""

    def __init__(self, by_tenant: Mapping[int, str] | None = None, adapters: tuple[CourierAdapter, ...] = ()):
        self._adapters: dict[str, CourierAdapter] = {}
        self._by_tenant: dict[int, str] = {}
        self._default = RecordOnlyCourier.name
        for adapter in (RecordOnlyCourier(), *adapters):
            self.register(adapter)
        for tenant_id, name in (by_tenant or {}).items():
            self.use(tenant_id, name)

    def register(self, adapter: CourierAdapter) -> None:
        """Add (or replace, e.g. with new credentials) the adapter called `adapter.name`."""
        if not isinstance(adapter.name, str) or not adapter.name:
            raise ValueError("a courier adapter needs a name")
        self._adapters[adapter.name] = adapter

    def use(self, tenant_id: int, name: str) -> None:
        """Hand `tenant_id`'s orders to the adapter `name` from now on. An unknown name is a
        configuration error, raised here (at start-up) rather than at the first hand-off."""
        if name not in self._adapters:
            raise KeyError(f"no courier adapter named {name!r} (registered: {', '.join(sorted(self._adapters))})")
        self._by_tenant[tenant_id] = name

    def set_default(self, name: str) -> None:
        """The adapter for tenants not named in `use` (the app sets the policy courier, delivery.couriers.policy)."""
        if name not in self._adapters:
            raise KeyError(f"no courier adapter named {name!r}")
        self._default = name

    def names(self) -> list[str]:
        return sorted(self._adapters)

    def for_tenant(self, tenant_id: int) -> CourierAdapter:
        return self._adapters[self._by_tenant.get(tenant_id, self._default)]
