"""Two admins moving two partners under each other at the same time: one wins, the other is
told CANNOT_MOVE_UNDER_DESCENDANT, and the tree has no cycle (store_network.admin.lock_tree)."""
from __future__ import annotations

import asyncio

from sqlalchemy import select

from auth.roles import Principal, RoleGrant
from core.errors import DomainError
from store_network import admin
from store_network.models import NetworkNode
from store_network.provisioning import add_node


async def _move(database, principal, node_id, parent_id):
    try:
        async with database.write() as session:
            await admin.move_node(session, principal, node_id, parent_id)
        return "moved"
    except DomainError as exc:
        return exc.code.value


async def test_crossed_moves_leave_no_cycle(world, database):
    hq_path = f"/{world.hq_node_id}/"
    principal = Principal.staff(world.tenant_id, world.staff_ids["hq"], (RoleGrant("HQ_ADMIN", world.hq_node_id, hq_path),))
    for _ in range(5):
        async with database.write() as session:
            hq = await session.get(NetworkNode, world.hq_node_id)
            x, y = (await add_node(session, hq, "PARTNER", "X")).id, (await add_node(session, hq, "PARTNER", "Y")).id
        outcomes = await asyncio.gather(_move(database, principal, x, y), _move(database, principal, y, x))
        assert sorted(outcomes) == ["CANNOT_MOVE_UNDER_DESCENDANT", "moved"], outcomes
        async with database.read() as session:
            rows = {i: (parent, path) for i, parent, path in (await session.execute(
                select(NetworkNode.id, NetworkNode.parent_id, NetworkNode.path).where(NetworkNode.id.in_([x, y])))).all()}
        for node, (parent, path) in rows.items():  # each path is its parent's path plus itself
            parent_path = hq_path if parent == world.hq_node_id else rows[parent][1]
            assert path == f"{parent_path}{node}/"
