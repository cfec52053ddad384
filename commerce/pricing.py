"""The one owner of prices: what one unit of a SKU costs in a store, for a customer, at a moment.

A price is worked out by an ordered pipeline of steps. Each step sees the price so far and
the SKU's facts and either sets a new unit price or passes; the breakdown records every step
that set one, so a client (or support) can tell where a price came from. Today's steps:

    HQ         the SKU's base price (always applies: the pipeline's floor)
    PARTNER    the nearest partner ancestor's price (partnerPriceSet; network_pricing, added at start-up)
    STORE      the store's own price (storePriceSet), where it has one
    TIME       a time price active now in the store's timezone (network_pricing, added at start-up)
    MEMBER     a member's price or level discount (membership.pricing, added at start-up)
    PROMOTION  a flash-sale price (promotions.flash_sales, added at start-up)

Steps run in the order of PriceSource (the order in which a customer expects them to stack,
as Saleor and Vendure apply catalogue prices before discounts); a domain adds its step with
`add_step` when it is wired (events.wiring), so commerce imports none of them and callers
never change. Order-level discounts (coupons, spend-and-save) come after unit prices, in the
checkout's adjustment stage (commerce.ports.adjust_order). A step that needs
more data than the SKU row and the store price loads it in `prepare`, once for the whole
batch, so a page or a cart is priced with a fixed number of SELECTs whatever its size.

Callers: the storefront offers (commerce.offers), checkout, storePriceSet and partnerPriceSet.
Nothing else computes a unit price.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from sqlalchemy import Select, and_, select

from commerce.models import Sku
from commerce.models import StorePrice as StorePriceRow
from core.clock import require_aware
from core.money import MAX_AMOUNT_FEN


class PriceSource(str, Enum):
    """Which step set a price. Declaration order is pipeline order."""

    HQ = "HQ"
    PARTNER = "PARTNER"  # network_pricing.steps: a partner's price for every store below it
    STORE = "STORE"
    TIME = "TIME"  # network_pricing.steps: a time price (daily window and/or date range)
    MEMBER = "MEMBER"  # membership (issue #14): member price or level discount
    PROMOTION = "PROMOTION"  # promotions.flash_sales: a flash-sale price (a step plugged in at start-up)


@dataclass(frozen=True, slots=True)
class PriceContext:
    tenant_id: int
    store_id: int
    customer_id: int | None  # None: anonymous, or staff
    at: datetime  # the moment priced (timezone-aware): time prices and promotions depend on it

    def __post_init__(self) -> None:
        require_aware(self.at, "at")


@dataclass(frozen=True, slots=True)
class PriceFacts:
    """What the built-in steps read about one SKU in the context's store."""

    sku_id: int
    base_price_fen: int
    store_price_fen: int | None


@dataclass(frozen=True, slots=True)
class PriceComponent:
    source: PriceSource
    unit_price_fen: int  # the unit price after this step


@dataclass(frozen=True, slots=True)
class UnitPrice:
    fen: int
    breakdown: tuple[PriceComponent, ...]  # every step that set a price, in pipeline order

    @property
    def source(self) -> PriceSource:
        return self.breakdown[-1].source


class Reader(Protocol):
    """An AsyncSession, or the request's RequestReader: anything that executes a statement."""

    async def execute(self, statement, params=None) -> Any: ...


class PriceStep(Protocol):
    source: PriceSource

    async def prepare(self, db: Reader, context: PriceContext, facts: Sequence[PriceFacts]) -> Any:
        """Load what this step needs for the whole batch (one query at most); None if nothing."""

    def apply(self, current_fen: int | None, facts: PriceFacts, context: PriceContext, prepared: Any) -> int | None:
        """The new unit price in fen, or None when the step does not apply to this SKU."""


class HqPrice:
    source = PriceSource.HQ

    async def prepare(self, db, context, facts):
        return None

    def apply(self, current_fen, facts, context, prepared):
        return facts.base_price_fen


class StoreOverride:
    source = PriceSource.STORE

    async def prepare(self, db, context, facts):
        return None

    def apply(self, current_fen, facts, context, prepared):
        return facts.store_price_fen


class PricePipeline:
    def __init__(self, steps: Sequence[PriceStep]):
        if not steps:
            raise ValueError("a price pipeline needs at least one step")
        self.steps = tuple(steps)

    async def price(self, db: Reader, context: PriceContext, facts: Iterable[PriceFacts]) -> dict[int, UnitPrice]:
        batch = list(facts)
        if not batch:
            return {}
        prepared = [await step.prepare(db, context, batch) for step in self.steps]
        return {item.sku_id: self._run(item, context, prepared) for item in batch}

    def _run(self, facts: PriceFacts, context: PriceContext, prepared: list) -> UnitPrice:
        current: int | None = None
        components: list[PriceComponent] = []
        for step, data in zip(self.steps, prepared, strict=True):
            fen = step.apply(current, facts, context, data)
            if fen is None:
                continue
            if not 0 <= fen <= MAX_AMOUNT_FEN:
                # A step's bug, not the customer's input: never sell below zero or overflow a total.
                raise ValueError(f"price step {step.source.value} priced SKU {facts.sku_id} at {fen} fen")
            current = fen
            components.append(PriceComponent(step.source, fen))
        if current is None:
            raise ValueError(f"no step priced SKU {facts.sku_id}: the first step must always apply")
        return UnitPrice(current, tuple(components))


DEFAULT_PIPELINE = PricePipeline((HqPrice(), StoreOverride()))
_STEP_ORDER = list(PriceSource)


def add_step(step: PriceStep) -> None:
    """Plug in a step another domain owns (membership's MEMBER price, promotions' flash-sale
    price) at start-up, in PriceSource order whatever the order of wiring; adding a step of the
    same class again is a no-op."""
    global DEFAULT_PIPELINE
    if any(type(existing) is type(step) for existing in DEFAULT_PIPELINE.steps):
        return
    steps = sorted((*DEFAULT_PIPELINE.steps, step), key=lambda s: _STEP_ORDER.index(s.source))
    DEFAULT_PIPELINE = PricePipeline(steps)


# Labels of the fact columns `with_price_facts` adds; `facts_from` reads them back.
_SKU, _BASE, _STORE = "pricing_sku_id", "pricing_base_fen", "pricing_store_fen"


def with_price_facts(query: Select, store_id: int) -> Select:
    """Add the built-in steps' facts to a query whose FROM has Sku: the caller keeps its one
    SELECT (the storefront joins stock to it, checkout its cart lines)."""
    return query.add_columns(
        Sku.id.label(_SKU), Sku.base_price_fen.label(_BASE), StorePriceRow.price_fen.label(_STORE)
    ).outerjoin(StorePriceRow, and_(StorePriceRow.sku_id == Sku.id, StorePriceRow.store_id == store_id))


def facts_from(row) -> PriceFacts:
    """The facts of one row of a query built with `with_price_facts`."""
    mapping = row._mapping
    return PriceFacts(mapping[_SKU], mapping[_BASE], mapping[_STORE])


async def price_facts(db: Reader, context: PriceContext, facts: Iterable[PriceFacts]) -> dict[int, UnitPrice]:
    """Price already-loaded facts through the current pipeline, keyed by SKU id."""
    return await DEFAULT_PIPELINE.price(db, context, facts)


async def price_skus(db: Reader, context: PriceContext, sku_ids: Iterable[int]) -> dict[int, UnitPrice]:
    """Load and price SKUs of the context's tenant; an unknown id is simply absent."""
    ids = set(sku_ids)
    if not ids:
        return {}
    query = with_price_facts(select(), context.store_id).where(Sku.id.in_(ids), Sku.tenant_id == context.tenant_id)
    rows = (await db.execute(query)).all()
    return await price_facts(db, context, (facts_from(row) for row in rows))
