"""The checks every listing change passes, wherever it comes from: staff through GraphQL
(assortment.service) or a store system's POS file (store_sync.listing).

- De-listing a SKU whose product is mandatory for the store's part of the network (a
  mandatory_product row on the store or any node above it) -> PRODUCT_MANDATORY, whoever asks:
  HQ unmarks the product first.
- Re-listing follows the assortment control policy (store_network.control.may_change with
  ControlledAttribute.ASSORTMENT): under STRONG only grants on the deciding node or above may
  re-list -> LISTING_LOCKED_BY_HQ.

Everything is read once for a node and its subtree, so a partner-wide change over many stores
costs the same few queries as one store.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from assortment.models import MandatoryProduct
from auth.roles import Permission, Principal
from commerce.models import Sku
from store_network.control import ControlLevel, NodeControl, ancestor_ids, may_change
from store_network.models import NetworkNode

LOCKED = "LISTING_LOCKED_BY_HQ"
MANDATORY = "PRODUCT_MANDATORY"
# De-listing is a store's own capability (MANAGE_STOCK), as in the POS listing sync.
PERMISSION = Permission.MANAGE_STOCK


@dataclass(frozen=True)
class Refusal:
    code: str  # LOCKED or MANDATORY: each caller's error enum has a member of that name
    message: str


class ListingRules:
    def __init__(self, principal: Principal, controls: dict[int, NodeControl], mandatory: dict[int, set[int]]):
        self._principal = principal
        self._controls = controls
        self._mandatory = mandatory  # sku id -> nodes that made its product mandatory
        self._may_relist: dict[str, bool] = {}

    @classmethod
    async def load(cls, session: AsyncSession, principal: Principal, tenant_id: int, root_path: str, sku_ids) -> ListingRules:
        """For the node at `root_path` (a store, or a partner/HQ and its subtree) and these SKUs."""
        in_scope = or_(NetworkNode.id.in_(ancestor_ids(root_path)), NetworkNode.path.startswith(root_path))
        rows = (await session.execute(
            select(NetworkNode.id, NetworkNode.path, NetworkNode.assortment_control).where(NetworkNode.tenant_id == tenant_id, in_scope)
        )).all()
        controls = {i: NodeControl(node_id=i, path=p, level=ControlLevel(level) if level else None) for i, p, level in rows}
        mandatory: dict[int, set[int]] = defaultdict(set)
        wanted = set(sku_ids)
        if wanted:
            marked = await session.execute(
                select(Sku.id, MandatoryProduct.node_id)
                .join(MandatoryProduct, MandatoryProduct.product_id == Sku.product_id)
                .join(NetworkNode, NetworkNode.id == MandatoryProduct.node_id)
                .where(MandatoryProduct.tenant_id == tenant_id, Sku.tenant_id == tenant_id, Sku.id.in_(wanted), in_scope)
            )
            for sku_id, node_id in marked.all():
                mandatory[sku_id].add(node_id)
        return cls(principal, controls, mandatory)

    def may_relist(self, store_path: str) -> bool:
        if store_path not in self._may_relist:
            chain = [self._controls[i] for i in ancestor_ids(store_path)]
            self._may_relist[store_path] = may_change(self._principal, chain, PERMISSION)
        return self._may_relist[store_path]

    def is_mandatory(self, store_path: str, sku_id: int) -> bool:
        marked = self._mandatory.get(sku_id)
        return bool(marked) and not marked.isdisjoint(ancestor_ids(store_path))

    def refusal(self, store_path: str, sku_id: int, listed: bool) -> Refusal | None:
        if not listed:
            if self.is_mandatory(store_path, sku_id):
                return Refusal(MANDATORY, "this product is mandatory for this store's part of the network: it cannot be de-listed")
            return None
        if not self.may_relist(store_path):
            return Refusal(LOCKED, "this store's assortment is set centrally (strong assortment control): only HQ may re-list")
        return None
