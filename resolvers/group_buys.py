"""Thin resolvers of group buys: decode ids, call promotions.group_buys, shape the answer."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import literal, or_, select
from strawberry.types import Info

from commerce.models import Order
from commerce.order_status import FulfilmentType as DomainFulfilment
from core.clock import utc_now
from core.errors import DomainError
from core.money import MoneyError, parse_amount_to_fen
from promotions import group_buys as domain
from promotions.errors import PromotionErrorCode as Codes
from promotions.models import GroupBuy as GroupBuyRow
from promotions.models import GroupBuyGroup as GroupRow
from promotions.models import GroupBuyMember as MemberRow
from resolvers.pagination import build_connection, keyset_page
from resolvers.promotions import _mutate
from schema import group_buys as t
from schema import ids
from schema.common import Connection, Money


def _secret(info: Info) -> str:
    return info.context.services.settings.secret_key


def group_buy_type(row: GroupBuyRow, currency: str = "CNY") -> t.GroupBuy:
    return t.GroupBuy(
        id=ids.encode("GroupBuy", row.id), name=row.name, sku_id=ids.encode("Sku", row.sku_id),
        store_id=ids.encode("Store", row.store_id) if row.store_id else None, price=Money.of(row.price_fen, currency),
        group_size=row.group_size, window_hours=row.window_hours, per_customer_limit=row.per_customer_limit,
        starts_at=row.starts_at, ends_at=row.ends_at,
    )


def group_type(secret: str, row: GroupRow, campaign: GroupBuyRow) -> t.GroupBuyGroup:
    return t.GroupBuyGroup(
        id=ids.encode("GroupBuyGroup", row.id), group_buy=group_buy_type(campaign), store_id=ids.encode("Store", row.store_id),
        status=t.GroupBuyGroupStatus(row.status), size=row.size, paid_members=row.paid, places_taken=row.seats,
        remaining=max(row.size - row.paid, 0) if row.status != "FAILED" else 0, expires_at=row.expires_at,
        formed_at=row.formed_at, share_token=domain.share_token(secret, row),
    )


async def group_buy_create(info: Info, input: t.GroupBuyCreateInput) -> t.GroupBuyPayload:
    async def work(session):
        try:
            price = parse_amount_to_fen(input.price)
        except MoneyError as exc:
            raise DomainError(Codes.INVALID_ARGUMENT, str(exc), "price") from None
        draft = domain.GroupBuyDraft(
            node_id=ids.decode(input.node_id, "NetworkNode", Codes, "nodeId"), name=input.name,
            sku_id=ids.decode(input.sku_id, "Sku", Codes, "skuId"), store_id=ids.decode_optional(input.store_id, "Store", Codes, "storeId"),
            price_fen=price, group_size=input.group_size, window_hours=input.window_hours, per_customer_limit=input.per_customer_limit,
            starts_at=input.starts_at, ends_at=input.ends_at,
        )
        return {"group_buy_id": (await domain.create_group_buy(session, info.context.principal, draft)).id}

    async def present(session, result):
        return {"group_buy": group_buy_type(await session.get(GroupBuyRow, result["group_buy_id"]))}

    return await _mutate(info, t.GroupBuyPayload, "groupBuyCreate", input.idempotency_key, input, work, present)


def _placement(input) -> domain.Placement:
    return domain.Placement(
        fulfilment_type=DomainFulfilment(input.fulfilment_type.value),
        address_id=ids.decode_optional(input.address_id, "Address", Codes, "addressId"), note=input.note,
    )


def _ttl(info: Info) -> timedelta:
    return timedelta(seconds=info.context.services.settings.unpaid_order_ttl_s)


async def _placed(info: Info, session, result: dict) -> dict:
    member = await session.get(MemberRow, result["member_id"])
    group = await session.get(GroupRow, member.group_id)
    order = await session.get(Order, member.order_id)
    return {
        "group": group_type(_secret(info), group, await session.get(GroupBuyRow, group.group_buy_id)),
        "order_id": ids.encode("Order", order.id), "total": Money.of(order.total_fen, order.currency),
    }


async def group_buy_start(info: Info, input: t.GroupBuyStartInput) -> t.GroupBuyPlacePayload:
    async def work(session):
        member = await domain.start(
            session, info.context.principal, ids.decode(input.group_buy_id, "GroupBuy", Codes, "groupBuyId"),
            ids.decode(input.store_id, "Store", Codes, "storeId"), _placement(input), now=utc_now(), unpaid_ttl=_ttl(info),
        )
        return {"member_id": member.id}

    async def present(session, result):
        return await _placed(info, session, result)

    return await _mutate(info, t.GroupBuyPlacePayload, "groupBuyStart", input.idempotency_key, input, work, present)


async def group_buy_join(info: Info, input: t.GroupBuyJoinInput) -> t.GroupBuyPlacePayload:
    async def work(session):
        principal = info.context.principal
        if principal.tenant_id is None:
            raise DomainError(Codes.UNAUTHENTICATED, "sign in first", None)
        group_id = domain.group_of_token(_secret(info), input.share_token, principal.tenant_id)
        member = await domain.join(session, principal, group_id, _placement(input), now=utc_now(), unpaid_ttl=_ttl(info))
        return {"member_id": member.id}

    async def present(session, result):
        return await _placed(info, session, result)

    return await _mutate(info, t.GroupBuyPlacePayload, "groupBuyJoin", input.idempotency_key, input, work, present)


async def group_buys(info: Info, first: int | None, after: str | None) -> Connection[t.GroupBuy]:
    principal = info.context.principal
    if principal.tenant_id is None or not principal.grants:
        return build_connection([], 0, after, lambda r: (r.id,), group_buy_type)
    visible = [GroupBuyRow.node_path.like(g.node_path + "%") for g in principal.grants]
    visible += [literal(g.node_path).like(GroupBuyRow.node_path.concat("%")) for g in principal.grants]
    query = select(GroupBuyRow).where(GroupBuyRow.tenant_id == principal.tenant_id, or_(*visible))
    query, limit = keyset_page(query, [GroupBuyRow.id], descending=True, first=first, after=after)
    rows = list((await info.context.reader.execute(query)).scalars())
    return build_connection(rows, limit, after, lambda r: (r.id,), group_buy_type)


async def group_buy_group(info: Info, share_token: str) -> t.GroupBuyGroup | None:
    tenant_id = info.context.principal.tenant_id
    if tenant_id is None:
        return None
    try:
        group_id = domain.group_of_token(_secret(info), share_token, tenant_id)
    except DomainError:
        return None
    row = (await info.context.reader.execute(
        select(GroupRow, GroupBuyRow).join(GroupBuyRow, GroupBuyRow.id == GroupRow.group_buy_id)
        .where(GroupRow.id == group_id, GroupRow.tenant_id == tenant_id)
    )).first()
    return group_type(_secret(info), *row) if row else None
