"""The nightly membership job, per brand: expire points lots past their date, then re-evaluate
levels (audited). Each brand in its own transaction. `qiandian membership-nightly` runs it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from db.session import Database
from membership import members, points
from store_network.models import Tenant


async def nightly(database: Database, now: datetime) -> list[str]:
    async with database.read() as session:
        tenant_ids = list(await session.scalars(select(Tenant.id).order_by(Tenant.id)))
    lines = []
    for tenant_id in tenant_ids:
        async with database.write() as session:
            expired = await points.expire(session, tenant_id, now)
            changed = await members.evaluate_levels(session, tenant_id, now)
        if expired or changed:
            lines.append(f"tenant={tenant_id} points_expired={expired} levels_changed={changed}")
    return lines
