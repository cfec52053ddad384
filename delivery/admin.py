"""Staff changes to the delivery promise: a node's settings and closures, and slot caps."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from core.errors import DomainError
from delivery.errors import DeliveryErrorCode as Codes
from delivery.models import DeliveryClosure, DeliverySettingsRow, SlotCap
from delivery.slots import settings as cfg
from delivery.slots import slot_id
from store_network.access import load_node, load_store
from store_network.models import NetworkNode


async def set_node_settings(
    session: AsyncSession,
    principal: Principal,
    node_id: int,
    changes: Mapping[str, object],
    closures: Sequence[tuple[date, date, str]] | None,
    now: datetime,
) -> NetworkNode:
    """Partial update: keys in `changes` replace the node's own value (None = inherit again);
    `closures`, if given, replaces the node's closure list. Setting the same values twice is
    a no-op, so clients may retry."""
    node = await load_node(session, principal, node_id, Codes, "nodeId")
    if not principal.can(Permission.MANAGE_DELIVERY, node.path):
        raise DomainError(Codes.PERMISSION_DENIED, "you may not manage delivery for this node", "nodeId")
    row = await session.scalar(select(DeliverySettingsRow).where(DeliverySettingsRow.node_id == node.id))
    updated = cfg.merge(cfg.from_row(row), changes)
    cfg.validate(updated)
    if row is None:
        row = DeliverySettingsRow(tenant_id=node.tenant_id, node_id=node.id)
        session.add(row)
    for name, value in cfg.to_row_values(updated).items():
        setattr(row, name, value)
    row.updated_at = now
    if closures is not None:
        cfg.validate_closures([(a, b) for a, b, _ in closures])
        for index, (_, _, reason) in enumerate(closures):
            if len(reason) > 200:
                raise DomainError(Codes.INVALID, "reason is longer than 200 characters", f"closures.{index}.reason")
        await session.execute(delete(DeliveryClosure).where(DeliveryClosure.node_id == node.id))
        session.add_all(
            DeliveryClosure(tenant_id=node.tenant_id, node_id=node.id, starts_on=a, ends_on=b, reason=reason)
            for a, b, reason in sorted(closures)
        )
    await session.flush()
    return node


async def set_slot_cap(
    session: AsyncSession, principal: Principal, raw_slot: str, max_units: int | None, now: datetime
) -> tuple[slot_id.SlotRef, int | None]:
    """Cap one slot (None removes the cap). Capping below what is already held is allowed:
    existing orders keep their units, the slot just takes no more."""
    ref = slot_id.decode(raw_slot)
    try:
        store, _ = await load_store(session, principal, ref.store_id, Codes, Permission.MANAGE_DELIVERY, field="slotId")
    except DomainError as exc:
        if exc.code is Codes.NOT_FOUND:
            raise DomainError(Codes.SLOT_NOT_FOUND, "slot not found", "slotId") from None
        raise
    if ref.key.timestamp() + 3600 < now.timestamp():
        raise DomainError(Codes.INVALID, "this slot is over", "slotId")
    if max_units is not None and not 0 <= max_units <= 10_000:
        raise DomainError(Codes.INVALID, "maxUnits must be between 0 and 10000", "maxUnits")
    where = (SlotCap.store_id == store.id, SlotCap.kind == ref.kind.value, SlotCap.starts_at == ref.key)
    row = await session.scalar(select(SlotCap).where(*where))
    if max_units is None:
        if row is not None:
            await session.delete(row)
    elif row is None:
        session.add(SlotCap(tenant_id=store.tenant_id, store_id=store.id, kind=ref.kind.value, starts_at=ref.key, max_units=max_units))
    else:
        row.max_units = max_units
    await session.flush()
    return ref, max_units
