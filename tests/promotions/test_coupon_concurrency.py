"""Coupon counters under concurrent callers: the total quota and the per-customer limit only
move by conditional UPDATE / unique claim number, so racing claims never exceed either."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from auth.roles import Principal
from commerce.models import Customer, OrderLine
from core.errors import DomainError
from promotions import service
from promotions.models import Coupon, Promotion
from tests.promotions.helpers import add_to_cart, checkout, create, rule


async def _template(database, world, quota: int | None, limit: int = 1) -> int:
    now = datetime.now(timezone.utc)
    async with database.write() as session:
        row = Promotion(
            tenant_id=world.tenant_id, node_id=world.hq_node_id, node_path=f"/{world.hq_node_id}/", kind="COUPON", status="ACTIVE",
            name="race", version=1, priority=0, stackable=False, conditions=[], actions=[{"code": "amount_off", "args": {"amount": 100}}],
            scope={}, starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1), per_customer_limit=limit, total_quota=quota, issued=0,
        )
        session.add(row)
        await session.flush()
        return row.id


async def _claim(database, world, customer_id: int, promotion_id: int) -> str:
    try:
        async with database.write() as session:
            await service.claim(session, Principal.customer(world.tenant_id, customer_id), promotion_id, None, datetime.now(timezone.utc))
        return "OK"
    except DomainError as exc:
        return exc.code.value


async def test_twenty_customers_racing_for_five_coupons_get_exactly_five(database, world):
    promotion_id = await _template(database, world, quota=5)
    async with database.write() as session:
        customers = [Customer(tenant_id=world.tenant_id, mobile=f"+86136{i:08d}") for i in range(20)]
        session.add_all(customers)
        await session.flush()
        ids = [c.id for c in customers]
    results = await asyncio.gather(*(_claim(database, world, cid, promotion_id) for cid in ids))
    assert results.count("OK") == 5 and set(results) == {"OK", "COUPON_SOLD_OUT"}
    async with database.read() as session:
        assert await session.scalar(select(Promotion.issued).where(Promotion.id == promotion_id)) == 5
        assert await session.scalar(select(func.count()).select_from(Coupon).where(Coupon.promotion_id == promotion_id)) == 5


async def test_one_customer_racing_eight_claims_against_a_limit_of_two_gets_two(database, world):
    promotion_id = await _template(database, world, quota=None, limit=2)
    alice = world.customer_ids["alice"]
    results = await asyncio.gather(*(_claim(database, world, alice, promotion_id) for _ in range(8)))
    assert results.count("OK") == 2 and set(results) == {"OK", "COUPON_LIMIT_REACHED"}
    async with database.read() as session:
        assert await session.scalar(select(func.count()).select_from(Coupon).where(Coupon.promotion_id == promotion_id)) == 2
        assert await session.scalar(select(Promotion.issued).where(Promotion.id == promotion_id)) == 2  # losers' quota rolled back


async def test_redeem_by_code_at_checkout_and_the_line_refund_uses_the_allocated_share(client, world, database):
    made = await create(client, world, name="Code 20%", kind="COUPON", actions=[rule("percent_off", percent=20)], code="SPRING20")
    assert made["errors"] == []
    await add_to_cart(client, world, "b", milk=2, bread=1)  # 25.00 + 9.00
    placed = await checkout(client, world, "b", code="spring20")
    assert placed["errors"] == [] and placed["order"]["discount"] == {"amount": "6.80"} and placed["order"]["total"] == {"amount": "27.20"}
    async with database.read() as session:
        milk = await session.scalar(select(OrderLine).where(OrderLine.sku_code == "SKU-milk", OrderLine.line_total_fen == 2500).order_by(OrderLine.id.desc()))
        assert await service.line_refund_fen(session, milk.id, milk.line_total_fen, 2, 1) == 1000  # 12.50 less its 20%
    # The code's template allows one per customer: a second order with it is refused, typed.
    await add_to_cart(client, world, "b", milk=1)
    again = await checkout(client, world, "b", code="SPRING20")
    assert again["errors"][0]["code"] == "COUPON_LIMIT_REACHED"
