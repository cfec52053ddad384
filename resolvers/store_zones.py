"""`Store.deliveryZones`: a store's zones for its staff (one DataLoader hop for a page of stores).

Who sees them: staff (or an API key) with DISPATCH_ORDERS or MANAGE_DELIVERY over the store, as
`riders(storeId:)`. Everyone else gets null, customers included: a zone carries its fee rule, which
is the chain's internal pricing, and a customer's question ("do you deliver here, for how much?") is
answered per point by deliveryOptions. The shapes alone would be harmless, but a public map of
every store's exact service area is easy to scrape in bulk for no customer benefit.
"""
from __future__ import annotations

from strawberry.types import Info

from auth.roles import Permission, PrincipalKind

ZONE_PERMISSIONS = (Permission.DISPATCH_ORDERS, Permission.MANAGE_DELIVERY)


async def store_zones(info: Info, store_id: int) -> list | None:
    from resolvers.zone_mutations import zone_type

    principal = info.context.principal
    if principal.kind not in (PrincipalKind.STAFF, PrincipalKind.API_KEY):
        return None
    found = await info.context.loaders.store_zones.load(store_id)
    if found is None:
        return None
    path, rows = found
    if not any(principal.can(p, path) for p in ZONE_PERMISSIONS):
        return None
    return [zone_type(row) for row in rows]
