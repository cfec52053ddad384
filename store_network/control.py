"""Strong vs weak control: who in the network may change what a store sells and how.

Every capability a store might run by itself is a controlled attribute: its prices, its
assortment (which products it lists), its storefront, its promotions, its stock edits and its
order handling.

Each node may set a control value for an attribute; a node that sets none inherits from its
nearest ancestor (HQ always sets all). The node that decides is called the *deciding node*.

- WEAK: anyone whose role grants the permission over the store may change it (the store
  manager adjusts prices to the local market).
- STRONG: only grants on the deciding node or above it may change it (HQ fixes the price;
  a store manager cannot).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from auth.roles import Permission, Principal, grant_covers


class ControlLevel(str, Enum):
    STRONG = "STRONG"
    WEAK = "WEAK"


class ControlledAttribute(str, Enum):
    """Each member's value is its column on network_node."""

    PRICES = "price_control"
    ASSORTMENT = "assortment_control"
    STOREFRONT = "storefront_control"
    PROMOTIONS = "promotion_control"
    STOCK = "stock_control"
    ORDERS = "order_control"


@dataclass(frozen=True, slots=True)
class NodeControl:
    node_id: int
    path: str
    level: ControlLevel | None  # None: inherit


def deciding_node(chain_root_to_store: list[NodeControl]) -> NodeControl:
    """The nearest node (store first, then up) that sets a value; the root must set one."""
    for node in reversed(chain_root_to_store):
        if node.level is not None:
            return node
    raise ValueError("the root of the network must set every control attribute")


def may_change(principal: Principal, chain_root_to_store: list[NodeControl], permission: Permission) -> bool:
    store_path = chain_root_to_store[-1].path
    if not principal.can(permission, store_path):
        return False
    decider = deciding_node(chain_root_to_store)
    if decider.level is ControlLevel.WEAK:
        return True
    # STRONG: the principal needs the permission through a grant on the decider or an ancestor.
    return any(
        grant_covers(grant, decider.path, permission) for grant in principal.grants
    )


def ancestor_ids(path: str) -> list[int]:
    """'/1/4/17/' -> [1, 4, 17] (root first)."""
    return [int(part) for part in path.strip("/").split("/") if part]
