"""The MEMBER step of the one price owner (commerce.pricing): after STORE, a member pays the
member price set for their level (or for every member), else the store/HQ price less their
level's discount, never more than the price so far. Anonymous shoppers and non-members: no
change. One SELECT per priced batch (member, level and the batch's member prices joined)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from membership.models import Member, MemberLevel, MemberPrice


@dataclass(frozen=True)
class MemberTerms:
    level_id: int | None
    discount_percent: int
    prices: dict[tuple[int, int | None], int]  # (sku_id, level_id or None) -> price_fen


def level_discount(price_fen: int, discount_percent: int) -> int:
    """`discount_percent` of the price, rounded half up to the fen (integers only)."""
    return (price_fen * discount_percent + 50) // 100


class MemberStep:
    def __init__(self, source):
        self.source = source  # commerce.pricing.PriceSource.MEMBER (passed in: no import cycle)

    async def prepare(self, db, context, facts):
        if context.customer_id is None:
            return None
        sku_ids = [item.sku_id for item in facts]
        rows = (
            await db.execute(
                select(Member.level_id, MemberLevel.discount_percent, MemberPrice.sku_id, MemberPrice.level_id, MemberPrice.price_fen)
                .select_from(Member)
                .outerjoin(MemberLevel, MemberLevel.id == Member.level_id)
                .outerjoin(
                    MemberPrice,
                    and_(
                        MemberPrice.tenant_id == Member.tenant_id,
                        MemberPrice.sku_id.in_(sku_ids),
                        or_(MemberPrice.level_id.is_(None), MemberPrice.level_id == Member.level_id),
                    ),
                )
                .where(Member.tenant_id == context.tenant_id, Member.customer_id == context.customer_id)
            )
        ).all()
        if not rows:
            return None  # not a member
        level_id, discount = rows[0][0], rows[0][1] or 100
        prices = {(sku_id, price_level): fen for _, _, sku_id, price_level, fen in rows if sku_id is not None}
        return MemberTerms(level_id, discount, prices)

    def apply(self, current_fen, facts, context, prepared):
        if prepared is None or current_fen is None:
            return None
        terms: MemberTerms = prepared
        member_price = terms.prices.get((facts.sku_id, terms.level_id))
        if member_price is None:
            member_price = terms.prices.get((facts.sku_id, None))
        if member_price is not None:
            return min(member_price, current_fen)
        if terms.discount_percent >= 100:
            return None
        return level_discount(current_fen, terms.discount_percent)
