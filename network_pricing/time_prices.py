"""Time prices (timePriceCreate / timePriceEnd): a price for a SKU in one store or a partner's
subtree that holds in a daily window of the store's local day and/or a date range.

Either `percent_off` (whole percent off the price so far: the store's or partner's price) or a
fixed `price_fen`. Who may: MANAGE_PRICES under the PRICES control of the store or partner. A
fixed price must lie in the band in force there; a percentage may not exceed the band's belowPercent.
Ending is idempotent: ending an ended time price answers it as it is.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from commerce.models import Sku
from core.clock import utc_now
from core.errors import DomainError
from core.money import MAX_AMOUNT_FEN
from network_pricing import audit, windows
from network_pricing.bands import bands_for_paths, require_in_band
from network_pricing.errors import PricingErrorCode as Codes
from network_pricing.models import TimePrice
from network_pricing.partner_prices import load_partner
from store_network.access import load_store
from store_network.control import ControlledAttribute
from store_network.policies import require_may_change

MAX_REASON = 200


@dataclass(frozen=True, slots=True)
class TimePriceSpec:
    sku_id: int
    store_id: int | None = None
    node_id: int | None = None  # a partner node
    percent_off: int | None = None
    price_fen: int | None = None
    daily_start: str | None = None  # "HH:MM", the store's local time
    daily_end: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    reason: str = ""


async def _target(session: AsyncSession, principal: Principal, spec: TimePriceSpec) -> tuple[int, int | None, str, int]:
    """(node id, store id, node path, tenant id) of the store or partner the price is for."""
    if (spec.store_id is None) == (spec.node_id is None):
        raise DomainError(Codes.INVALID, "give exactly one of storeId or nodeId", "storeId")
    if spec.store_id is not None:
        store, path = await load_store(session, principal, spec.store_id, Codes, Permission.MANAGE_PRICES)
        await require_may_change(session, principal, store.tenant_id, path, ControlledAttribute.PRICES, Permission.MANAGE_PRICES, "storeId")
        return store.node_id, store.id, path, store.tenant_id
    node = await load_partner(session, principal, spec.node_id)
    return node.id, None, node.path, node.tenant_id


def _window(spec: TimePriceSpec) -> tuple[int | None, int | None]:
    if (spec.daily_start is None) != (spec.daily_end is None):
        raise DomainError(Codes.REQUIRED, "give both dailyStart and dailyEnd, or neither", "dailyEnd")
    if spec.daily_start is None:
        return None, None
    try:
        start, end = windows.parse_hhmm(spec.daily_start), windows.parse_hhmm(spec.daily_end)
    except ValueError as exc:
        raise DomainError(Codes.INVALID_TIME, str(exc), "dailyStart") from None
    if start == end:
        raise DomainError(Codes.INVALID_TIME, "a daily window needs a different start and end", "dailyEnd")
    return start, end


async def create_time_price(session: AsyncSession, principal: Principal, spec: TimePriceSpec) -> TimePrice:
    node_id, store_id, path, tenant_id = await _target(session, principal, spec)
    sku = await session.scalar(select(Sku).where(Sku.id == spec.sku_id, Sku.tenant_id == tenant_id))
    if sku is None:
        raise DomainError(Codes.NOT_FOUND, "SKU not found", "skuId")
    if (spec.percent_off is None) == (spec.price_fen is None):
        raise DomainError(Codes.INVALID, "give exactly one of percentOff or price", "percentOff")
    if spec.percent_off is not None and not 0 < spec.percent_off < 100:
        raise DomainError(Codes.INVALID, "percentOff must be 1 to 99", "percentOff")
    if spec.price_fen is not None and not 0 < spec.price_fen <= MAX_AMOUNT_FEN:
        raise DomainError(Codes.AMOUNT_OUT_OF_RANGE, "a time price must be above zero and in range", "price")
    start, end = _window(spec)
    for value, field in ((spec.starts_at, "startsAt"), (spec.ends_at, "endsAt")):
        if value is not None and value.tzinfo is None:
            raise DomainError(Codes.INVALID_TIME, "give a time with its offset (e.g. 2026-12-24T00:00:00+08:00)", field)
    if spec.starts_at is not None and spec.ends_at is not None and spec.ends_at <= spec.starts_at:
        raise DomainError(Codes.INVALID_TIME, "endsAt must be after startsAt", "endsAt")
    if start is None and spec.ends_at is None:
        raise DomainError(Codes.REQUIRED, "a time price needs a daily window or an end (endsAt)", "endsAt")
    if len(spec.reason or "") > MAX_REASON:
        raise DomainError(Codes.INVALID, f"the reason is longer than {MAX_REASON} characters", "reason")
    if spec.price_fen is not None:
        await require_in_band(session, tenant_id, path, sku.base_price_fen, spec.price_fen, "price")
    else:
        # A percentage is held to the band's own percentage (rounding to the fen cannot push
        # a 20%-off past a 20% band), not to a price worked out from one starting point.
        band = (await bands_for_paths(session, tenant_id, [path]))[path]
        if band is not None and spec.percent_off > band.below_pct:
            raise DomainError(Codes.PRICE_OUT_OF_BAND, f"at most {band.below_pct}% below HQ's price is allowed here (band "
                              f"-{band.below_pct}%/+{band.above_pct}%)", "percentOff")
    row = TimePrice(
        tenant_id=tenant_id, node_id=node_id, sku_id=sku.id, percent_off=spec.percent_off, price_fen=spec.price_fen,
        daily_start_minute=start, daily_end_minute=end, starts_at=spec.starts_at, ends_at=spec.ends_at, reason=spec.reason or "",
    )
    session.add(row)
    await session.flush()
    await audit.record(session, principal, tenant_id,
                       [audit.Change(node_id=node_id, store_id=store_id, sku_id=sku.id, old_fen=None, new_fen=spec.price_fen, time_price_id=row.id)],
                       source=audit.Source.TIME, channel=audit.Channel.API, reason=spec.reason, at=utc_now())
    return row


async def end_time_price(session: AsyncSession, principal: Principal, time_price_id: int) -> TimePrice:
    """End now; ending it again answers the row unchanged (a retried call is harmless)."""
    if principal.tenant_id is None:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in first", None)
    row = await session.scalar(select(TimePrice).where(TimePrice.id == time_price_id, TimePrice.tenant_id == principal.tenant_id))
    if row is None:
        raise DomainError(Codes.NOT_FOUND, "time price not found", "id")
    store_id = await _store_of_node(session, row.node_id)
    if store_id is not None:
        await _target(session, principal, TimePriceSpec(sku_id=row.sku_id, store_id=store_id))
    else:
        await _target(session, principal, TimePriceSpec(sku_id=row.sku_id, node_id=row.node_id))
    if row.ended_at is not None:
        return row
    now = utc_now()
    row.ended_at = now
    await session.flush()
    await audit.record(session, principal, row.tenant_id,
                       [audit.Change(node_id=row.node_id, store_id=store_id, sku_id=row.sku_id, old_fen=row.price_fen, new_fen=None,
                                     time_price_id=row.id)],
                       source=audit.Source.TIME, channel=audit.Channel.API, reason="ended", at=now)
    return row


async def _store_of_node(session: AsyncSession, node_id: int) -> int | None:
    from store_network.models import Store

    return await session.scalar(select(Store.id).where(Store.node_id == node_id))
