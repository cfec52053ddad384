"""Attack, round two: the surface added by couriers, WeChat Pay/Alipay, POS/ERP sync, outbound
webhooks, vouchers, membership, distribution, promotions and after-sales, as an outsider sees it.

Each test is one finding (it failed before its fix) or one promise kept under attack."""
from __future__ import annotations

import json

import pytest
from aiohttp.abc import AbstractResolver

from core.errors import DomainError
from tests.store_sync.helpers import store_api_key, stock_of
from webhooks.dispatcher import DispatchConfig, Dispatcher
from webhooks.urls import PublicOnlyResolver, check_url, is_public

WEBHOOK_CREATE = """mutation($i: WebhookEndpointCreateInput!) {
  webhookEndpointCreate(input: $i) { secret errors { field code } } }"""


# --- SSRF: webhook URLs --------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "https://[64:ff9b::7f00:1]/h",      # NAT64 of 127.0.0.1
    "https://[64:ff9b::a00:1]/h",       # NAT64 of 10.0.0.1
    "https://[2002:7f00:1::]/h",        # 6to4 of 127.0.0.1
    "https://[2002:a9fe:a9fe::1]/h",    # 6to4 of 169.254.169.254 (cloud metadata)
    "https://[::127.0.0.1]/h",          # IPv4-compatible loopback
    "https://[::ffff:7f00:1]/h", "https://2130706433/h", "https://0x7f000001/h", "https://127.1/h",
    "https://localhost/h", "https://[::1]/h", "https://[fd00::1]/h", "https://169.254.169.254/h",
])
async def test_webhook_urls_that_reach_inward_are_refused_in_production(url):
    with pytest.raises(DomainError) as refused:
        await check_url(url, production=True)
    assert refused.value.code.name in ("PRIVATE_ADDRESS", "INVALID_URL")


def test_public_ipv6_and_ipv4_stay_allowed():
    assert is_public("2606:4700:4700::1111") and is_public("1.1.1.1") and is_public("64:ff9b::101:101")


class _Answer(AbstractResolver):
    def __init__(self, address: str):
        self.address = address

    async def resolve(self, host, port=0, family=0):
        return [{"hostname": host, "host": self.address, "port": port, "family": 2, "proto": 0, "flags": 0}]

    async def close(self):
        pass


async def test_dns_rebinding_is_refused_at_connect_time():
    """check_url resolves, then the HTTP client resolves again to connect: a name with a zero TTL
    can answer a public address to the check and 127.0.0.1 to the connect. The production client
    connects through a resolver that refuses non-public answers, so the connect is what is checked."""
    with pytest.raises(OSError):
        await PublicOnlyResolver(_Answer("127.0.0.1")).resolve("rebind.example", 443)
    with pytest.raises(OSError):
        await PublicOnlyResolver(_Answer("::ffff:10.0.0.1")).resolve("rebind.example", 443)
    assert (await PublicOnlyResolver(_Answer("93.184.216.34")).resolve("example.com", 443))[0]["host"] == "93.184.216.34"


async def test_the_production_delivery_client_connects_through_the_checking_resolver(services):
    production = Dispatcher(services.database, services.secret_box, DispatchConfig(production=True))
    try:
        assert isinstance(production._http().connector._resolver, PublicOnlyResolver)
    finally:
        await production.close()


async def test_a_malformed_ipv6_webhook_url_is_a_typed_error_not_a_500(client, world):
    body = await world.gql(client, WEBHOOK_CREATE, {"i": {"url": "http://[zz]/h"}}, token=world.staff_token("hq"))
    assert "errors" not in body, body
    assert body["data"]["webhookEndpointCreate"]["errors"] == [{"field": "url", "code": "INVALID_URL"}]


# --- NUL and unpaired surrogates: PostgreSQL text cannot hold them -------------------------

@pytest.mark.parametrize("variables", [
    {"i": {"url": "https://example.com/h", "description": "a\x00b"}},
    {"i": {"url": "https://exa\x00mple.com/h"}},
])
async def test_nul_in_graphql_variables_is_a_400_not_an_internal_error(client, world, variables):
    response = await client.post("/graphql", json={"query": WEBHOOK_CREATE, "variables": variables},
                                 headers={"Authorization": f"Bearer {world.staff_token('hq')}", "X-Tenant": world.slug})
    assert response.status_code == 400, response.text


async def test_nul_and_lone_surrogates_anywhere_in_the_request_are_400(client, world):
    headers = {"Authorization": f"Bearer {world.staff_token('hq')}", "X-Tenant": world.slug, "Content-Type": "application/json"}
    literal = 'mutation { webhookEndpointCreate(input: {url: "https://example.com/h", description: "a\\u0000b"}) { errors { code } } }'
    surrogate = '{"query": "mutation($i: WebhookEndpointCreateInput!) { webhookEndpointCreate(input: $i) { errors { code } } }", ' \
                '"variables": {"i": {"url": "https://example.com/h", "description": "\\ud800"}}}'
    for raw in (json.dumps({"query": literal}), surrogate):
        response = await client.post("/graphql", content=raw.encode(), headers=headers)
        assert response.status_code == 400, response.text
    get = await client.get("/graphql", params={"query": '{ node(id: "\\u0000") { id } }'}, headers={"X-Tenant": world.slug})
    assert get.status_code == 400, get.text
    emoji = await client.post("/graphql", json={"query": '{ node(id: "\\uD83D\\uDE00") { id } }'}, headers={"X-Tenant": world.slug})
    assert emoji.status_code == 200  # a valid escaped pair is text


# --- POS/ERP sync files --------------------------------------------------------------------

async def test_pos_files_with_nul_or_a_giant_csv_field_are_400_and_write_nothing(client, world, database):
    key = await store_api_key(client, world)
    url = f"/pos/stores/{world.store('a')}/stock"
    before = await stock_of(database, world, "milk")
    bodies = [
        ("text/csv", b"sku,mode,quantity,version\nSKU-milk\x00,DELTA,1,\n"),
        ("text/csv", b"sku,mode,quantity,version\n" + b"x" * 200_000 + b",DELTA,1,\n"),  # over csv.field_size_limit
        ("text/csv", b"sku,mode,quantity,version\nSKU-milk,DELTA,1,\n\"" + b"y" * 140_000 + b"\n"),
        ("application/json", json.dumps({"rows": [{"sku": "SKU-milk\x00", "mode": "DELTA", "quantity": 1}]}).encode()),
    ]
    for index, (content_type, body) in enumerate(bodies):
        headers = {"Authorization": f"ApiKey {key}", "Idempotency-Key": f"attack-file-{index:04d}", "Content-Type": content_type}
        response = await client.post(url, content=body, headers=headers)
        assert response.status_code == 400, (index, response.text)
        assert response.json()["errors"][0]["code"] == "INVALID"
    assert await stock_of(database, world, "milk") == before


# --- Courier webhooks ----------------------------------------------------------------------

@pytest.mark.parametrize("extra", [
    {"courier": "x"},                              # a string where the rider object belongs
    {"courier": {"time": "9" * 30}},               # a timestamp past any date
    {"deductAmount": "abc"},                       # not a number
    {"deductAmount": 10**40},                      # past BIGINT and the ledger
    {"deductAmount": -5},
])
async def test_a_wrongly_shaped_courier_callback_is_400_and_changes_nothing(client, world, extra):
    """Shansong's callbacks carry no signature (the URL token is the secret), so whoever holds a
    leaked URL decides every field: each odd shape is MALFORMED (400), never a 500."""
    from tests.couriers.kit import SPECS, book, events_of, post, state_of

    booking = await book(world, "shansong")
    response = await post(client, booking, booking.call(SPECS["shansong"].cancelled, extra=extra))
    assert (response.status_code, response.json()) == (400, {"error": "MALFORMED"})
    assert (await state_of(world, booking)).state == "DISPATCHING" and await events_of(world, booking) == []


# --- Payment callbacks ---------------------------------------------------------------------

async def test_unsigned_alipay_notify_with_a_nul_app_id_is_refused_not_a_500(database, test_settings):
    """The app_id picks the merchant before any signature is checked, so anyone can send it."""
    from tests.payments.remote_env import remote_env

    async with remote_env(database, test_settings, ("ALIPAY",)) as env:
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        for body in (b"app_id=%00&sign=x", b"app_id=" + env.alipay.app_id.encode() + b"%00&sign=x"):
            answer = await env.api.post("/payments/alipay/callback", content=body, headers=form)
            assert (answer.status_code, answer.text) == (401, "fail")


# --- Money text ----------------------------------------------------------------------------

@pytest.mark.parametrize("amount", ["1e3", "1E2", "1_000", "\uff11\uff12", "\u0663", "\u00a05"])
async def test_amounts_are_plain_ascii_decimals(client, world, amount):
    """Decimal() reads "1e3" as 1000 yuan and full-width or Arabic-Indic digits as numbers; every
    money input (store prices, counter charges, top-ups, withdrawals, POS price files) parses with
    core.money.parse_amount_to_fen, which now takes only plain decimals."""
    from tests.api.test_bad_input import PRICE_SET

    body = await world.gql(client, PRICE_SET, {"s": world.store("b"), "k": world.sku("milk"), "p": amount}, token=world.staff_token("hq"))
    assert body["data"]["storePriceSet"]["price"] is None, (amount, body)
    assert [e["code"] for e in body["data"]["storePriceSet"]["errors"]] == ["AMOUNT_OUT_OF_RANGE"]


# --- Payment merchant accounts -------------------------------------------------------------

async def test_merchant_keys_are_bounded_and_never_another_brands(client, world, database, services):
    from tests.payments.test_merchant_accounts import SET, _wechat
    from tests.worlds import build_world

    key = f"PUB_KEY_ID_{world.slug}"
    too_long = await world.gql(client, SET, {"input": {"wechatPay": _wechat(platformKeyId="K" * 65)}}, token=world.staff_token("hq"))
    assert "errors" not in too_long, too_long  # was a 500 on PostgreSQL (VARCHAR(64))
    assert [e["field"] for e in too_long["data"]["paymentMerchantSet"]["errors"]] == ["wechatPay.platformKeyId"]
    mine = await world.gql(client, SET, {"input": {"wechatPay": _wechat(platformKeyId=key)}}, token=world.staff_token("hq"))
    assert mine["data"]["paymentMerchantSet"]["errors"] == []
    other = await build_world(database, services)
    theirs = await other.gql(client, SET, {"input": {"wechatPay": _wechat(platformKeyId=key)}}, token=other.staff_token("hq"))
    assert "errors" not in theirs, theirs  # was a 500 (unique violation)
    assert [e["code"] for e in theirs["data"]["paymentMerchantSet"]["errors"]] == ["INVALID"]
    again = await world.gql(client, SET, {"input": {"wechatPay": _wechat(platformKeyId=key)}}, token=world.staff_token("hq"))
    assert again["data"]["paymentMerchantSet"]["errors"] == []  # the owner may set it again


@pytest.mark.parametrize("field,value", [
    ("baseUrl", "https://169.254.169.254/latest/meta-data"), ("baseUrl", "http://api.mch.weixin.qq.com"),
    ("baseUrl", "https://[::1]/"), ("notifyUrl", "ftp://1.1.1.1/n"),
])
async def test_merchant_urls_the_server_calls_pass_the_ssrf_rules_in_production(client, world, monkeypatch, field, value):
    """baseUrl/gatewayUrl are where the server POSTs signed API calls: a brand's HQ admin must
    not be able to point them at the metadata service or the server's own network."""
    from tests.payments.test_merchant_accounts import SET, _wechat

    class Production:  # the test settings, answering is_production (a real production Settings needs secrets)
        is_production = True

        def __init__(self, inner):
            self._inner = inner

        def __getattr__(self, name):
            return getattr(self._inner, name)

    monkeypatch.setattr(world.services, "settings", Production(world.services.settings))
    body = await world.gql(client, SET, {"input": {"wechatPay": _wechat(platformKeyId=f"K{world.slug}", **{"baseUrl": "https://1.1.1.1/", field: value})}},
                           token=world.staff_token("hq"))
    assert [e["field"] for e in body["data"]["paymentMerchantSet"]["errors"]] == [f"wechatPay.{field}"], body


# --- Signed tokens and codes compared as text ----------------------------------------------

async def test_non_ascii_share_tokens_and_qr_payloads_are_refused_not_500(client, world):
    """hmac.compare_digest raises TypeError for a non-ASCII str: a share token (anonymous!), a
    voucher or pickup QR payload with an accented signature was an internal error."""
    page = await world.gql(client, 'query($t: String!) { distributorPage(shareToken: $t) { __typename } }', {"t": "1.2.\u00e9\u00e9"})
    assert page == {"data": {"distributorPage": None}}, page
    bind = await world.gql(client, 'mutation($t: String!) { distributionBind(input: {shareToken: $t}) { errors { code } } }',
                           {"t": "1.2.\u00e9"}, token=world.customer_token())
    assert bind["data"]["distributionBind"]["errors"] == [{"code": "SHARE_TOKEN_INVALID"}], bind
    staff = world.staff_token("manager_a")
    voucher = await world.gql(client, """mutation($s: ID!, $q: String!) { voucherRedeem(input: {storeId: $s, requestNo: "attack-qr-1",
        qrPayload: $q}) { errors { code } } }""", {"s": world.store("a"), "q": "QDV1.e30.\u00e9\u00e9"}, token=staff)
    assert "errors" not in voucher and voucher["data"]["voucherRedeem"]["errors"], voucher
    pickup = await world.gql(client, """mutation($s: ID!, $q: String!) { pickupCodeVerify(input: {storeId: $s, qrPayload: $q}) {
        errors { code } } }""", {"s": world.store("a"), "q": "QDP1.1.1.123456.\u00e9"}, token=staff)
    assert "errors" not in pickup and pickup["data"]["pickupCodeVerify"]["errors"], pickup


# --- Secrets stay out of responses and logs ------------------------------------------------

async def test_partner_secrets_never_reach_logs_or_later_responses(client, world, caplog):
    """Set every kind of partner secret, then exercise the paths that log (refused callbacks,
    errors, list queries): none of the secret values appears in any log record or response."""
    import logging

    from tests.couriers.kit import CREDENTIALS
    from tests.payments.test_merchant_accounts import API_V3_KEY, SET, _wechat

    caplog.set_level(logging.DEBUG)
    hq = world.staff_token("hq")
    hook = await world.gql(client, WEBHOOK_CREATE, {"i": {"url": "https://example.com/h"}}, token=hq)
    webhook_secret = hook["data"]["webhookEndpointCreate"]["secret"]
    assert webhook_secret
    courier_secret = CREDENTIALS["uu"]["app_secret"] + world.slug
    added = await world.gql(client, """mutation($c: [CourierCredentialInput!]!) { courierAccountAdd(input: {provider: UU,
        credentials: $c}) { webhookUrl errors { code } } }""",
        {"c": [{"key": k, "value": courier_secret if k == "app_secret" else v} for k, v in CREDENTIALS["uu"].items()]}, token=hq)
    webhook_url = added["data"]["courierAccountAdd"]["webhookUrl"]
    token = webhook_url.rsplit("/", 1)[-1]
    merchant = await world.gql(client, SET, {"input": {"wechatPay": _wechat(platformKeyId=f"K{world.slug}")}}, token=hq)
    assert merchant["data"]["paymentMerchantSet"]["errors"] == []

    seen = [await client.post(f"/webhooks/couriers/uu/{token}", content=b'{"sign":"forged"}',
                              headers={"content-type": "application/json"}),
            await client.post(f"/webhooks/couriers/uu/{token}", content=b"not json", headers={"content-type": "application/json"}),
            await client.post("/payments/wechatpay/callback", content=b"{}", headers={"wechatpay-serial": f"K{world.slug}"})]
    listing = await world.gql(client, "{ webhookEndpoints { id url description } }", token=hq)
    server_logs = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))  # httpx: the test's client
    texts = [r.text for r in seen] + [json.dumps(listing), server_logs]
    for secret in (webhook_secret, courier_secret, token, API_V3_KEY, "PRIVATE KEY"):
        assert not any(secret in text for text in texts), secret


def test_the_access_log_does_not_print_courier_webhook_tokens():
    """uvicorn's access log prints each request path; a courier webhook path ends in the
    account's secret token. The one handler configure_logging installs redacts it."""
    import logging

    from app.request_log import configure_logging

    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    try:
        configure_logging("text")
        handler = root.handlers[0]
        record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                                   ("10.0.0.1:5000", "POST", "/webhooks/couriers/uu/s3cretTOKENvalue?x=1", "1.1", 200), None)
        assert all(f.filter(record) for f in handler.filters)
        line = handler.format(record)
        assert "s3cretTOKENvalue" not in line and "/webhooks/couriers/uu/***?x=1" in line, line
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved:
            root.addHandler(handler)
        root.setLevel(level)


# --- After-sales and partial refunds -------------------------------------------------------

async def test_a_line_named_twice_cannot_claim_more_than_it_has(database, test_settings):
    """Each line passed the 1..quantity check on its own, so 2 + 2 of a 3-unit line was a claim
    (and, through orderRefundPartial with restock, a refund and restock) of 4 units."""
    import uuid

    from tests.payments.remote_env import remote_env
    from tests.payments.test_aftersales import REQUEST, _move, _paid

    async with remote_env(database, test_settings, ("WECHATPAY",)) as env:
        world = env.world
        order, _ = await _paid(env, {"bread": 3})
        await _move(env, order["id"], "PICKING", "READY", "AWAITING_PICKUP")
        line = (await env.lines(order["id"]))["lines"][0]["id"]
        body = await world.gql(env.api, REQUEST, {"input": {
            "orderId": order["id"], "idempotencyKey": str(uuid.uuid4()), "kind": "RETURN", "reason": "twice", "photos": [],
            "lines": [{"lineId": line, "quantity": 2}, {"lineId": line, "quantity": 2}]}}, token=world.customer_token())
        payload = body["data"]["afterSalesRequest"]
        assert payload["afterSales"] is None and [e["field"] for e in payload["errors"]] == ["lines.1.lineId"], payload
        async def ask(key, quantity, kind="RETURN"):
            answer = await world.gql(env.api, REQUEST, {"input": {
                "orderId": order["id"], "idempotencyKey": key, "kind": kind, "reason": "r", "photos": [],
                "lines": [{"lineId": line, "quantity": quantity}]}}, token=world.customer_token())
            return answer["data"]["afterSalesRequest"]

        assert (await ask("attack-same-key", 1))["errors"] == []
        assert (await ask("attack-same-key", 1))["replayed"] is True
        for quantity, kind in ((2, "RETURN"), (1, "REFUND")):  # the same key with another body: refused, not replayed
            assert [e["code"] for e in (await ask("attack-same-key", quantity, kind))["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
        refund = await env.refund(order["id"], f"twice-{uuid.uuid4().hex[:8]}",
                                  lines=[{"lineId": line, "quantity": 2}, {"lineId": line, "quantity": 2}], restock=True)
        assert refund["errors"] and refund["errors"][0]["field"] == "lines.1.lineId", refund


async def test_concurrent_endpoint_creation_keeps_the_per_brand_cap(client, world, database, backend):
    """The cap was count-then-insert: on PostgreSQL concurrent creates all saw 19 and all inserted."""
    import asyncio

    from sqlalchemy import func, select

    from webhooks.endpoints import MAX_ENDPOINTS_PER_TENANT
    from webhooks.models import WebhookEndpoint

    hq = world.staff_token("hq")
    for _ in range(MAX_ENDPOINTS_PER_TENANT - 2):
        assert (await world.gql(client, WEBHOOK_CREATE, {"i": {"url": "https://example.com/h"}}, token=hq)
                )["data"]["webhookEndpointCreate"]["errors"] == []
    answers = await asyncio.gather(*(world.gql(client, WEBHOOK_CREATE, {"i": {"url": "https://example.com/h"}}, token=hq)
                                     for _ in range(12)))
    async with database.read() as session:
        count = await session.scalar(select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.tenant_id == world.tenant_id))
    assert count == MAX_ENDPOINTS_PER_TENANT, (count, [a["data"]["webhookEndpointCreate"]["errors"] for a in answers if "data" in a])


async def test_a_member_csv_with_a_giant_field_is_a_typed_refusal(client, world):
    csv_text = "mobile,name,level,points,balance\n13800000009," + "x" * 140_000 + ",,0,0\n"  # over csv.field_size_limit
    body = await world.gql(client, "mutation($c: String!) { memberImport(input: {csv: $c}) { imported errors { field code } } }",
                           {"c": csv_text}, token=world.staff_token("hq"))
    assert "errors" not in body, body
    assert body["data"]["memberImport"]["errors"] == [{"field": "csv", "code": "IMPORT_INVALID"}], body


# --- Voucher code guessing -----------------------------------------------------------------

async def test_replaying_a_request_number_with_other_codes_spends_the_guess_budget(client, world, database):
    """A known requestNo answered "replay" for its voucher's code and REQUEST_NO_REUSED for any
    other, without taking an attempt: an unlimited oracle for that voucher's code (whose
    remaining balance a partial-use voucher still holds). Mismatched replays now take attempts."""
    from auth.service import principal_from_access_token
    from tests.vouchers.test_vouchers import MINE, buy, voucher_sku
    from vouchers import service
    from vouchers.errors import VoucherErrorCode

    await voucher_sku(client, world, partial=True)
    await buy(client, world)
    code = (await world.gql(client, MINE, token=world.customer_token()))["data"]["myVouchers"][0]["code"]
    async with database.read() as session:
        clerk = await principal_from_access_token(session, world.services.signer, world.staff_token("clerk_a"))

    async def redeem(guess):
        return await service.redeem(database, clerk, store_id=world.store_ids["a"], code=guess, qr_payload=None,
                                    amount_fen=100, request_no="counter-0001", guess_limit=3)

    assert (await redeem(code))[2] is False  # attempt 1: a real redemption of 1.00
    outcomes = []
    for guess in ("ABCD-EFGH-JKMN", "PQRS-TUVW-XYZ2", "ABCD-EFGH-JKMP"):
        with pytest.raises(DomainError) as refused:
            await redeem(guess)
        outcomes.append(refused.value.code)
    assert outcomes == [VoucherErrorCode.REQUEST_NO_REUSED] * 2 + [VoucherErrorCode.TOO_MANY_ATTEMPTS]
    assert (await redeem(code))[2] is True  # the counter's own retry still replays
