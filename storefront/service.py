"""Saving, publishing and rolling back a node's storefront document; loading the live layers.

Who may change a node's document: MANAGE_STOREFRONT over the node (HQ_ADMIN for the template,
PARTNER_ADMIN and STORE_MANAGER for their own node), then the storefront control policy
(store_network.policies: STRONG above the node -> STOREFRONT_LOCKED_BY_HQ), then the section
locks of the nodes above (SECTION_LOCKED). Like store prices, the policy is checked when a
document changes; what was published stays until someone allowed to changes it. Section locks
also apply when a page is resolved (storefront.resolution).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from commerce.models import Category, Product
from core.errors import DomainError
from promotions.models import Promotion
from store_network.access import load_node
from store_network.control import ControlledAttribute, ancestor_ids
from store_network.models import NetworkNode
from store_network.policies import require_may_change
from storefront import document as documents
from storefront.document import CategoryGrid, CouponStrip, Document, ProductCarousel
from storefront.errors import StorefrontErrorCode as Codes
from storefront.models import StorefrontVersion
from storefront.resolution import Layer, Source, locked_keys


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of a document, reported as a payload error."""

    field: str
    code: Codes
    message: str


class DocumentRejected(DomainError):
    """Every problem of a document at once (a client fixes them in one go)."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0].code, problems[0].message, problems[0].field)
        self.problems = problems


def check_document(raw: dict) -> Document:
    """Validate a document as the client sent it; DocumentRejected lists every problem."""
    document, problems = documents.validate(raw)
    if problems:
        raise DocumentRejected([
            Problem(p.path, Codes.INVALID_SECTION if p.in_section else Codes.INVALID, p.message) for p in problems
        ])
    return document


def actor(principal: Principal) -> str:
    if principal.staff_id is not None:
        return f"staff:{principal.staff_id}"
    return f"api_key:{principal.api_key_id}"


async def _editable_node(session: AsyncSession, principal: Principal, node_id: int, field: str) -> NetworkNode:
    if not principal.is_authenticated:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in as staff first", None)
    node = await load_node(session, principal, node_id, Codes, field)
    if not principal.can(Permission.MANAGE_STOREFRONT, node.path):
        raise DomainError(Codes.PERMISSION_DENIED, "you may not change this node's storefront", field)
    await require_may_change(
        session, principal, node.tenant_id, node.path, ControlledAttribute.STOREFRONT, Permission.MANAGE_STOREFRONT, field
    )
    return node


async def live_layers(db, tenant_id: int, path: str, at: datetime) -> list[Layer]:
    """Each node of `path` (root first) with its live document: the PUBLISHED version with the
    latest publish_at not after `at`. One SELECT whatever the depth or the history's length."""
    ranked = (
        select(
            StorefrontVersion.node_id, StorefrontVersion.version, StorefrontVersion.document, NetworkNode.kind,
            func.row_number().over(
                partition_by=StorefrontVersion.node_id,
                order_by=(StorefrontVersion.publish_at.desc(), StorefrontVersion.version.desc()),
            ).label("rank"),
        )
        .join(NetworkNode, NetworkNode.id == StorefrontVersion.node_id)
        .where(
            StorefrontVersion.tenant_id == tenant_id,
            StorefrontVersion.node_id.in_(ancestor_ids(path)),
            StorefrontVersion.status == "PUBLISHED",
            StorefrontVersion.publish_at <= at,
        )
        .subquery()
    )
    rows = (await db.execute(select(ranked).where(ranked.c.rank == 1))).all()
    by_node = {row.node_id: row for row in rows}
    return [
        Layer(Source(row.kind, row.node_id, row.version), documents.load(row.document))
        for row in (by_node.get(i) for i in ancestor_ids(path)) if row is not None
    ]


async def _check_locks(session, node: NetworkNode, document: Document, at: datetime) -> None:
    above = [layer for layer in await live_layers(session, node.tenant_id, node.path, at) if layer.source.node_id != node.id]
    locked = locked_keys(above)
    problems = [
        Problem(f"sections.{i}.key", Codes.SECTION_LOCKED, f"section {s.key!r} is locked by a node above")
        for i, s in enumerate(document.sections) if s.key in locked
    ] + [
        Problem(f"hiddenKeys.{i}", Codes.SECTION_LOCKED, f"section {key!r} is locked by a node above")
        for i, key in enumerate(document.hidden_keys) if key in locked
    ]
    if problems:
        raise DocumentRejected(problems)


async def _check_references(session, tenant_id: int, document: Document) -> None:
    """Products, categories and coupon templates named by the document exist in this brand
    (three SELECTs at most); a missing one is reported at its place in the document."""
    wanted = {"productIds": set(), "categoryIds": set(), "couponIds": set()}
    for section in document.sections:
        if isinstance(section, ProductCarousel):
            wanted["productIds"].update(section.product_ids or ())
            if section.rule is not None and section.rule.category_id is not None:
                wanted["categoryIds"].add(section.rule.category_id)
        elif isinstance(section, CategoryGrid):
            wanted["categoryIds"].update(section.category_ids)
        elif isinstance(section, CouponStrip):
            wanted["couponIds"].update(section.coupon_ids)
    found = {}
    for name, model, extra in (
        ("productIds", Product, ()),
        ("categoryIds", Category, ()),
        ("couponIds", Promotion, (Promotion.kind == "COUPON",)),
    ):
        ids = wanted[name]
        found[name] = set((await session.scalars(select(model.id).where(model.id.in_(ids), model.tenant_id == tenant_id, *extra))).all()) if ids else set()
    problems = []
    for i, section in enumerate(document.sections):
        places: list[tuple[str, list[int]]] = []
        if isinstance(section, ProductCarousel):
            places.append(("productIds", list(section.product_ids or ())))
            if section.rule is not None and section.rule.category_id is not None:
                if section.rule.category_id not in found["categoryIds"]:
                    problems.append(Problem(f"sections.{i}.rule.categoryId", Codes.INVALID_SECTION, "no such category"))
        elif isinstance(section, CategoryGrid):
            places.append(("categoryIds", section.category_ids))
        elif isinstance(section, CouponStrip):
            places.append(("couponIds", section.coupon_ids))
        for name, values in places:
            for j, value in enumerate(values):
                if value not in found[name]:
                    thing = {"productIds": "product", "categoryIds": "category", "couponIds": "coupon template"}[name]
                    problems.append(Problem(f"sections.{i}.{name}.{j}", Codes.INVALID_SECTION, f"no such {thing}"))
    if problems:
        raise DocumentRejected(problems)


async def save_draft(session: AsyncSession, principal: Principal, node_id: int, document: Document, at: datetime) -> StorefrontVersion:
    """The node's draft holds `document` (created, or replaced: saving again is harmless)."""
    node = await _editable_node(session, principal, node_id, "nodeId")
    await _check_locks(session, node, document, at)
    await _check_references(session, node.tenant_id, document)
    values = {"document": documents.dump(document), "saved_by": actor(principal), "saved_at": at}
    draft_id = await session.scalar(
        select(StorefrontVersion.id).where(StorefrontVersion.node_id == node.id, StorefrontVersion.status == "DRAFT")
    )
    if draft_id is None:
        row = StorefrontVersion(tenant_id=node.tenant_id, node_id=node.id, version=await _next_version(session, node.id),
                                status="DRAFT", **values)
        session.add(row)
        await _flush(session)
        return row
    # Conditional: a publish that committed since the SELECT froze this row as history.
    changed = await session.execute(
        update(StorefrontVersion).where(StorefrontVersion.id == draft_id, StorefrontVersion.status == "DRAFT").values(**values)
    )
    if changed.rowcount != 1:
        raise DomainError(Codes.CONFLICT, "the draft was published meanwhile; save again for a new draft", None)
    return await session.get(StorefrontVersion, draft_id, populate_existing=True)


async def publish(
    session: AsyncSession, principal: Principal, version_pk: int, publish_at: datetime | None, at: datetime
) -> StorefrontVersion:
    """Publish a draft now, or at `publish_at` if that is in the future. Publishing a published
    version again without another time answers it unchanged (a retry is harmless)."""
    if publish_at is not None and (publish_at.tzinfo is None or publish_at.utcoffset() is None):
        raise DomainError(Codes.INVALID, "publishAt must carry a time zone", "publishAt")
    row = await session.scalar(
        select(StorefrontVersion).where(StorefrontVersion.id == version_pk, StorefrontVersion.tenant_id == principal.tenant_id)
    )
    if row is None:
        raise DomainError(Codes.NOT_FOUND, "storefront version not found", "versionId")
    node = await _editable_node(session, principal, row.node_id, "versionId")
    if row.status == "PUBLISHED":
        if publish_at is None or publish_at == row.publish_at:
            return row
        raise DomainError(Codes.ALREADY_PUBLISHED, "this version is published; save a draft to schedule another", "versionId")
    document = documents.load(row.document)
    await _check_locks(session, node, document, at)  # a node above may have locked a key since the save
    # Conditional on the row still being the draft that was checked: two publishes (or a save
    # and a publish) racing leave one winner, and history is never rewritten.
    changed = await session.execute(
        update(StorefrontVersion)
        .where(StorefrontVersion.id == row.id, StorefrontVersion.status == "DRAFT", StorefrontVersion.saved_at == row.saved_at)
        .values(status="PUBLISHED", publish_at=publish_at if publish_at is not None and publish_at > at else at,
                published_by=actor(principal), published_at=at)
    )
    row = await session.get(StorefrontVersion, row.id, populate_existing=True)
    if changed.rowcount != 1 and not (row.status == "PUBLISHED" and publish_at is None):
        raise DomainError(Codes.CONFLICT, "the draft changed or was published meanwhile; read it and retry", "versionId")
    return row  # published by this call, or by a concurrent one (a retry racing the first attempt)


async def rollback(session: AsyncSession, principal: Principal, node_id: int, version: int, at: datetime) -> StorefrontVersion:
    """Publish, now, a copy of an earlier published version as a new version."""
    node = await _editable_node(session, principal, node_id, "nodeId")
    old = await session.scalar(
        select(StorefrontVersion).where(StorefrontVersion.node_id == node.id, StorefrontVersion.version == version)
    )
    if old is None:
        raise DomainError(Codes.NOT_FOUND, f"version {version} not found", "version")
    if old.status != "PUBLISHED":
        raise DomainError(Codes.NOT_PUBLISHED, "only a published version can be rolled back to", "version")
    document = documents.load(old.document)
    await _check_locks(session, node, document, at)
    who = actor(principal)
    row = StorefrontVersion(
        tenant_id=node.tenant_id, node_id=node.id, version=await _next_version(session, node.id), status="PUBLISHED",
        document=old.document, publish_at=at, rolled_back_from=old.version, saved_by=who, saved_at=at,
        published_by=who, published_at=at,
    )
    session.add(row)
    await _flush(session)
    return row


async def _next_version(session: AsyncSession, node_id: int) -> int:
    latest = await session.scalar(select(func.max(StorefrontVersion.version)).where(StorefrontVersion.node_id == node_id))
    return (latest or 0) + 1


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError:
        # Two saves raced for the same version number (UNIQUE node_id, version): the loser retries.
        raise DomainError(Codes.CONFLICT, "another change to this storefront happened at the same time; retry", None) from None


def viewable(principal: Principal, node: NetworkNode) -> bool:
    return principal.can(Permission.MANAGE_STOREFRONT, node.path)
