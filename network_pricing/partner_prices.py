"""A partner node's own price for a SKU in every store below it (partnerPriceSet).

Allowed where the partner's PRICES control lets the caller change prices (a partner admin under
HQ's WEAK, or HQ), inside the band in force at the partner (network_pricing.bands). A store's
own price still wins over its partner's (PriceSource order: HQ, PARTNER, STORE).
"""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from commerce.models import Sku
from core.clock import utc_now
from core.errors import DomainError
from core.money import MAX_AMOUNT_FEN
from network_pricing import audit
from network_pricing.bands import require_in_band
from network_pricing.errors import PricingErrorCode as Codes
from network_pricing.models import PartnerPrice
from store_network.access import load_node
from store_network.control import ControlledAttribute
from store_network.models import NetworkNode
from store_network.policies import require_may_change


async def load_partner(session: AsyncSession, principal: Principal, node_id: int, field: str = "nodeId") -> NetworkNode:
    """A partner node the caller may price for (MANAGE_PRICES and the partner's PRICES control)."""
    node = await load_node(session, principal, node_id, Codes, field)
    if node.kind != "PARTNER":
        raise DomainError(Codes.NOT_A_PARTNER, "partner prices are set on a partner node", field)
    if not principal.can(Permission.MANAGE_PRICES, node.path):
        raise DomainError(Codes.PERMISSION_DENIED, "you may not manage prices for this partner", field)
    await require_may_change(session, principal, node.tenant_id, node.path, ControlledAttribute.PRICES, Permission.MANAGE_PRICES, "price")
    return node


def check_price(price_fen: int, field: str) -> None:
    if not 0 < price_fen <= MAX_AMOUNT_FEN:
        raise DomainError(Codes.AMOUNT_OUT_OF_RANGE, "a partner price must be above zero and in range", field)


async def set_partner_price(
    session: AsyncSession, principal: Principal, node_id: int, sku_id: int, price_fen: int | None, *, reason: str = ""
) -> tuple[NetworkNode, Sku, PartnerPrice | None]:
    """Set (or with None, clear) the partner's price; audited as source PARTNER."""
    node = await load_partner(session, principal, node_id)
    sku = await session.scalar(select(Sku).where(Sku.id == sku_id, Sku.tenant_id == node.tenant_id))
    if sku is None:
        raise DomainError(Codes.NOT_FOUND, "SKU not found", "skuId")
    existing = await session.scalar(select(PartnerPrice).where(PartnerPrice.node_id == node.id, PartnerPrice.sku_id == sku.id))
    old_fen = existing.price_fen if existing is not None else None
    if price_fen is None:
        if existing is not None:
            await session.execute(delete(PartnerPrice).where(PartnerPrice.id == existing.id))
        existing = None
    else:
        check_price(price_fen, "price")
        await require_in_band(session, node.tenant_id, node.path, sku.base_price_fen, price_fen, "price")
        if existing is None:
            existing = PartnerPrice(tenant_id=node.tenant_id, node_id=node.id, sku_id=sku.id, price_fen=price_fen)
            session.add(existing)
        else:
            existing.price_fen = price_fen
        await session.flush()
    if old_fen != price_fen:
        await audit.record(session, principal, node.tenant_id,
                           [audit.Change(node_id=node.id, store_id=None, sku_id=sku.id, old_fen=old_fen, new_fen=price_fen)],
                           source=audit.Source.PARTNER, channel=audit.Channel.API, reason=reason, at=utc_now())
    return node, sku, existing
