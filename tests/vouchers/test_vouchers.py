"""Vouchers bought online, redeemed at the counter, refunded, expired — every fen in the ledger."""
from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from commerce.models import Product, Sku, Stock
from core.clock import utc_now
from core.errors import DomainError
from ledger.checks import verify
from ledger.models import LedgerAccount
from tests.api import gql_documents as docs
from tests.api.helpers import pay, place_order
from vouchers import service
from vouchers.models import Voucher

PRODUCT = """mutation($input: VoucherProductCreateInput!) { voucherProductCreate(input: $input) {
  voucherProduct { id faceValue { amount } partialUse acceptedStoreIds } errors { field code message } } }"""
MINE = "{ myVouchers { id code qrPayload status faceValue { amount } paid { amount } remaining { amount } } }"
REDEEM = """mutation($input: VoucherRedeemInput!) { voucherRedeem(input: $input) {
  replayed redemption { amount { amount } remaining { amount } requestNo } errors { field code message } } }"""


async def voucher_sku(client, world, *, partial: bool, stores=("a", "b")) -> None:
    """A SKU priced 900.00 that issues a voucher worth 1000.00, stocked in store A."""
    async with world.services.database.write() as session:
        product = Product(tenant_id=world.tenant_id, category_id=world.category_id, slug=f"v-{uuid.uuid4().hex[:6]}", name="Voucher 1000", sold_by="UNIT")
        session.add(product)
        await session.flush()
        sku = Sku(tenant_id=world.tenant_id, product_id=product.id, code=f"VCH-{uuid.uuid4().hex[:6]}", name="v", base_price_fen=90000)
        session.add(sku)
        await session.flush()
        session.add(Stock(tenant_id=world.tenant_id, store_id=world.store_ids["a"], sku_id=sku.id, on_hand=100, reserved=0))
        world.sku_ids["voucher"] = sku.id
    body = await world.gql(client, PRODUCT, {"input": {
        "skuId": world.sku("voucher"), "faceValue": "1000.00", "validDays": 365, "partialUse": partial,
        "acceptedStoreIds": [world.store(s) for s in stores]}}, token=world.staff_token("hq"))
    assert body["data"]["voucherProductCreate"]["errors"] == [], body


async def buy(client, world, quantity: int = 1, customer: str = "alice") -> str:
    placed = await place_order(client, world, {"voucher": quantity}, fulfilment="STORE_PICKUP", customer=customer)
    assert placed["errors"] == [], placed
    await pay(client, world, placed["order"]["id"], customer=customer)
    return placed["order"]["id"]


def redeem_input(world, store="a", **fields):
    return {"input": {"storeId": world.store(store), "requestNo": fields.pop("requestNo", f"till-{uuid.uuid4().hex[:12]}"), **fields}}


async def balances(world) -> dict[tuple[str, str], int]:
    async with world.services.database.read() as session:
        rows = (await session.scalars(select(LedgerAccount).where(LedgerAccount.tenant_id == world.tenant_id))).all()
        report = await verify(session, world.tenant_id)
    assert report.ok, report
    out: dict[tuple[str, str], int] = {}
    for r in rows:
        out[(r.kind, r.owner_type)] = out.get((r.kind, r.owner_type), 0) + r.balance_fen
    assert sum(out.values()) == 0  # every posting balanced, to the fen
    return out


async def test_bought_online_partly_redeemed_at_two_counters_then_used_up(client, world):
    await voucher_sku(client, world, partial=True)
    await buy(client, world)
    mine = (await world.gql(client, MINE, token=world.customer_token()))["data"]["myVouchers"]
    assert len(mine) == 1 and mine[0]["status"] == "ACTIVE"
    assert (mine[0]["paid"]["amount"], mine[0]["faceValue"]["amount"]) == ("900.00", "1000.00")
    code, qr = mine[0]["code"], mine[0]["qrPayload"]
    assert (await world.gql(client, MINE, token=world.customer_token("bob")))["data"]["myVouchers"] == []  # owner only
    assert await balances(world) == {("voucher.sales", "tenant"): -90000, ("voucher.discount", "tenant"): -10000,
                                     ("voucher.liability", "voucher"): 100000}

    clerk = world.staff_token("clerk_a")
    not_here = await world.gql(client, REDEEM, redeem_input(world, "c", code=code, amount="10.00"), token=world.staff_token("hq"))
    assert not_here["data"]["voucherRedeem"]["errors"][0]["code"] == "STORE_NOT_ACCEPTED"
    first = redeem_input(world, code=code.lower().replace("-", " "), amount="300.00", requestNo="till-a-0001")
    done = (await world.gql(client, REDEEM, first, token=clerk))["data"]["voucherRedeem"]
    assert done["errors"] == [] and done["redemption"]["remaining"] == {"amount": "700.00"}
    again = (await world.gql(client, REDEEM, first, token=clerk))["data"]["voucherRedeem"]
    assert again["replayed"] is True and again["redemption"]["remaining"] == {"amount": "700.00"}
    too_much = (await world.gql(client, REDEEM, redeem_input(world, code=code, amount="800.00"), token=clerk))["data"]["voucherRedeem"]
    assert too_much["errors"][0]["code"] == "INSUFFICIENT_BALANCE"
    rest = (await world.gql(client, REDEEM, redeem_input(world, "b", qrPayload=qr), token=world.staff_token("west")))["data"]["voucherRedeem"]
    assert rest["errors"] == [] and rest["redemption"]["amount"] == {"amount": "700.00"} and rest["redemption"]["remaining"] == {"amount": "0.00"}
    used = (await world.gql(client, REDEEM, redeem_input(world, code=code), token=clerk))["data"]["voucherRedeem"]
    assert used["errors"][0]["code"] == "ALREADY_USED"
    forged = (await world.gql(client, REDEEM, redeem_input(world, qrPayload=qr[:-1] + ("A" if qr[-1] != "A" else "B")), token=clerk))["data"]["voucherRedeem"]
    assert forged["errors"][0]["code"] == "INVALID_CODE"
    assert (await balances(world))[("voucher.redeemed", "store")] == 100000
    assert (await balances(world))[("voucher.liability", "voucher")] == 0


async def test_customers_cannot_redeem_and_single_use_is_whole(client, world):
    await voucher_sku(client, world, partial=False)
    await buy(client, world)
    code = (await world.gql(client, MINE, token=world.customer_token()))["data"]["myVouchers"][0]["code"]
    as_customer = await world.gql(client, REDEEM, redeem_input(world, code=code), token=world.customer_token())
    assert as_customer["data"]["voucherRedeem"]["errors"][0]["code"] in ("PERMISSION_DENIED", "UNAUTHENTICATED")
    part = await world.gql(client, REDEEM, redeem_input(world, code=code, amount="100.00"), token=world.staff_token("clerk_a"))
    assert part["data"]["voucherRedeem"]["errors"][0]["code"] == "PARTIAL_USE_NOT_ALLOWED"


async def test_two_counters_redeeming_one_code_at_once_exactly_one_wins(client, world):
    await voucher_sku(client, world, partial=False)
    await buy(client, world)
    code = (await world.gql(client, MINE, token=world.customer_token()))["data"]["myVouchers"][0]["code"]
    tokens = [world.staff_token("clerk_a"), world.staff_token("manager_a"), world.staff_token("hq"), world.staff_token("west")]
    results = await asyncio.gather(*(world.gql(client, REDEEM, redeem_input(world, code=code), token=t) for t in tokens))
    payloads = [r["data"]["voucherRedeem"] for r in results]
    assert sum(1 for p in payloads if p["errors"] == []) == 1
    assert {p["errors"][0]["code"] for p in payloads if p["errors"]} == {"ALREADY_USED"}
    assert (await balances(world))[("voucher.redeemed", "store")] == 100000


async def test_guessing_runs_out_of_attempts_even_for_the_right_code(client, world, database):
    await voucher_sku(client, world, partial=False)
    await buy(client, world)
    code = (await world.gql(client, MINE, token=world.customer_token()))["data"]["myVouchers"][0]["code"]
    from auth.service import principal_from_access_token
    from vouchers.errors import VoucherErrorCode

    async with database.read() as session:
        clerk = await principal_from_access_token(session, world.services.signer, world.staff_token("clerk_a"))
    wrong = ["ABCD-EFGH-JKMN", "PQRS-TUVW-XYZ2", "not a code"]
    for guess in wrong:
        with pytest.raises(DomainError) as caught:
            await service.redeem(database, clerk, store_id=world.store_ids["a"], code=guess, qr_payload=None, amount_fen=None,
                                 request_no=f"guess-{uuid.uuid4().hex[:8]}", guess_limit=3)
        assert caught.value.code is VoucherErrorCode.INVALID_CODE
    with pytest.raises(DomainError) as caught:
        await service.redeem(database, clerk, store_id=world.store_ids["a"], code=code, qr_payload=None, amount_fen=None,
                             request_no=f"guess-{uuid.uuid4().hex[:8]}", guess_limit=3)
    assert caught.value.code is VoucherErrorCode.TOO_MANY_ATTEMPTS
    async with database.read() as session:
        assert (await session.scalar(select(Voucher).where(Voucher.tenant_id == world.tenant_id))).status == "ACTIVE"


async def test_unused_vouchers_refund_with_their_order_and_used_ones_block_it(client, world):
    await voucher_sku(client, world, partial=True)
    order = await buy(client, world, quantity=2)
    refunded = await world.gql(client, docs.REFUND, {"order": order}, token=world.staff_token("hq"))
    assert refunded["data"]["orderRefund"]["errors"] == [] and refunded["data"]["orderRefund"]["order"]["status"] == "REFUNDED"
    statuses = [v["status"] for v in (await world.gql(client, MINE, token=world.customer_token()))["data"]["myVouchers"]]
    assert statuses == ["REFUNDED", "REFUNDED"]
    after = await balances(world)
    assert after[("voucher.sales", "tenant")] == 0 and after[("voucher.liability", "voucher")] == 0 and after[("voucher.discount", "tenant")] == 0

    second = await buy(client, world, customer="bob")
    code = (await world.gql(client, MINE, token=world.customer_token("bob")))["data"]["myVouchers"][0]["code"]
    assert (await world.gql(client, REDEEM, redeem_input(world, code=code, amount="1.00"), token=world.staff_token("clerk_a")))["data"]["voucherRedeem"]["errors"] == []
    blocked = await world.gql(client, docs.REFUND, {"order": second}, token=world.staff_token("hq"))
    assert blocked["data"]["orderRefund"]["errors"] and blocked["data"]["orderRefund"]["order"] is None
    assert [v["status"] for v in (await world.gql(client, MINE, token=world.customer_token("bob")))["data"]["myVouchers"]] == ["ACTIVE"]


async def test_expired_vouchers_leave_their_rest_as_breakage(client, world, database):
    await voucher_sku(client, world, partial=True)
    await buy(client, world)
    code = (await world.gql(client, MINE, token=world.customer_token()))["data"]["myVouchers"][0]["code"]
    await world.gql(client, REDEEM, redeem_input(world, code=code, amount="250.00"), token=world.staff_token("clerk_a"))
    async with database.write() as session:
        assert await service.expire_due(session, utc_now() + timedelta(days=400)) >= 1
    async with database.read() as session:
        voucher = await session.scalar(select(Voucher).where(Voucher.tenant_id == world.tenant_id))
    assert voucher.status == "EXPIRED" and voucher.remaining_fen == 0
    final = await balances(world)
    assert final[("voucher.breakage", "tenant")] == 75000 and final[("voucher.redeemed", "store")] == 25000
    expired = await world.gql(client, REDEEM, redeem_input(world, code=code, amount="1.00"), token=world.staff_token("clerk_a"))
    assert expired["data"]["voucherRedeem"]["errors"][0]["code"] in ("ALREADY_USED", "EXPIRED")


async def test_the_sweeper_expires_vouchers_past_their_date(client, world, database, services):
    from asgi import sweep_once
    from sqlalchemy import update

    await voucher_sku(client, world, partial=True)
    await buy(client, world)
    async with database.write() as session:  # the voucher's date has passed; nothing else changed
        await session.execute(update(Voucher).where(Voucher.tenant_id == world.tenant_id).values(expires_at=utc_now() - timedelta(minutes=1)))
    await sweep_once(services)
    await sweep_once(services)  # twice: the second run finds nothing and posts nothing
    async with database.read() as session:
        voucher = await session.scalar(select(Voucher).where(Voucher.tenant_id == world.tenant_id))
    assert voucher.status == "EXPIRED" and voucher.remaining_fen == 0
    assert (await balances(world))[("voucher.breakage", "tenant")] == 100000


async def test_the_guess_budget_is_a_setting(client, world):
    from dataclasses import replace as _replace

    await voucher_sku(client, world, partial=False)
    world.services.settings = _replace(world.services.settings, voucher_guess_limit=2)
    try:
        codes_seen = []
        for _ in range(3):
            body = await world.gql(client, REDEEM, redeem_input(world, code="ABCD-EFGH-JKMN"), token=world.staff_token("clerk_a"))
            codes_seen.append(body["data"]["voucherRedeem"]["errors"][0]["code"])
    finally:
        world.services.settings = _replace(world.services.settings, voucher_guess_limit=30)
    assert codes_seen == ["INVALID_CODE", "INVALID_CODE", "TOO_MANY_ATTEMPTS"]
