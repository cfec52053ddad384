"""Unpaid orders expire and release stock; sign-in by one-time code, staff password and refresh."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from asgi import sweep_once
from commerce.models import Order
from core.clock import utc_now
from core.errors import CommonErrorCode
from payments.models import Payment
from schema.ids import decode
from tests.api.helpers import available, place_order, send_callback
from tests.worlds import PASSWORD

LOGIN_CODE = "mutation($m: String!) { requestLoginCode(input: {mobile: $m}) { sent errors { field code message } } }"
LOGIN = """mutation($m: String!, $c: String!) {
  customerLogin(input: {mobile: $m, code: $c}) { tokens { accessToken refreshToken } errors { code message } } }"""
STAFF_LOGIN = """mutation($u: String!, $p: String!) {
  staffLogin(input: {username: $u, password: $p}) { tokens { accessToken } errors { code message } } }"""
REFRESH = "mutation($t: String!) { tokenRefresh(input: {refreshToken: $t}) { tokens { accessToken refreshToken } errors { code } } }"
VIEWER = "{ viewer { kind mobile customerId staffId roles { role } authError } }"


async def _expire(database, order_gid):
    pk = decode(order_gid, "Order", CommonErrorCode, "id")
    async with database.write() as session:
        await session.execute(update(Order).where(Order.id == pk).values(expires_at=utc_now() - timedelta(seconds=1)))


async def test_sweeper_cancels_expired_unpaid_orders_and_releases_stock(client, world, database, services):
    start = await available(client, world, "milk")
    order = (await place_order(client, world, {"milk": 3}))["order"]
    fresh = (await place_order(client, world, {"milk": 1}, customer="bob"))["order"]
    await _expire(database, order["id"])
    assert await sweep_once(services) >= 1
    body = await world.gql(client, "query($id: ID!) { node(id: $id) { ... on Order { status events { reason } } } }", {"id": order["id"]}, token=world.customer_token())
    assert body["data"]["node"]["status"] == "CANCELLED"
    assert body["data"]["node"]["events"][-1]["reason"] == "expired"
    assert await available(client, world, "milk") == start - 1  # only bob's fresh order still holds stock
    still = await world.gql(client, "query($id: ID!) { node(id: $id) { ... on Order { status } } }", {"id": fresh["id"]}, token=world.customer_token("bob"))
    assert still["data"]["node"]["status"] == "UNPAID"


async def _pay_after_expiry(client, world, database, services, key: str) -> str:
    """An order whose payment is started, which then expires: returns the payment's ref
    and the outcome of the provider's success callback arriving afterwards."""
    order = (await place_order(client, world, {"bread": 1}))["order"]
    body = await world.gql(
        client,
        "mutation($o: ID!, $k: String!) { orderPay(input: {orderId: $o, idempotencyKey: $k}) { clientPayload errors { code } } }",
        {"o": order["id"], "k": key},
        token=world.customer_token(),
    )
    payload = body["data"]["orderPay"]["clientPayload"]
    await _expire(database, order["id"])
    await sweep_once(services)
    late = await send_callback(client, world, payload["providerRef"], payload["amount"])
    assert late.json()["outcome"] == "REFUND_REQUIRED"
    return payload["providerRef"]


async def test_payment_arriving_after_expiry_is_kept_for_refund_not_lost(client, world, database, services, monkeypatch):
    refunds_before = dict(services.payments.get("SANDBOX").refunds)
    calls, refund = [], services.payments.get("SANDBOX").refund

    def counted(**kwargs):
        calls.append(kwargs["provider_ref"])
        return refund(**kwargs)

    monkeypatch.setattr(services.payments.get("SANDBOX"), "refund", counted)
    ref = await _pay_after_expiry(client, world, database, services, "late-pay-001")
    # The next sweep gives the money back, once, however often it runs.
    await sweep_once(services)
    await sweep_once(services)
    async with database.read() as session:
        payment = await session.scalar(select(Payment).where(Payment.provider_ref == ref))
    assert payment.status == "REFUNDED"
    ours = {k: v for k, v in services.payments.get("SANDBOX").refunds.items() if k not in refunds_before and v[0] == ref}
    assert ours == {f"refund-{payment.id}": (ref, payment.amount_fen)}  # one refund, named by the payment
    assert calls.count(ref) == 1  # the second sweep did not ask the provider again


async def test_a_failed_refund_stays_due_and_is_retried(client, world, database, services, monkeypatch):
    working = services.payments.get("SANDBOX").refund

    def down(**kwargs):
        raise ConnectionError("provider unavailable")

    monkeypatch.setattr(services.payments.get("SANDBOX"), "refund", down)
    ref = await _pay_after_expiry(client, world, database, services, "late-pay-002")
    await sweep_once(services)  # the provider fails: nothing lost, the refund stays due
    async with database.read() as session:
        assert (await session.scalar(select(Payment.status).where(Payment.provider_ref == ref))) == "REFUND_REQUIRED"
    monkeypatch.setattr(services.payments.get("SANDBOX"), "refund", working)
    await sweep_once(services)
    async with database.read() as session:
        assert (await session.scalar(select(Payment.status).where(Payment.provider_ref == ref))) == "REFUNDED"


async def test_customer_signs_in_with_a_one_time_code(client, world, services):
    mobile = "138 0013 8000"
    sent = await world.gql(client, LOGIN_CODE, {"m": mobile})
    assert sent["data"]["requestLoginCode"] == {"sent": True, "errors": []}
    code = services.sms.last_code("+8613800138000")
    assert code and len(code) == 6
    wrong = "000000" if code != "000000" else "111111"
    bad = await world.gql(client, LOGIN, {"m": mobile, "c": wrong})
    assert bad["data"]["customerLogin"]["errors"][0]["code"] == "CODE_INVALID"
    good = await world.gql(client, LOGIN, {"m": mobile, "c": code})
    tokens = good["data"]["customerLogin"]["tokens"]
    viewer = await world.gql(client, VIEWER, token=tokens["accessToken"])
    assert viewer["data"]["viewer"]["kind"] == "CUSTOMER"
    assert viewer["data"]["viewer"]["mobile"] == "+8613800138000"
    reused = await world.gql(client, LOGIN, {"m": mobile, "c": code})
    assert reused["data"]["customerLogin"]["errors"][0]["code"] == "CODE_INVALID"
    # Asking again at once is rate limited.
    again = await world.gql(client, LOGIN_CODE, {"m": mobile})
    assert again["data"]["requestLoginCode"]["errors"][0]["code"] == "RATE_LIMITED"


async def test_guessing_stops_after_five_wrong_codes(client, world, services):
    mobile = "+8613900139000"
    await world.gql(client, LOGIN_CODE, {"m": mobile})
    code = services.sms.last_code(mobile)
    wrong = [c for c in ("000000", "111111", "222222", "333333", "444444", "555555") if c != code]
    for guess in wrong[:5]:
        body = await world.gql(client, LOGIN, {"m": mobile, "c": guess})
        assert body["data"]["customerLogin"]["errors"][0]["code"] == "CODE_INVALID"
    # Even the right code is refused now, with the same answer as a wrong one.
    locked = await world.gql(client, LOGIN, {"m": mobile, "c": code})
    assert locked["data"]["customerLogin"]["errors"] == body["data"]["customerLogin"]["errors"]
    assert locked["data"]["customerLogin"]["errors"][0]["code"] == "CODE_INVALID"


async def test_staff_password_login(client, world):
    wrong = await world.gql(client, STAFF_LOGIN, {"u": "manager_a", "p": "nope"})
    assert wrong["data"]["staffLogin"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    unknown = await world.gql(client, STAFF_LOGIN, {"u": "ghost", "p": PASSWORD})
    assert unknown["data"]["staffLogin"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    body = await world.gql(client, STAFF_LOGIN, {"u": "manager_a", "p": PASSWORD})
    access = body["data"]["staffLogin"]["tokens"]["accessToken"]
    viewer = await world.gql(client, VIEWER, token=access)
    assert viewer["data"]["viewer"]["kind"] == "STAFF"
    assert [r["role"] for r in viewer["data"]["viewer"]["roles"]] == ["STORE_MANAGER"]



async def _refresh_token(client, world):
    body = await world.gql(
        client,
        "mutation($u: String!, $p: String!) { staffLogin(input: {username: $u, password: $p}) { tokens { refreshToken } } }",
        {"u": "clerk_a", "p": PASSWORD},
    )
    return body["data"]["staffLogin"]["tokens"]["refreshToken"]


async def test_refresh_token_is_single_use(client, world):
    token = await _refresh_token(client, world)
    first = await world.gql(client, REFRESH, {"t": token})
    assert first["data"]["tokenRefresh"]["tokens"]["accessToken"]
    replay = await world.gql(client, REFRESH, {"t": token})
    assert replay["data"]["tokenRefresh"]["errors"][0]["code"] == "TOKEN_INVALID"
    access_as_refresh = await world.gql(client, REFRESH, {"t": first["data"]["tokenRefresh"]["tokens"]["accessToken"]})
    assert access_as_refresh["data"]["tokenRefresh"]["errors"][0]["code"] == "WRONG_TOKEN_KIND"


async def test_a_bad_token_makes_the_caller_anonymous_with_the_reason(client, world):
    viewer = await world.gql(client, VIEWER, token="not-a-jwt")
    assert viewer["data"]["viewer"]["kind"] == "ANONYMOUS"
    assert viewer["data"]["viewer"]["authError"].startswith("TOKEN_INVALID")
    order = await world.gql(client, "{ orders(first: 1) { edges { node { id } } } }", token="not-a-jwt")
    assert order["data"] is None and "sign in" in order["errors"][0]["message"]
