"""Running the network through the API: partners, moving a node, creating stores.

Who may: MANAGE_STORES over the node concerned (HQ_ADMIN on the root, PARTNER_ADMIN inside its
own subtree; store roles do not hold it). A move needs it on both ends, the node moved and its
new parent, so nobody can take a store out of, or push one into, a subtree they do not run.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from core.clock import utc_now
from core.errors import DomainError
from events import emit
from events.types import NetworkNodeMoved
from store_network import lifecycle, store_fields
from store_network.access import load_node
from store_network.errors import NetworkErrorCode as Codes
from store_network.models import NetworkNode, Store
from store_network.provisioning import add_node

PARENT_KINDS = frozenset({"HQ", "PARTNER"})  # stores hang under HQ or a partner, never under a store
MAX_PATH = 255  # NetworkNode.path's column width


async def lock_tree(session: AsyncSession, tenant_id: int | None, *, exclusive: bool) -> None:
    """Serialise path rewrites with everything that reads a path to write one: a move holds
    the brand's HQ row FOR UPDATE, a create FOR SHARE (creates still run side by side). Taken
    before any node is read, so under READ COMMITTED the reads that follow see the last
    committed move. Without it, two concurrent moves (X under Y, Y under X) could each pass
    the descendant check and leave a cycle. SQLite has one writer at a time anyway."""
    if session.bind.dialect.name != "postgresql" or tenant_id is None:
        return
    query = select(NetworkNode.id).where(NetworkNode.tenant_id == tenant_id, NetworkNode.kind == "HQ")
    await session.execute(query.with_for_update(read=not exclusive))


async def managed_node(session: AsyncSession, principal: Principal, node_id: int, field: str) -> NetworkNode:
    """The node, if the principal may manage stores there (NOT_FOUND across tenants)."""
    node = await load_node(session, principal, node_id, Codes, field)
    if not principal.is_authenticated:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in first", None)
    if not principal.can(Permission.MANAGE_STORES, node.path):
        raise DomainError(Codes.PERMISSION_DENIED, "you may not manage this part of the network", field)
    return node


async def parent_node(session: AsyncSession, principal: Principal, parent_id: int, field: str = "parentId") -> NetworkNode:
    parent = await managed_node(session, principal, parent_id, field)
    if parent.kind not in PARENT_KINDS:
        raise DomainError(Codes.INVALID, "a parent is HQ or a partner, not a store", field)
    return parent


def _name(raw: str) -> str:
    return store_fields.text(raw, "name", 200)


async def create_partner(session: AsyncSession, principal: Principal, parent_id: int, name: str) -> NetworkNode:
    await lock_tree(session, principal.tenant_id, exclusive=False)
    parent = await parent_node(session, principal, parent_id)
    if len(parent.path) + 21 > MAX_PATH:
        raise DomainError(Codes.INVALID, "the network is too deep here", "parentId")
    return await add_node(session, parent, "PARTNER", _name(name))


async def update_partner(session: AsyncSession, principal: Principal, node_id: int, name: str) -> NetworkNode:
    node = await managed_node(session, principal, node_id, "id")
    if node.kind != "PARTNER":
        raise DomainError(Codes.INVALID, "not a partner node", "id")
    node.name = _name(name)
    await session.flush()
    return node


async def move_node(session: AsyncSession, principal: Principal, node_id: int, new_parent_id: int) -> NetworkNode:
    """Re-hang a partner (with everything below it) or a store under another partner or HQ.

    One UPDATE rewrites the path prefix of the whole subtree, so every grant, control policy
    and delivery setting below follows at once: a PARTNER_ADMIN of the old parent no longer
    covers a store that moved away (grants are checked against the nodes' current paths)."""
    await lock_tree(session, principal.tenant_id, exclusive=True)
    node = await managed_node(session, principal, node_id, "nodeId")
    if node.kind == "HQ":
        raise DomainError(Codes.INVALID, "HQ is the root and does not move", "nodeId")
    parent = await parent_node(session, principal, new_parent_id, "newParentId")
    if parent.path.startswith(node.path):  # itself or one of its descendants
        raise DomainError(Codes.CANNOT_MOVE_UNDER_DESCENDANT, "a node cannot move under itself or its own descendant", "newParentId")
    if node.parent_id == parent.id:
        return node  # already there: a retry is a no-op
    old_prefix, new_prefix = node.path, f"{parent.path}{node.id}/"
    deepest = await session.scalar(
        select(func.max(func.length(NetworkNode.path))).where(NetworkNode.tenant_id == node.tenant_id, NetworkNode.path.startswith(old_prefix))
    )
    if int(deepest or 0) - len(old_prefix) + len(new_prefix) > MAX_PATH:
        raise DomainError(Codes.INVALID, "the network would be too deep there", "newParentId")
    # Paths are "/"-separated ids, so the prefix has no LIKE wildcards; each new path ends with
    # its own node's id as before, so no two rows ever share one mid-statement.
    await session.execute(
        update(NetworkNode)
        .where(NetworkNode.tenant_id == node.tenant_id, NetworkNode.path.startswith(old_prefix))
        .values(path=literal(new_prefix) + func.substr(NetworkNode.path, len(old_prefix) + 1))
        .execution_options(synchronize_session=False)
    )
    old_parent_id = node.parent_id
    await session.execute(update(NetworkNode).where(NetworkNode.id == node.id).values(parent_id=parent.id))
    await session.refresh(node)
    # Copies of paths outside this package (promotions' campaign scopes) follow through the event.
    await emit(session, NetworkNodeMoved(
        tenant_id=node.tenant_id, at=utc_now(), node_id=node.id, kind=node.kind, old_parent_id=old_parent_id,
        new_parent_id=parent.id, old_path=old_prefix, new_path=new_prefix,
    ))
    return node


@dataclass
class NewStore:
    """Checked input of one new store (store_fields made each value)."""

    code: str
    name: str
    city: str
    address: str
    lon: float  # WGS-84
    lat: float
    timezone: str
    business_hours: dict
    district: str = ""
    status: str = lifecycle.StoreStatus.OPENING_SOON.value
    prep_minutes: int = 10
    delivery_radius_m: int = 3000
    fulfilment_types: list[str] = field(default_factory=lambda: list(store_fields.FULFILMENT_TYPES))


def initial_status(raw: str | None, field: str = "status") -> str:
    if raw is None or raw == "":
        return lifecycle.StoreStatus.OPENING_SOON.value
    status = lifecycle.parse_status(raw, field)
    if status not in lifecycle.INITIAL:
        raise DomainError(Codes.INVALID, "a new store starts OPENING_SOON, OPEN or PAUSED", field)
    return status.value


async def code_taken(session: AsyncSession, tenant_id: int, codes: list[str]) -> set[str]:
    taken: set[str] = set()
    for start in range(0, len(codes), 500):
        chunk = codes[start:start + 500]
        taken.update(await session.scalars(select(Store.code).where(Store.tenant_id == tenant_id, Store.code.in_(chunk))))
    return taken


async def create_store(session: AsyncSession, principal: Principal, parent_id: int, data: NewStore) -> Store:
    await lock_tree(session, principal.tenant_id, exclusive=False)
    parent = await parent_node(session, principal, parent_id)
    if await code_taken(session, parent.tenant_id, [data.code]):
        raise DomainError(Codes.STORE_CODE_TAKEN, f"store code {data.code!r} is taken", "code")
    node = await add_node(session, parent, "STORE", data.name)
    store = Store(tenant_id=parent.tenant_id, node_id=node.id, **vars(data))
    try:
        async with session.begin_nested():  # a concurrent create of the same code
            session.add(store)
            await session.flush()
    except IntegrityError:
        raise DomainError(Codes.STORE_CODE_TAKEN, f"store code {data.code!r} is taken", "code") from None
    return store
