"""Thin resolvers of store-network pricing: decode ids, call network_pricing, shape the answer."""
from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import select
from strawberry.types import Info

from core.errors import DomainError
from core.money import MoneyError, parse_amount_to_fen
from network_pricing import bands, importer, partner_prices, time_prices, windows
from network_pricing.errors import PricingErrorCode as Codes
from network_pricing.models import PriceChange as PriceChangeRow
from network_pricing.models import TimePrice as TimePriceRow
from resolvers.errors import UserInputError
from commerce.idempotency import run_idempotent
from resolvers.mutation_support import guarded, in_transaction
from resolvers.pagination import build_connection, keyset_page
from schema import ids
from schema import network_pricing as t
from schema.common import Connection, Money
from schema.store import NetworkNode


def _fen(raw: str, field: str) -> int:
    try:
        return parse_amount_to_fen(raw)
    except MoneyError as exc:
        raise DomainError(Codes.AMOUNT_OUT_OF_RANGE, str(exc), field) from None


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _money(fen: int | None) -> Money | None:
    return None if fen is None else Money.of(fen)


def time_price_type(row: TimePriceRow) -> t.TimePrice:
    return t.TimePrice(
        id=ids.encode("TimePrice", row.id), sku_id=ids.encode("Sku", row.sku_id), percent_off=row.percent_off,
        price=_money(row.price_fen), daily_start=windows.format_hhmm(row.daily_start_minute),
        daily_end=windows.format_hhmm(row.daily_end_minute), starts_at=row.starts_at, ends_at=row.ends_at,
        ended_at=row.ended_at, reason=row.reason,
    )


def price_change_type(row: PriceChangeRow) -> t.PriceChange:
    def gid(kind, pk):
        return None if pk is None else ids.encode(kind, pk)

    return t.PriceChange(
        id=ids.encode("PriceChange", row.id), node_id=ids.encode("NetworkNode", row.node_id), store_id=gid("Store", row.store_id),
        sku_id=ids.encode("Sku", row.sku_id), old_price=_money(row.old_fen), new_price=_money(row.new_fen),
        source=t.PriceChangeSource(row.source), channel=t.PriceChangeChannel(row.channel),
        actor_staff_id=gid("Staff", row.actor_staff_id), actor_api_key_id=gid("ApiKey", row.actor_api_key_id),
        time_price_id=gid("TimePrice", row.time_price_id), reason=row.reason, at=row.at,
    )


async def network_node_price_band_set(info: Info, input: t.NetworkNodePriceBandSetInput) -> t.NetworkNodePriceBandSetPayload:
    async def work(session):
        node_id = ids.decode(input.node_id, "NetworkNode", Codes, "nodeId")
        node = await bands.set_band(session, info.context.principal, node_id, input.below_percent, input.above_percent)
        return {"node": NetworkNode.from_row(node)}

    return await in_transaction(info, t.NetworkNodePriceBandSetPayload, t.PricingError, Codes, work)


async def partner_price_set(info: Info, input: t.PartnerPriceSetInput) -> t.PartnerPriceSetPayload:
    async def work(session):
        node_id = ids.decode(input.node_id, "NetworkNode", Codes, "nodeId")
        sku_id = ids.decode(input.sku_id, "Sku", Codes, "skuId")
        price_fen = None if input.price is None else _fen(input.price, "price")
        _, _, row = await partner_prices.set_partner_price(session, info.context.principal, node_id, sku_id, price_fen, reason=input.reason)
        return {"price": _money(row.price_fen if row else None)}

    return await in_transaction(info, t.PartnerPriceSetPayload, t.PricingError, Codes, work)


async def time_price_create(info: Info, input: t.TimePriceCreateInput) -> t.TimePricePayload:
    """With an idempotency key, once per key: a retry answers the first time price (replayed)."""
    principal = info.context.principal

    def spec_of() -> time_prices.TimePriceSpec:
        return time_prices.TimePriceSpec(
            sku_id=ids.decode(input.sku_id, "Sku", Codes, "skuId"),
            store_id=ids.decode_optional(input.store_id, "Store", Codes, "storeId"),
            node_id=ids.decode_optional(input.node_id, "NetworkNode", Codes, "nodeId"),
            percent_off=input.percent_off,
            price_fen=None if input.price is None else _fen(input.price, "price"),
            daily_start=input.daily_start, daily_end=input.daily_end, starts_at=input.starts_at, ends_at=input.ends_at,
            reason=input.reason,
        )

    if input.idempotency_key is None:
        async def work(session):
            return {"time_price": time_price_type(await time_prices.create_time_price(session, principal, spec_of()))}

        return await in_transaction(info, t.TimePricePayload, t.PricingError, Codes, work)

    async def run():
        if principal.tenant_id is None or not principal.is_authenticated:
            raise DomainError(Codes.UNAUTHENTICATED, "sign in first", None)
        spec = spec_of()
        # Times as given (naive ones included: the domain refuses them with a typed error).
        request = {f.name: _plain(getattr(spec, f.name)) for f in dataclasses.fields(spec)}

        async def work(session):
            return {"id": (await time_prices.create_time_price(session, principal, spec)).id}

        who = f"{principal.kind.value}:{principal.staff_id or principal.api_key_id}"
        result, replayed = await run_idempotent(
            info.context.database, tenant_id=principal.tenant_id, principal=who, operation="timePriceCreate",
            key=input.idempotency_key, request=request, codes=Codes, work=work,
        )
        async with info.context.database.read() as session:
            row = await session.get(TimePriceRow, result["id"])
        return {"time_price": time_price_type(row), "replayed": replayed}

    return await guarded(t.TimePricePayload, t.PricingError, Codes, run)


async def time_price_end(info: Info, input: t.TimePriceEndInput) -> t.TimePricePayload:
    async def work(session):
        time_price_id = ids.decode(input.id, "TimePrice", Codes, "id")
        return {"time_price": time_price_type(await time_prices.end_time_price(session, info.context.principal, time_price_id))}

    return await in_transaction(info, t.TimePricePayload, t.PricingError, Codes, work)


async def prices_import(info: Info, input: t.PricesImportInput) -> t.PricesImportPayload:
    async def work(session):
        result = await importer.import_prices(session, info.context.principal, input.csv, input.reason)
        if result.errors:
            # Raising rolls the transaction back (nothing was written anyway) and reports every row.
            raise _RowErrors(result)
        return {"rows": result.rows, "store_prices": result.store_prices, "partner_prices": result.partner_prices,
                "time_prices": result.time_prices, "changed": result.changed}

    try:
        return await in_transaction(info, t.PricesImportPayload, t.PricingError, Codes, work)
    except _RowErrors as failed:
        result = failed.result
        return t.PricesImportPayload(
            rows=result.rows,
            row_errors=[t.PriceImportRowError(row=e.row, field=e.field, code=t.PricingErrorCode(e.code), message=e.message)
                        for e in result.errors],
            errors=[t.PricingError(field="csv", code=t.PricingErrorCode(Codes.INVALID),
                                   message=f"{result.error_count} row error(s); nothing was imported")],
        )


class _RowErrors(Exception):
    def __init__(self, result: importer.ImportResult):
        super().__init__("row errors")
        self.result = result


async def price_changes(
    info: Info, store_id: str | None, node_id: str | None, sku_id: str | None, first: int | None, after: str | None
) -> Connection[t.PriceChange]:
    """HQ, partner and store staff (MANAGE_PRICES) read the changes in a node's subtree, newest first."""
    from auth.roles import Permission
    from store_network.models import NetworkNode as NodeRow
    from store_network.models import Store as StoreRow

    principal = info.context.principal
    if (store_id is None) == (node_id is None):
        raise UserInputError("give exactly one of storeId or nodeId")
    if principal.tenant_id is None or not principal.grants:
        raise UserInputError("staff only: sign in")
    async with info.context.database.read() as session:
        try:
            if store_id is not None:
                pk = ids.decode(store_id, "Store", Codes, "storeId")
                found = (await session.execute(select(NodeRow.id, NodeRow.path).join(StoreRow, StoreRow.node_id == NodeRow.id)
                                               .where(StoreRow.id == pk, StoreRow.tenant_id == principal.tenant_id))).first()
            else:
                pk = ids.decode(node_id, "NetworkNode", Codes, "nodeId")
                found = (await session.execute(select(NodeRow.id, NodeRow.path)
                                               .where(NodeRow.id == pk, NodeRow.tenant_id == principal.tenant_id))).first()
            sku_pk = ids.decode_optional(sku_id, "Sku", Codes, "skuId")
        except DomainError as exc:
            raise UserInputError(exc.message) from None
        if found is None:
            raise UserInputError("store or node not found")
        if not principal.can(Permission.MANAGE_PRICES, found.path):
            raise UserInputError("you may not read the price changes of this node")
        query = (
            select(PriceChangeRow).join(NodeRow, NodeRow.id == PriceChangeRow.node_id)
            .where(PriceChangeRow.tenant_id == principal.tenant_id, NodeRow.path.startswith(found.path, autoescape=True))
        )
        if sku_pk is not None:
            query = query.where(PriceChangeRow.sku_id == sku_pk)
        query, limit = keyset_page(query, [PriceChangeRow.id], descending=True, first=first, after=after)
        rows = (await session.scalars(query)).all()
    return build_connection(list(rows), limit, after, lambda r: (r.id,), price_change_type)
