"""Thin resolvers of storefront configuration: decode, call storefront.service, shape the answer.

`storefront(storeId)` reads a fixed number of statements whatever the page holds: the store and
its path, the live layers, the rule carousels (one UNION), the products, their SKUs, the
offers (price pipeline and stock, commerce.offers), the categories and the coupon templates.
"""
from __future__ import annotations

import dataclasses
from enum import Enum

from sqlalchemy import select
from strawberry.types import Info

from app import response_cache
from core.clock import as_utc, utc_now
from core.errors import DomainError
from promotions.models import Promotion as PromotionRow
from resolvers.errors import UserInputError, no_tenant_error
from resolvers.mutation_support import in_transaction
from resolvers.pagination import build_connection, keyset_page
from resolvers.promotions import promotion_type
from schema import ids
from schema import storefront as t
from schema.catalog import Category, Product
from schema.common import Connection
from schema.store import Store
from store_network.models import NetworkNode
from store_network.models import Store as StoreRow
from storefront import document as documents
from storefront import products as carousel
from storefront import resolution, service
from storefront.document import BannerCarousel, CategoryGrid, CouponStrip, NoticeBar, ProductCarousel
from storefront.errors import StorefrontErrorCode as Codes
from storefront.models import StorefrontVersion as VersionRow


def _plain(value):
    """A strawberry input as plain data for the document validator (unset fields left out)."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if getattr(value, f.name) is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


def _rejected(exc: service.DocumentRejected) -> t.StorefrontVersionPayload:
    return t.StorefrontVersionPayload(errors=[t.StorefrontError(field=p.field, code=t.StorefrontErrorCode(p.code.value), message=p.message) for p in exc.problems])


def version_type(row: VersionRow, now) -> t.StorefrontVersion:
    publish_at = as_utc(row.publish_at) if row.publish_at else None
    if row.status == "DRAFT":
        status = t.StorefrontVersionStatus.DRAFT
    elif publish_at > now:
        status = t.StorefrontVersionStatus.SCHEDULED
    else:
        status = t.StorefrontVersionStatus.PUBLISHED
    return t.StorefrontVersion(
        id=ids.encode("StorefrontVersion", row.id), node_id=ids.encode("NetworkNode", row.node_id), version=row.version,
        status=status, publish_at=publish_at, rolled_back_from=row.rolled_back_from, saved_by=row.saved_by,
        saved_at=as_utc(row.saved_at), published_by=row.published_by,
        published_at=as_utc(row.published_at) if row.published_at else None,
        document=documents.to_input_shape(documents.load(row.document)),
    )


async def storefront_draft_save(info: Info, input: t.StorefrontDraftSaveInput) -> t.StorefrontVersionPayload:
    try:
        document = service.check_document(_plain(input.document))
    except service.DocumentRejected as exc:  # every problem at once, before any write
        return _rejected(exc)

    async def work(session):
        node_id = ids.decode(input.node_id, "NetworkNode", Codes, "nodeId")
        now = utc_now()
        return {"storefront_version": version_type(await service.save_draft(session, info.context.principal, node_id, document, now), now)}

    return await _guarded(info, work, published=False)


async def storefront_publish(info: Info, input: t.StorefrontPublishInput) -> t.StorefrontVersionPayload:
    async def work(session):
        version_pk = ids.decode(input.version_id, "StorefrontVersion", Codes, "versionId")
        now = utc_now()
        row = await service.publish(session, info.context.principal, version_pk, input.publish_at, now)
        return {"storefront_version": version_type(row, now)}

    return await _guarded(info, work, published=True)


async def storefront_rollback(info: Info, input: t.StorefrontRollbackInput) -> t.StorefrontVersionPayload:
    async def work(session):
        node_id = ids.decode(input.node_id, "NetworkNode", Codes, "nodeId")
        now = utc_now()
        row = await service.rollback(session, info.context.principal, node_id, input.version, now)
        return {"storefront_version": version_type(row, now)}

    return await _guarded(info, work, published=True)


async def _guarded(info: Info, work, *, published: bool) -> t.StorefrontVersionPayload:
    """in_transaction, except that a rejected document reports every problem, not the first."""
    rejected: list[service.DocumentRejected] = []

    async def capture(session):
        try:
            return await work(session)
        except service.DocumentRejected as exc:
            rejected.append(exc)
            raise

    payload = await in_transaction(info, t.StorefrontVersionPayload, t.StorefrontError, Codes, capture)
    if rejected:
        return _rejected(rejected[0])
    if published and not payload.errors and info.context.tenant_id is not None:
        # This process's anonymous micro-cache forgets the brand's pages: a publish shows at once
        # here, and within the cache TTL (1 s) in every other process.
        response_cache.forget_tenant(info.context.tenant_id)
    return payload


async def storefront_versions(info: Info, node_id: str, first: int | None, after: str | None) -> Connection[t.StorefrontVersion]:
    principal = info.context.principal
    if principal.tenant_id is None:
        raise no_tenant_error(info)
    try:
        node_pk = ids.decode(node_id, "NetworkNode", Codes, "nodeId")
    except DomainError as exc:
        raise UserInputError(exc.message) from None
    node = (await info.context.reader.scalars(
        select(NetworkNode).where(NetworkNode.id == node_pk, NetworkNode.tenant_id == principal.tenant_id)
    ) or [None])[0]
    if node is None:
        raise UserInputError("network node not found")
    if not service.viewable(principal, node):
        raise UserInputError("you may not see this node's storefront versions")
    query = select(VersionRow).where(VersionRow.node_id == node.id, VersionRow.tenant_id == node.tenant_id)
    query, limit = keyset_page(query, [VersionRow.id], descending=True, first=first, after=after)
    rows = await info.context.reader.scalars(query)
    now = utc_now()
    return build_connection(rows, limit, after, lambda r: [r.id], lambda r: version_type(r, now))


async def storefront(info: Info, store_id: str) -> t.Storefront | None:
    tenant_id = info.context.tenant_id
    if tenant_id is None:
        raise no_tenant_error(info)
    try:
        store_pk = ids.decode(store_id, "Store", Codes, "storeId")
    except DomainError as exc:
        raise UserInputError(exc.message) from None
    reader, loaders = info.context.reader, info.context.loaders
    found = (await reader.execute(
        select(StoreRow, NetworkNode.path).join(NetworkNode, NetworkNode.id == StoreRow.node_id)
        .where(StoreRow.id == store_pk, StoreRow.tenant_id == tenant_id)
    )).first()
    if found is None:
        return None
    store_row, path = found
    loaders.store.prime(store_row.id, store_row)
    now = utc_now()
    page = resolution.resolve(await service.live_layers(reader, tenant_id, path, now), now)
    sections = page.sections

    rules = {i: s.section.rule for i, s in enumerate(sections) if isinstance(s.section, ProductCarousel) and s.section.rule}
    by_rule = await carousel.rule_products(reader, tenant_id, store_pk, rules, now)
    product_ids = {i: (by_rule[i] if i in by_rule else list(s.section.product_ids))
                   for i, s in enumerate(sections) if isinstance(s.section, ProductCarousel)}
    products = await _products(info, store_pk, product_ids)
    category_ids = [c for s in sections if isinstance(s.section, CategoryGrid) for c in s.section.category_ids]
    categories = dict(zip(category_ids, await loaders.category.load_many(category_ids))) if category_ids else {}
    coupons = await _coupons(info, tenant_id, path, [c for s in sections if isinstance(s.section, CouponStrip) for c in s.section.coupon_ids], now)

    out = []
    for i, item in enumerate(sections):
        out.append(_section(item, products, product_ids.get(i, []), categories, coupons))
    return t.Storefront(
        store=Store.from_row(store_row),
        theme=t.StorefrontTheme(
            primary_color=page.theme["primary_color"], accent_color=page.theme["accent_color"],
            logo_url=page.theme["logo_url"], source=_source(page.theme_source),
        ),
        navigation=t.StorefrontNavigation(
            items=[t.StorefrontNavItem(label=n.label, target=n.target) for n in page.navigation],
            source=_source(page.navigation_source),
        ),
        sections=out,
    )


async def _products(info: Info, store_pk: int, product_ids: dict[int, list[int]]) -> dict[int, Product]:
    """Every product of every carousel with this store's SKUs, prices and stock: the listing's
    batched loads once for the page. Inactive products and those with no SKU the store sells
    are left out."""
    wanted = list(dict.fromkeys(p for picks in product_ids.values() for p in picks))
    if not wanted:
        return {}
    rows = [row for row in await info.context.loaders.product.load_many(wanted) if row is not None and row.status == "ACTIVE"]
    skus = await Product.prefetch_skus(info, rows, store_pk)
    return {row.id: Product.from_row(row, store_pk, skus[row.id]) for row in rows if skus[row.id]}


async def _coupons(info: Info, tenant_id: int, store_path: str, wanted: list[int], now) -> dict[int, PromotionRow]:
    """Coupon templates that reach this store and can be claimed now (one SELECT)."""
    if not wanted:
        return {}
    rows = await info.context.reader.scalars(select(PromotionRow).where(
        PromotionRow.id.in_(set(wanted)), PromotionRow.tenant_id == tenant_id, PromotionRow.kind == "COUPON",
        PromotionRow.status == "ACTIVE", PromotionRow.starts_at <= now, PromotionRow.ends_at > now,
    ))
    return {row.id: row for row in rows if store_path.startswith(row.node_path)}


def _source(source: resolution.Source | None) -> t.StorefrontSource | None:
    if source is None:
        return None
    return t.StorefrontSource(level=t.StorefrontLevel(source.level), node_id=ids.encode("NetworkNode", source.node_id), version=source.version)


def _section(item: resolution.ResolvedSection, products, picks: list[int], categories, coupons) -> t.StorefrontSection:
    s = item.section
    common = {"key": s.key, "title": s.title, "source": _source(item.source), "locked": item.locked}
    if isinstance(s, BannerCarousel):
        return t.StorefrontBannerCarousel(**common, slides=[t.StorefrontSlide(image_url=x.image_url, link=x.link, alt=x.alt) for x in s.slides])
    if isinstance(s, ProductCarousel):
        shown = [products[p] for p in picks if p in products]
        rule = None
        if s.rule is not None:
            rule = t.StorefrontProductRule(
                category_id=ids.encode("Category", s.rule.category_id) if s.rule.category_id else None,
                sort=t.StorefrontProductSort(s.rule.sort), limit=s.rule.limit,
            )
            if s.rule.sort == "PRICE_ASC":  # the shown prices are the pipeline's: order by them
                shown.sort(key=_lowest_price)
        return t.StorefrontProductCarousel(**common, rule=rule, products=shown)
    if isinstance(s, CategoryGrid):
        return t.StorefrontCategoryGrid(**common, categories=[Category.from_row(categories[c]) for c in s.category_ids if categories.get(c)])
    if isinstance(s, NoticeBar):
        return t.StorefrontNoticeBar(**common, text=s.text, until=s.until)
    if isinstance(s, CouponStrip):
        return t.StorefrontCouponStrip(**common, coupons=[promotion_type(coupons[c]) for c in s.coupon_ids if c in coupons])
    raise AssertionError(f"unknown section {type(s).__name__}")


def _lowest_price(product: Product) -> int:
    prices = [sku.unit_price.fen for sku in product.prefetched_skus or () if sku.unit_price is not None]
    return min(prices) if prices else 2**62
