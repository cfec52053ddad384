"""Control policies as stored on network nodes: the chain above a store, who may change an
attribute there, and how a node's own level may be set (networkNodeControlSet).

The rules themselves are in store_network.control (pure functions); this module reads and
writes the levels.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal, grant_covers
from core.errors import DomainError
from store_network.access import load_node
from store_network.control import ControlLevel, ControlledAttribute, NodeControl, ancestor_ids, deciding_node, may_change
from store_network.errors import NetworkErrorCode
from store_network.models import NetworkNode

LOCKED_CODE = {
    ControlledAttribute.PRICES: NetworkErrorCode.PRICE_LOCKED_BY_HQ,
    ControlledAttribute.STOREFRONT: NetworkErrorCode.STOREFRONT_LOCKED_BY_HQ,
    ControlledAttribute.PROMOTIONS: NetworkErrorCode.PROMOTIONS_LOCKED_BY_HQ,
    ControlledAttribute.ASSORTMENT: NetworkErrorCode.ASSORTMENT_LOCKED_BY_HQ,
    ControlledAttribute.STOCK: NetworkErrorCode.STOCK_LOCKED_BY_HQ,
    ControlledAttribute.ORDERS: NetworkErrorCode.ORDERS_LOCKED_BY_HQ,
}
# The networkNodeControlSet input field of each attribute (the `field` of its errors).
INPUT_FIELD = {
    ControlledAttribute.PRICES: "prices",
    ControlledAttribute.STOREFRONT: "storefront",
    ControlledAttribute.PROMOTIONS: "promotions",
    ControlledAttribute.ASSORTMENT: "assortment",
    ControlledAttribute.STOCK: "stock",
    ControlledAttribute.ORDERS: "orders",
}


async def control_chain(
    session: AsyncSession, tenant_id: int, path: str, attribute: ControlledAttribute
) -> list[NodeControl]:
    """The nodes from the root down to `path`, each with its own level of `attribute`."""
    ids = ancestor_ids(path)
    column = getattr(NetworkNode, attribute.value)
    rows = (
        await session.execute(
            select(NetworkNode.id, NetworkNode.path, column).where(NetworkNode.tenant_id == tenant_id, NetworkNode.id.in_(ids))
        )
    ).all()
    by_id = {row[0]: row for row in rows}
    return [
        NodeControl(node_id=i, path=by_id[i][1], level=ControlLevel(by_id[i][2]) if by_id[i][2] else None) for i in ids
    ]


async def require_may_change(
    session: AsyncSession,
    principal: Principal,
    tenant_id: int,
    store_path: str,
    attribute: ControlledAttribute,
    permission: Permission,
    field: str,
) -> None:
    """Refuse with the attribute's own LOCKED code unless the principal may change it for this store."""
    chain = await control_chain(session, tenant_id, store_path, attribute)
    if not may_change(principal, chain, permission):
        raise DomainError(
            LOCKED_CODE[attribute], f"{INPUT_FIELD[attribute]} for this store are set centrally (strong control)", field
        )


async def set_node_control(
    session: AsyncSession, principal: Principal, node_id: int, levels: dict[ControlledAttribute, ControlLevel]
) -> NetworkNode:
    """HQ or a partner sets strong/weak control for its subtree.

    Inheritance rule: a node may not loosen (WEAK) what a node above it holds STRONG unless
    the principal's own grant sits on that deciding node or above it; a partner cannot undo
    HQ's lock for its region. STRONG can always be set by whoever may manage the node.
    """
    node = await load_node(session, principal, node_id, NetworkErrorCode, "nodeId")
    if not principal.can(Permission.MANAGE_STORES, node.path):
        raise DomainError(NetworkErrorCode.PERMISSION_DENIED, "you may not change control for this node", "nodeId")
    for attribute, level in levels.items():
        above = (await control_chain(session, node.tenant_id, node.path, attribute))[:-1]
        if above and level is ControlLevel.WEAK:
            decider = deciding_node(above)
            locked_above = decider.level is ControlLevel.STRONG and not any(
                grant_covers(g, decider.path, Permission.MANAGE_STORES) for g in principal.grants
            )
            if locked_above:
                raise DomainError(LOCKED_CODE[attribute], "a node above holds strong control", INPUT_FIELD[attribute])
        setattr(node, attribute.value, level.value)
    await session.flush()
    return node
