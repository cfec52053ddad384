"""The periodic distribution jobs (run by the app's sweeper, asgi._sweep_forever): settle due
commission and apply level upgrades, one tenant and one batch per transaction. Safe to run
twice or in two processes at once: every accrual and level moves by a conditional UPDATE."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from core.clock import utc_now
from db.session import Database
from distribution import commission, enrolment
from distribution.models import CommissionAccrual, DistributionProgram

BATCH = 20_000


async def run_once(database: Database, now: datetime | None = None) -> dict[str, int]:
    now = now or utc_now()
    settled = upgraded = 0
    async with database.read() as session:
        due_tenants = list(await session.scalars(
            select(CommissionAccrual.tenant_id).where(CommissionAccrual.state == "PENDING", CommissionAccrual.settle_after <= now).distinct()
        ))
        upgrade_tenants = list(await session.scalars(
            select(DistributionProgram.tenant_id).where((DistributionProgram.upgrade_orders > 0) | (DistributionProgram.upgrade_gmv_fen > 0))
        ))
    for tenant_id in due_tenants:
        while True:
            async with database.write() as session:
                moved = await commission.settle_due(session, tenant_id, now, limit=BATCH)
            settled += moved
            if moved < BATCH:
                break
    for tenant_id in upgrade_tenants:
        async with database.write() as session:
            upgraded += len(await enrolment.run_level_upgrades(session, tenant_id, now))
    return {"settled": settled, "upgraded": upgraded}
