"""Price bands: how far below and above HQ's base price a store or partner price may go.

A node sets a band as two whole percentages (belowPercent 20, abovePercent 10: a price of 10.00
may become 8.00 to 11.00). The band that applies to a store is the tightest of the bands set on
its chain (HQ, partner, the store itself), so a node can only ever narrow what a node above set,
whatever the order in which they were set. Rounding keeps the range inside the band, in whole
fen: the lowest allowed price is rounded up, the highest rounded down.

Setting a band (networkNodePriceBandSet) needs MANAGE_STORES on the node; it may not be wider
than a band set on a node above that the caller's own grant does not cover
(BAND_WIDER_THAN_PARENT), as a partner cannot loosen HQ's strong control.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal, grant_covers
from core.errors import DomainError
from core.money import fen_to_decimal_string
from network_pricing.errors import PricingErrorCode as Codes
from store_network.access import load_node
from store_network.control import ancestor_ids
from store_network.models import NetworkNode

MAX_BELOW = 100  # 100: down to zero (a zero price still needs allowFree)
MAX_ABOVE = 1000


@dataclass(frozen=True, slots=True)
class Band:
    below_pct: int
    above_pct: int

    def bounds(self, hq_fen: int) -> tuple[int, int]:
        low = -((-hq_fen * (100 - self.below_pct)) // 100)  # rounded up: never below the band
        high = (hq_fen * (100 + self.above_pct)) // 100  # rounded down: never above it
        return low, high

    def narrowed_by(self, other: Band | None) -> Band:
        if other is None:
            return self
        return Band(min(self.below_pct, other.below_pct), min(self.above_pct, other.above_pct))

    def out_of_band(self, hq_fen: int, price_fen: int) -> str | None:
        """None when the price is inside; else the message naming the allowed range."""
        low, high = self.bounds(hq_fen)
        if low <= price_fen <= high:
            return None
        return (
            f"price {fen_to_decimal_string(price_fen)} is outside the allowed range {fen_to_decimal_string(low)}"
            f"-{fen_to_decimal_string(high)} (HQ price {fen_to_decimal_string(hq_fen)}, band -{self.below_pct}%/+{self.above_pct}%)"
        )


def tightest(bands: Iterable[Band | None]) -> Band | None:
    result: Band | None = None
    for band in bands:
        if band is not None:
            result = band if result is None else result.narrowed_by(band)
    return result


def own_band(node: NetworkNode) -> Band | None:
    if node.price_band_below_pct is None or node.price_band_above_pct is None:
        return None
    return Band(node.price_band_below_pct, node.price_band_above_pct)


async def bands_for_paths(session, tenant_id: int, paths: Iterable[str]) -> dict[str, Band | None]:
    """The band in force at each node path (one SELECT for all of them)."""
    paths = set(paths)
    ids = {i for path in paths for i in ancestor_ids(path)}
    if not ids:
        return {}
    rows = (await session.execute(
        select(NetworkNode.id, NetworkNode.price_band_below_pct, NetworkNode.price_band_above_pct)
        .where(NetworkNode.tenant_id == tenant_id, NetworkNode.id.in_(ids))
    )).all()
    own = {r[0]: Band(r[1], r[2]) if r[1] is not None and r[2] is not None else None for r in rows}
    return {path: tightest(own.get(i) for i in ancestor_ids(path)) for path in paths}


async def require_in_band(session, tenant_id: int, path: str, hq_fen: int, price_fen: int, field: str) -> None:
    band = (await bands_for_paths(session, tenant_id, [path]))[path]
    message = band.out_of_band(hq_fen, price_fen) if band is not None else None
    if message:
        raise DomainError(Codes.PRICE_OUT_OF_BAND, message, field)


async def set_band(
    session: AsyncSession, principal: Principal, node_id: int, below_pct: int | None, above_pct: int | None
) -> NetworkNode:
    """Set a node's band, or with both None clear it (the band above applies)."""
    node = await load_node(session, principal, node_id, Codes, "nodeId")
    if not principal.can(Permission.MANAGE_STORES, node.path):
        raise DomainError(Codes.PERMISSION_DENIED, "you may not set the price band of this node", "nodeId")
    if (below_pct is None) != (above_pct is None):
        raise DomainError(Codes.REQUIRED, "give both belowPercent and abovePercent, or neither to clear the band", "belowPercent")
    if below_pct is not None:
        if not 0 <= below_pct <= MAX_BELOW:
            raise DomainError(Codes.INVALID, f"belowPercent must be 0 to {MAX_BELOW}", "belowPercent")
        if not 0 <= above_pct <= MAX_ABOVE:
            raise DomainError(Codes.INVALID, f"abovePercent must be 0 to {MAX_ABOVE}", "abovePercent")
        above_ids = ancestor_ids(node.path)[:-1]
        rows = (await session.execute(
            select(NetworkNode.path, NetworkNode.price_band_below_pct, NetworkNode.price_band_above_pct)
            .where(NetworkNode.tenant_id == node.tenant_id, NetworkNode.id.in_(above_ids))
        )).all()
        # Bands above that the caller's grant does not reach bind it; HQ's own grant reaches every node.
        binding = tightest(
            Band(r[1], r[2]) for r in rows
            if r[1] is not None and not any(grant_covers(g, r[0], Permission.MANAGE_STORES) for g in principal.grants)
        )
        if binding is not None and (below_pct > binding.below_pct or above_pct > binding.above_pct):
            raise DomainError(
                Codes.BAND_WIDER_THAN_PARENT,
                f"a node above allows at most -{binding.below_pct}%/+{binding.above_pct}%",
                "belowPercent" if below_pct > binding.below_pct else "abovePercent",
            )
    node.price_band_below_pct, node.price_band_above_pct = below_pct, above_pct
    await session.flush()
    return node
