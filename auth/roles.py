"""Staff roles bound to store-network nodes, and the request Principal.

Node paths are materialized paths of node ids with leading and trailing
slashes: "/1/" (HQ), "/1/4/" (partner), "/1/4/17/" (store). A grant on a node
covers that node and its whole subtree. Paths are assumed tenant-scoped by
the caller: ``can`` does not compare tenants.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class StaffRole(StrEnum):
    HQ_ADMIN = "HQ_ADMIN"
    PARTNER_ADMIN = "PARTNER_ADMIN"
    STORE_MANAGER = "STORE_MANAGER"
    STORE_STAFF = "STORE_STAFF"


class Permission(StrEnum):
    MANAGE_CATALOG = "MANAGE_CATALOG"
    MANAGE_STORES = "MANAGE_STORES"
    MANAGE_PRICES = "MANAGE_PRICES"
    MANAGE_STOCK = "MANAGE_STOCK"
    MANAGE_ORDERS = "MANAGE_ORDERS"
    VIEW_ORDERS = "VIEW_ORDERS"
    MANAGE_STAFF = "MANAGE_STAFF"
    MANAGE_DELIVERY = "MANAGE_DELIVERY"
    DISPATCH_ORDERS = "DISPATCH_ORDERS"
    OVERRIDE_COMPLETION = "OVERRIDE_COMPLETION"  # complete an order without its proof/pickup code (orderComplete)
    MANAGE_DISTRIBUTION = "MANAGE_DISTRIBUTION"  # invite, deactivate and re-link salespeople of the store (distribution/)
    MANAGE_STOREFRONT = "MANAGE_STOREFRONT"  # the node's storefront document (storefront/), subject to storefront control


_STORE_STAFF = frozenset({Permission.VIEW_ORDERS, Permission.MANAGE_ORDERS, Permission.DISPATCH_ORDERS})
# MANAGE_PRICES here is the role's capability; whether a given store may set
# its own prices is decided by the store-network control policy.
_STORE_MANAGER = _STORE_STAFF | {
    Permission.MANAGE_STOCK, Permission.MANAGE_PRICES, Permission.MANAGE_DELIVERY, Permission.OVERRIDE_COMPLETION,
    Permission.MANAGE_DISTRIBUTION, Permission.MANAGE_STOREFRONT,
}

ROLE_PERMISSIONS: Mapping[StaffRole, frozenset[Permission]] = MappingProxyType(
    {
        StaffRole.HQ_ADMIN: frozenset(Permission),
        StaffRole.PARTNER_ADMIN: frozenset(Permission) - {Permission.MANAGE_CATALOG},
        StaffRole.STORE_MANAGER: _STORE_MANAGER,
        StaffRole.STORE_STAFF: _STORE_STAFF,
    }
)

_NODE_PATH = re.compile(r"/(?:[1-9][0-9]*/)+")


def validate_node_path(path: str) -> str:
    if not isinstance(path, str) or not _NODE_PATH.fullmatch(path):
        raise ValueError(f"malformed node path {path!r}; expected e.g. '/1/4/17/'")
    return path


@dataclass(frozen=True, slots=True)
class RoleGrant:
    role: StaffRole
    node_id: int
    node_path: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", StaffRole(self.role))
        validate_node_path(self.node_path)
        if self.node_path.rstrip("/").rsplit("/", 1)[-1] != str(self.node_id):
            raise ValueError(f"node_path {self.node_path!r} does not end with node_id {self.node_id}")


def grant_covers(grant: RoleGrant, target_node_path: str, permission: Permission) -> bool:
    """True iff the target is the grant's node or below it AND the role has ``permission``."""
    validate_node_path(target_node_path)
    # Both paths end with "/", so "/1/4/" is a prefix of "/1/4/17/" but not of "/1/40/".
    return target_node_path.startswith(grant.node_path) and permission in ROLE_PERMISSIONS[grant.role]


class PrincipalKind(StrEnum):
    ANONYMOUS = "ANONYMOUS"
    CUSTOMER = "CUSTOMER"
    STAFF = "STAFF"
    API_KEY = "API_KEY"
    RIDER = "RIDER"  # a rider of the chain's own fleet: sees and moves only its own delivery tasks


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is making the request. Staff and API keys may carry role grants."""

    kind: PrincipalKind
    tenant_id: int | None = None
    customer_id: int | None = None
    staff_id: int | None = None
    api_key_id: int | None = None
    rider_id: int | None = None
    grants: tuple[RoleGrant, ...] = field(default=())
    token_family: str | None = None  # the sign-in (refresh-token family) of a bearer token; `logout` ends it

    def __post_init__(self) -> None:
        kind = PrincipalKind(self.kind)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "grants", tuple(self.grants))
        ids = {
            PrincipalKind.CUSTOMER: self.customer_id,
            PrincipalKind.STAFF: self.staff_id,
            PrincipalKind.API_KEY: self.api_key_id,
            PrincipalKind.RIDER: self.rider_id,
        }
        for k, value in ids.items():
            if (value is not None) != (k == kind):
                raise ValueError(f"{kind.value} principal: {k.value.lower()} id must {'' if k == kind else 'not '}be set")
        if kind is not PrincipalKind.ANONYMOUS and self.tenant_id is None:
            raise ValueError(f"{kind.value} principal requires tenant_id")
        if self.grants and kind not in (PrincipalKind.STAFF, PrincipalKind.API_KEY):
            raise ValueError(f"{kind.value} principal cannot hold role grants")
        if not all(isinstance(g, RoleGrant) for g in self.grants):
            raise TypeError("grants must be RoleGrant instances")

    @classmethod
    def anonymous(cls, tenant_id: int | None = None) -> Principal:
        return cls(PrincipalKind.ANONYMOUS, tenant_id=tenant_id)

    @classmethod
    def customer(cls, tenant_id: int, customer_id: int) -> Principal:
        return cls(PrincipalKind.CUSTOMER, tenant_id=tenant_id, customer_id=customer_id)

    @classmethod
    def staff(cls, tenant_id: int, staff_id: int, grants: tuple[RoleGrant, ...] = ()) -> Principal:
        return cls(PrincipalKind.STAFF, tenant_id=tenant_id, staff_id=staff_id, grants=grants)

    @classmethod
    def api_key(cls, tenant_id: int, api_key_id: int, grants: tuple[RoleGrant, ...] = ()) -> Principal:
        return cls(PrincipalKind.API_KEY, tenant_id=tenant_id, api_key_id=api_key_id, grants=grants)

    @classmethod
    def rider(cls, tenant_id: int, rider_id: int) -> Principal:
        return cls(PrincipalKind.RIDER, tenant_id=tenant_id, rider_id=rider_id)

    @property
    def is_staff(self) -> bool:
        return self.kind is PrincipalKind.STAFF

    @property
    def is_authenticated(self) -> bool:
        return self.kind is not PrincipalKind.ANONYMOUS

    def can(self, permission: Permission, node_path: str) -> bool:
        """True iff any grant covers ``node_path`` with ``permission``."""
        validate_node_path(node_path)
        return any(grant_covers(g, node_path, permission) for g in self.grants)
