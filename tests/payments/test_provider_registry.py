"""Payment providers come from one registry, by name, chosen per tenant; callbacks reach a
provider through /payments/{provider}/callback and refunds go back through the provider
that took the money (plug-points issue, item 3)."""
from __future__ import annotations

import time
import uuid
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import select

from core.clock import utc_now
from payments.models import Payment
from payments.provider import CallbackEvent, SandboxProvider
from payments.registry import PaymentProviders, set_tenant_providers
from payments.service import refund_id_of, refund_late_payments
from app.services import build_services
from tests.api import gql_documents as docs
from tests.api.helpers import place_order
from tests.worlds import build_world

PAY = """
mutation($order: ID!, $key: String!, $provider: String) {
  orderPay(input: {orderId: $order, idempotencyKey: $key, provider: $provider}) {
    payment { provider status } clientPayload errors { field code message } } }"""


class OtherProvider(SandboxProvider):
    """A second provider with its own name and secret, standing in for WeChat Pay or Alipay."""

    name = "OTHER"


@pytest.fixture
async def two_provider_client(services, database):
    own = build_services(services.settings, database=database, sms=services.sms)
    own.payments = PaymentProviders([SandboxProvider("sandbox-secret-" + "s" * 20), OtherProvider("other-secret-" + "o" * 20)])
    from asgi import create_app

    transport = httpx.ASGITransport(app=create_app(own.settings, own))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http, own


async def _order(client, world) -> str:
    return (await place_order(client, world, {"bread": 1}, fulfilment="STORE_PICKUP"))["order"]["id"]


async def _pay(client, world, order_id, provider=None) -> dict:
    body = await world.gql(client, PAY, {"order": order_id, "key": f"pay-{uuid.uuid4()}", "provider": provider}, token=world.customer_token())
    return body["data"]["orderPay"]


async def _callback(client, provider: SandboxProvider, url_name: str, ref: str, amount: int) -> httpx.Response:
    body, signature = provider.signed_callback(CallbackEvent(f"evt-{uuid.uuid4()}", ref, "SUCCEEDED", amount), int(time.time()))
    return await client.post(f"/payments/{url_name}/callback", content=body, headers={"Qiandian-Signature": signature})


async def test_the_tenant_default_and_the_chosen_provider_take_and_refund_the_money(two_provider_client, database):
    client, services = two_provider_client
    sandbox, other = services.payments.get("SANDBOX"), services.payments.get("OTHER")
    world = await build_world(database, services)
    async with database.write() as session:
        await set_tenant_providers(session, world.tenant_id, ["OTHER", "SANDBOX"])

    by_default = await _pay(client, world, order_id := await _order(client, world))
    assert by_default["errors"] == [] and by_default["payment"]["provider"] == "OTHER"
    ref, amount = by_default["clientPayload"]["providerRef"], by_default["clientPayload"]["amount"]
    # Each provider verifies its own signature: the sandbox's signature is no good at OTHER's URL.
    forged = await _callback(client, sandbox, "other", ref, amount)
    assert forged.status_code == 401
    paid = await _callback(client, other, "other", ref, amount)
    assert paid.status_code == 200 and paid.json()["outcome"] == "PAID"

    cancelled = await world.gql(client, docs.CANCEL, {"order": order_id}, token=world.customer_token())
    assert cancelled["data"]["orderCancel"]["order"]["status"] == "REFUNDED"
    async with database.read() as session:
        payment = await session.scalar(select(Payment).where(Payment.provider_ref == ref))
    assert other.refunds[refund_id_of(payment)] == (ref, amount) and refund_id_of(payment) not in sandbox.refunds

    chosen = await _pay(client, world, await _order(client, world), provider="sandbox")
    assert chosen["errors"] == [] and chosen["payment"]["provider"] == "SANDBOX"


async def test_a_late_payment_is_refunded_by_its_own_provider(two_provider_client, database):
    client, services = two_provider_client
    other = services.payments.get("OTHER")
    world = await build_world(database, services)
    async with database.write() as session:
        await set_tenant_providers(session, world.tenant_id, ["OTHER"])
    order_id = await _order(client, world)
    payload = (await _pay(client, world, order_id))["clientPayload"]
    cancelled = await world.gql(client, docs.CANCEL, {"order": order_id}, token=world.customer_token())  # before the money arrives
    assert cancelled["data"]["orderCancel"]["order"]["status"] == "CANCELLED"
    late = await _callback(client, other, "other", payload["providerRef"], payload["amount"])
    assert late.json()["outcome"] == "REFUND_REQUIRED"
    await refund_late_payments(database, services.payments, utc_now())
    async with database.read() as session:
        payment = await session.scalar(select(Payment).where(Payment.provider_ref == payload["providerRef"]))
    assert payment.status == "REFUNDED" and other.refunds[refund_id_of(payment)] == (payment.provider_ref, payment.amount_fen)


async def test_a_provider_the_tenant_does_not_take_is_a_typed_error(two_provider_client, database):
    client, services = two_provider_client
    world = await build_world(database, services)
    async with database.write() as session:
        await set_tenant_providers(session, world.tenant_id, ["OTHER"])
    order_id = await _order(client, world)
    for name in ("SANDBOX", "WECHAT"):
        refused = await _pay(client, world, order_id, provider=name)
        assert refused["payment"] is None
        assert refused["errors"] == [{"field": "provider", "code": "PROVIDER_NOT_AVAILABLE", "message": refused["errors"][0]["message"]}]
    async with database.read() as session:
        assert await session.scalar(select(Payment.id).where(Payment.tenant_id == world.tenant_id)) is None  # nothing written


@pytest.mark.parametrize("url_name", ["wechat", "SANDBOX", "other"])
async def test_a_provider_this_process_does_not_run_answers_404(client, world, url_name):
    # the session's app runs only the sandbox, under its lower-case name
    body, signature = SandboxProvider(world.services.settings.payment_callback_secret).signed_callback(
        CallbackEvent("evt-x", "ref-x", "SUCCEEDED", 1), int(time.time())
    )
    response = await client.post(f"/payments/{url_name}/callback", content=body, headers={"Qiandian-Signature": signature})
    assert response.status_code == 404


def test_the_registry_reads_a_tenant_choice_default_first():
    registry = PaymentProviders([SandboxProvider("x" * 32), OtherProvider("y" * 32)])
    assert registry.enabled(None) == ["SANDBOX", "OTHER"]
    assert registry.enabled("other, wechat,SANDBOX,other") == ["OTHER", "SANDBOX"]
    assert registry.enabled("") == []
    with pytest.raises(ValueError):
        PaymentProviders([SandboxProvider("x" * 32), SandboxProvider("z" * 32)])


def test_settings_decide_whether_the_sandbox_is_registered(services):
    from payments.registry import build_payment_providers

    assert build_payment_providers(services.settings).names == ("SANDBOX",)
    assert build_payment_providers(replace(services.settings, sandbox_payments=False)).names == ()
