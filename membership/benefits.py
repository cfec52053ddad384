"""Level benefits read outside membership: the free-delivery threshold at checkout."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from membership.models import Member, MemberLevel


async def delivery_fee_fen(session: AsyncSession, tenant_id: int, customer_id: int, subtotal_fen: int, fee_fen: int) -> int:
    """0 if the customer's level delivers free from a subtotal this order reaches, else the fee."""
    if fee_fen == 0:
        return 0
    threshold = await session.scalar(
        select(MemberLevel.free_delivery_min_fen)
        .join(Member, Member.level_id == MemberLevel.id)
        .where(Member.tenant_id == tenant_id, Member.customer_id == customer_id)
    )
    return 0 if threshold is not None and subtotal_fen >= threshold else fee_fen
