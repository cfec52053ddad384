"""Each tenant's express policies (delivery.promise.express_policies, all stores), kept with
the geo index they were read for.

Every input of the policies (a store's or an ancestor's delivery settings) bumps
geo_index_version, so a new version means a new TenantGeoIndex object and a fresh read;
an index no longer in use takes its policies with it (weak keys). The caller reads them
after the index's version, so they are never older than the data the index is labelled
with. geo does not import delivery (delivery imports geo): the caller passes the read.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

if TYPE_CHECKING:  # pragma: no cover
    from geo.index_cache import TenantGeoIndex

ExpressPolicies = dict[int, tuple[bool, frozenset[int]]]  # store id -> (express enabled, express tiers)

_POLICIES: WeakKeyDictionary[TenantGeoIndex, ExpressPolicies] = WeakKeyDictionary()


async def policies_for_index(index: TenantGeoIndex, read: Callable[[], Awaitable[ExpressPolicies]]) -> ExpressPolicies:
    """The policies kept with `index`, calling `read()` once per index."""
    policies = _POLICIES.get(index)
    if policies is None:
        policies = await read()
        _POLICIES[index] = policies
    return policies
