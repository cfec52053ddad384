import pytest

from auth.roles import (
    ROLE_PERMISSIONS,
    Permission,
    Principal,
    PrincipalKind,
    RoleGrant,
    StaffRole,
    grant_covers,
)

P = Permission
HQ = "/1/"
PARTNER = "/1/4/"
STORE = "/1/4/17/"
OTHER_PARTNER = "/1/40/"
OTHER_STORE = "/1/40/170/"


def test_role_table():
    assert ROLE_PERMISSIONS[StaffRole.HQ_ADMIN] == frozenset(Permission)
    assert ROLE_PERMISSIONS[StaffRole.PARTNER_ADMIN] == frozenset(Permission) - {P.MANAGE_CATALOG}
    for role in (StaffRole.PARTNER_ADMIN, StaffRole.STORE_MANAGER, StaffRole.STORE_STAFF):
        assert P.MANAGE_CATALOG not in ROLE_PERMISSIONS[role]
    assert ROLE_PERMISSIONS[StaffRole.STORE_STAFF] == {P.VIEW_ORDERS, P.MANAGE_ORDERS, P.DISPATCH_ORDERS}
    manager = ROLE_PERMISSIONS[StaffRole.STORE_MANAGER]
    assert {P.MANAGE_STOCK, P.MANAGE_PRICES, P.MANAGE_ORDERS, P.MANAGE_DELIVERY} <= manager
    assert P.MANAGE_STORES not in manager and P.MANAGE_STAFF not in manager
    with pytest.raises(TypeError):
        ROLE_PERMISSIONS[StaffRole.STORE_STAFF] = frozenset()  # type: ignore[index]


def test_subtree_and_prefix_trap():
    grant = RoleGrant(StaffRole.PARTNER_ADMIN, 4, PARTNER)
    assert grant_covers(grant, PARTNER, P.MANAGE_STOCK)
    assert grant_covers(grant, STORE, P.MANAGE_STOCK)
    assert not grant_covers(grant, OTHER_PARTNER, P.MANAGE_STOCK)  # "/1/4/" vs "/1/40/"
    assert not grant_covers(grant, OTHER_STORE, P.MANAGE_STOCK)
    assert not grant_covers(grant, HQ, P.MANAGE_STOCK)  # no upward coverage
    assert not grant_covers(grant, STORE, P.MANAGE_CATALOG)


def test_malformed_paths_rejected():
    grant = RoleGrant(StaffRole.PARTNER_ADMIN, 4, PARTNER)
    for bad in ["/1/4", "1/4/", "/1//4/", "/1/4/x/", "", "/", "/01/4/"]:
        with pytest.raises(ValueError):
            grant_covers(grant, bad, P.VIEW_ORDERS)
    for args in [(4, "/1/4"), (5, "/1/4/"), (4, "/1/40/")]:
        with pytest.raises(ValueError):
            RoleGrant(StaffRole.PARTNER_ADMIN, *args)


def test_store_staff_and_manager():
    staff = Principal.staff(1, 3, (RoleGrant(StaffRole.STORE_STAFF, 17, STORE),))
    assert staff.is_staff and staff.is_authenticated
    assert staff.can(P.MANAGE_ORDERS, STORE) and staff.can(P.DISPATCH_ORDERS, STORE)
    assert not staff.can(P.MANAGE_PRICES, STORE)
    assert not staff.can(P.MANAGE_ORDERS, PARTNER)
    manager = Principal.staff(1, 4, [RoleGrant("STORE_MANAGER", 17, STORE)])
    assert manager.grants[0].role is StaffRole.STORE_MANAGER and isinstance(manager.grants, tuple)
    assert manager.can(P.MANAGE_PRICES, STORE) and manager.can(P.MANAGE_STOCK, STORE)
    assert not manager.can(P.MANAGE_STAFF, STORE) and not manager.can(P.MANAGE_STOCK, "/1/4/18/")


def test_multiple_grants_and_hq():
    p = Principal.staff(
        1, 5, (RoleGrant(StaffRole.STORE_STAFF, 17, STORE), RoleGrant(StaffRole.STORE_MANAGER, 170, OTHER_STORE))
    )
    assert p.can(P.MANAGE_PRICES, OTHER_STORE) and not p.can(P.MANAGE_PRICES, STORE)
    hq = Principal.staff(1, 1, (RoleGrant(StaffRole.HQ_ADMIN, 1, HQ),))
    assert all(hq.can(perm, path) for perm in Permission for path in (HQ, PARTNER, STORE, OTHER_STORE))
    assert not hq.can(P.VIEW_ORDERS, "/2/")


def test_non_staff_principals():
    anon = Principal.anonymous(tenant_id=1)
    cust = Principal.customer(1, 12)
    assert not anon.is_authenticated and cust.is_authenticated
    assert not anon.is_staff and not cust.is_staff
    assert not any(p.can(perm, HQ) for p in (anon, cust) for perm in Permission)
    key = Principal.api_key(1, 9, (RoleGrant(StaffRole.STORE_MANAGER, 17, STORE),))
    assert not key.is_staff and key.can(P.MANAGE_STOCK, STORE)


def test_principal_consistency():
    grant = RoleGrant(StaffRole.HQ_ADMIN, 1, HQ)
    with pytest.raises(ValueError):
        Principal(PrincipalKind.CUSTOMER, tenant_id=1, customer_id=1, grants=(grant,))
    with pytest.raises(ValueError):
        Principal(PrincipalKind.STAFF, tenant_id=1)  # missing staff_id
    with pytest.raises(ValueError):
        Principal(PrincipalKind.STAFF, tenant_id=1, staff_id=1, customer_id=2)
    with pytest.raises(ValueError):
        Principal(PrincipalKind.CUSTOMER, customer_id=1)  # missing tenant
    with pytest.raises(ValueError):
        Principal(PrincipalKind.ANONYMOUS, grants=(grant,))
