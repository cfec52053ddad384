"""The price pipeline on its own: steps run in order, each may pass, the breakdown says who set what."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from commerce import pricing
from commerce.pricing import PriceContext, PriceFacts, PricePipeline, PriceSource

AT = datetime(2026, 12, 6, 10, 0, tzinfo=timezone.utc)
CONTEXT = PriceContext(tenant_id=1, store_id=2, customer_id=None, at=AT)


class HalfPriceForMembers:
    """A stand-in for a later step (member price): needs the customer, loads its data once."""

    source = PriceSource.STORE

    def __init__(self):
        self.prepared_batches = []

    async def prepare(self, db, context, facts):
        self.prepared_batches.append([f.sku_id for f in facts])
        return {f.sku_id for f in facts if f.sku_id % 2}  # odd SKUs are on the member list

    def apply(self, current_fen, facts, context, prepared):
        if context.customer_id is None or facts.sku_id not in prepared:
            return None
        return current_fen // 2


async def test_default_pipeline_takes_the_store_price_over_hq_and_says_so():
    prices = await pricing.DEFAULT_PIPELINE.price(None, CONTEXT, [PriceFacts(1, 1250, 1100), PriceFacts(2, 900, None)])
    assert prices[1].fen == 1100 and prices[1].source is PriceSource.STORE
    assert [(c.source, c.unit_price_fen) for c in prices[1].breakdown] == [(PriceSource.HQ, 1250), (PriceSource.STORE, 1100)]
    assert prices[2].fen == 900 and prices[2].source is PriceSource.HQ
    assert [(c.source, c.unit_price_fen) for c in prices[2].breakdown] == [(PriceSource.HQ, 900)]


async def test_a_free_store_price_is_a_price_not_a_missing_one():
    (price,) = (await pricing.DEFAULT_PIPELINE.price(None, CONTEXT, [PriceFacts(1, 1250, 0)])).values()
    assert price.fen == 0 and price.source is PriceSource.STORE


async def test_a_later_step_sees_the_price_so_far_the_customer_and_loads_once_per_batch():
    member = HalfPriceForMembers()
    pipeline = PricePipeline((pricing.HqPrice(), pricing.StoreOverride(), member))
    facts = [PriceFacts(1, 1000, 800), PriceFacts(2, 1000, None), PriceFacts(3, 600, None)]
    anonymous = await pipeline.price(None, CONTEXT, facts)
    member_prices = await pipeline.price(None, PriceContext(1, 2, 42, AT), facts)
    assert {k: v.fen for k, v in anonymous.items()} == {1: 800, 2: 1000, 3: 600}
    assert {k: v.fen for k, v in member_prices.items()} == {1: 400, 2: 1000, 3: 300}
    assert [c.unit_price_fen for c in member_prices[1].breakdown] == [1000, 800, 400]
    assert member.prepared_batches == [[1, 2, 3], [1, 2, 3]]  # once per batch, not per SKU


async def test_a_step_that_would_price_below_zero_is_a_bug_not_a_price():
    class Broken:
        source = PriceSource.STORE

        async def prepare(self, db, context, facts):
            return None

        def apply(self, current_fen, facts, context, prepared):
            return current_fen - 2000

    with pytest.raises(ValueError, match="priced SKU 1 at -750"):
        await PricePipeline((pricing.HqPrice(), Broken())).price(None, CONTEXT, [PriceFacts(1, 1250, None)])


def test_the_moment_priced_must_be_timezone_aware():
    with pytest.raises(ValueError):
        PriceContext(1, 2, None, datetime(2026, 12, 6, 10, 0))
