"""The ledger accounts membership posts to (kinds, owners, currencies) in one place.

Stored value (CNY): a member's `sv.principal` and `sv.bonus` may not go negative; the brand's
`sv.cash` (money received for top-ups, given back on principal refunds), `sv.bonus_granted`
(bonus given away) and `sv.adjustment` (staff corrections), and each store's `sv.sales`
(stored value spent there) may. Points ('PTS', one unit per point): the member's
`points.balance` may not go negative; the brand's `points.issued`, `points.redeemed`,
`points.expired` may.
"""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ledger import account

POINTS = "PTS"


async def principal(session: AsyncSession, tenant_id: int, member_id: int) -> int:
    return await account(session, tenant_id, "sv.principal", "member", member_id)


async def bonus(session: AsyncSession, tenant_id: int, member_id: int) -> int:
    return await account(session, tenant_id, "sv.bonus", "member", member_id)


async def brand(session: AsyncSession, tenant_id: int, kind: str, currency: str = "CNY") -> int:
    return await account(session, tenant_id, kind, "brand", tenant_id, currency=currency, allow_negative=True)


async def store_sales(session: AsyncSession, tenant_id: int, store_id: int) -> int:
    return await account(session, tenant_id, "sv.sales", "store", store_id, allow_negative=True)


async def points(session: AsyncSession, tenant_id: int, member_id: int) -> int:
    return await account(session, tenant_id, "points.balance", "member", member_id, currency=POINTS)
