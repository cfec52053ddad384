"""Thin resolvers for vouchers."""
from __future__ import annotations

from datetime import timedelta

from strawberry.types import Info

from core.errors import DomainError
from core.money import parse_amount_to_fen
from resolvers.errors import UserInputError
from resolvers.mutation_support import guarded, in_transaction
from schema import ids
from schema import store_systems as types
from schema.common import Money
from vouchers import codes, service
from vouchers.errors import VoucherErrorCode as Codes


def _product(row) -> types.VoucherProduct:
    return types.VoucherProduct(
        id=ids.encode("VoucherProduct", row.id), sku_id=ids.encode("Sku", row.sku_id), face_value=Money.of(row.face_value_fen),
        valid_days=row.valid_days, partial_use=row.partial_use, accepted_store_ids=[ids.encode("Store", s) for s in row.accepted_store_ids],
    )


async def voucher_product_create(info: Info, input: types.VoucherProductCreateInput) -> types.VoucherProductCreatePayload:
    async def work(session):
        row = await service.create_product(
            session, info.context.principal, sku_id=ids.decode(input.sku_id, "Sku", Codes, "skuId"),
            face_value_fen=parse_amount_to_fen(input.face_value), valid_days=input.valid_days,
            accepted_store_ids=[ids.decode(s, "Store", Codes, f"acceptedStoreIds.{i}") for i, s in enumerate(input.accepted_store_ids)],
            partial_use=input.partial_use,
        )
        return {"voucher_product": _product(row)}

    return await in_transaction(info, types.VoucherProductCreatePayload, types.VoucherError, Codes, work)


async def voucher_redeem(info: Info, input: types.VoucherRedeemInput) -> types.VoucherRedeemPayload:
    async def work():
        redemption, voucher, replayed = await service.redeem(
            info.context.database, info.context.principal, store_id=ids.decode(input.store_id, "Store", Codes, "storeId"),
            code=input.code, qr_payload=input.qr_payload,
            amount_fen=None if input.amount is None else parse_amount_to_fen(input.amount), request_no=input.request_no,
            guess_limit=info.context.services.settings.voucher_guess_limit,
            guess_window=timedelta(seconds=info.context.services.settings.voucher_guess_window_s),
        )
        return {"replayed": replayed, "redemption": types.VoucherRedemption(
            id=ids.encode("VoucherRedemption", redemption.id), voucher_id=ids.encode("Voucher", voucher.id),
            store_id=ids.encode("Store", redemption.store_id), amount=Money.of(redemption.amount_fen),
            remaining=Money.of(redemption.remaining_after_fen), request_no=redemption.request_no, created_at=redemption.created_at,
        )}

    return await guarded(types.VoucherRedeemPayload, types.VoucherError, Codes, work)


async def my_vouchers(info: Info) -> list[types.Voucher]:
    reader = info.context.reader
    try:
        async with reader.lock:
            rows = await service.customer_vouchers(await reader.session(), info.context.principal)
    except DomainError as exc:
        raise UserInputError(exc.message) from None
    out = []
    for v in rows:
        code = codes.unseal(v.code_sealed)
        out.append(types.Voucher(
            id=ids.encode("Voucher", v.id), code=codes.display(code), qr_payload=codes.qr_payload(v.tenant_id, v.id, code),
            status=v.status, face_value=Money.of(v.face_value_fen), paid=Money.of(v.paid_fen), remaining=Money.of(v.remaining_fen),
            partial_use=v.partial_use, expires_at=v.expires_at, order_id=ids.encode("Order", v.order_id),
        ))
    return out
