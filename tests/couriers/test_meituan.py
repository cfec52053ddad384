"""Meituan specifics beyond the shared checklist: units on the wire, both platforms, the
exception callback, JSON-encoded callbacks, cancel initiators."""
from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlencode

import pytest

from core.clock import utc_now
from delivery.couriers.adapters.meituan import MeituanAdapter, delivery_number, signature, to_micro
from delivery.couriers.partner_side import callback
from delivery.couriers.protocol import CallbackRejected, CallbackRequest, CourierRefused
from delivery.couriers.states import CancelledBy, DeliveryState
from geo.coordinates import CoordinateSystem, from_wgs84
from tests.couriers.kit import CREDENTIALS, SHANGHAI, FakeTransport, book, events_of, post, request, state_of

CREDS = CREDENTIALS["meituan"]
CREATED = {"code": 0, "data": {"mt_peisong_id": "M1"}}


def _form(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(call.body.decode(), keep_blank_values=True).items()}


def _signed_ok(form: dict[str, str], secret: str) -> bool:
    text = secret + "".join(f"{k}{form[k]}" for k in sorted(form) if k != "sign" and form[k] != "")
    import hashlib

    return hashlib.sha1(text.encode()).hexdigest() == form["sign"]


async def test_create_sends_integer_micro_degrees_gcj02_yuan_and_a_stable_delivery_id():
    transport = FakeTransport({"order/createByShop": CREATED})
    adapter = MeituanAdapter(CREDS, transport)
    assert (await adapter.create(request("qd1o7a1"))).partner_order_id == "M1"
    await adapter.create(request("qd1o7a1"))  # a retry: the same delivery activity
    first, second = (_form(c) for c in transport.calls)
    assert transport.calls[0].url == "https://peisongopen.meituan.com/api/order/createByShop"
    assert transport.calls[0].headers["Content-Type"] == "application/x-www-form-urlencoded"
    gcj = from_wgs84(SHANGHAI, CoordinateSystem.GCJ02)
    assert first["receiver_lng"] == str(to_micro(gcj.lon)) and first["receiver_lat"] == str(to_micro(gcj.lat))
    assert first["receiver_lng"].isdigit() and abs(int(first["receiver_lng"]) - 121473700) > 1000  # converted
    assert first["coordinate_type"] == "0"
    assert first["goods_value"] == "123.45" and first["goods_weight"] == "1.500"
    assert first["delivery_id"] == second["delivery_id"] == str(delivery_number("qd1o7a1"))
    assert first["order_id"] == "qd1o7a1" and first["shop_id"] == "test_0001"
    assert first["appkey"] == "mt-appkey" and first["version"] == "1.0" and first["timestamp"].isdigit()
    assert abs(int(first["timestamp"]) - utc_now().timestamp()) < 3600  # Unix seconds, not ms
    assert _signed_ok(first, "mt-secret")
    assert 0 < delivery_number("qd1o7a1") < 2**63 and delivery_number("qd1o7a1") != delivery_number("qd1o7a2")


async def test_bd09_accounts_send_coordinate_type_1():
    transport = FakeTransport({"order/createByShop": CREATED})
    await MeituanAdapter({**CREDS, "coordinate_type": "BD09"}, transport).create(request())
    form = _form(transport.calls[0])
    bd = from_wgs84(SHANGHAI, CoordinateSystem.BD09)
    assert form["coordinate_type"] == "1" and form["receiver_lng"] == str(to_micro(bd.lon))
    with pytest.raises(ValueError):
        MeituanAdapter({**CREDS, "coordinate_type": "WGS84"}, transport)


async def test_quote_converts_yuan_exactly_and_a_refusal_is_typed():
    transport = FakeTransport({"preCreateByShop": {"code": 0, "data": {"delivery_fee": "0.29", "delivery_distance": 800}}})
    quote = await MeituanAdapter(CREDS, transport).quote(request())
    assert quote.fee_fen == 29 and quote.distance_m == 800  # float("0.29")*100 would be 28.999...
    with pytest.raises(CourierRefused):  # no fee in the answer is not a free delivery
        await MeituanAdapter(CREDS, FakeTransport({"preCreateByShop": {"code": 0, "data": {}}})).quote(request())
    refusing = FakeTransport({"createByShop": {"code": 11, "message": "接口流控"}})
    with pytest.raises(CourierRefused):
        await MeituanAdapter(CREDS, refusing).create(request())


async def test_unified_platform_paths_and_envelope():
    creds = {**CREDS, "platform": "unified", "app_auth_token": "auth-tok"}
    transport = FakeTransport({"/peisong/order/createByShop": {"code": "OP_SUCCESS", "data": {"mt_peisong_id": "U1"}},
                               "/peisong/order/queryStatus": {"code": "OP_SUCCESS", "data": {"status": 20, "delivery_fee": "8.80"}},
                               "/peisong/order/cancel": {"code": "OP_SUCCESS", "data": {}}})
    adapter = MeituanAdapter(creds, transport)
    assert (await adapter.create(request("qd1o8a1"))).partner_order_id == "U1"
    report = await adapter.query("qd1o8a1", "U1")
    assert report.state is DeliveryState.RIDER_ASSIGNED and report.fee_fen == 880
    await adapter.cancel("qd1o8a1", "U1", "changed mind")
    urls = [c.url for c in transport.calls]
    assert urls == ["https://api-open-cater.meituan.com/peisong/order/createByShop",
                    "https://api-open-cater.meituan.com/peisong/order/queryStatus",
                    "https://api-open-cater.meituan.com/peisong/order/cancel"]
    form = _form(transport.calls[0])
    assert form["developerId"] == "mt-appkey" and form["businessId"] == "19" and form["version"] == "2"
    assert form["appAuthToken"] == "auth-tok" and _signed_ok(form, "mt-secret")
    biz = json.loads(form["biz"])
    assert biz["order_id"] == "qd1o8a1" and biz["coordinate_type"] == 0 and isinstance(biz["receiver_lng"], int)
    cancel = json.loads(_form(transport.calls[2])["biz"])
    assert cancel["cancel_reason_id"] == 199 and cancel["mt_peisong_id"] == "U1"
    with pytest.raises(ValueError):
        MeituanAdapter({**CREDS, "platform": "v9"}, transport)


async def test_rider_position_integers_back_to_wgs84():
    gcj = from_wgs84(SHANGHAI, CoordinateSystem.GCJ02)
    transport = FakeTransport({"order/rider/location": {"code": 0, "data": {"lng": to_micro(gcj.lon), "lat": to_micro(gcj.lat)}}})
    info = await MeituanAdapter(CREDS, transport).rider_position("qd1o9a1", "M9")
    assert info.position.lon == pytest.approx(SHANGHAI.lon, abs=2e-5)
    assert info.position.lat == pytest.approx(SHANGHAI.lat, abs=2e-5)
    assert _form(transport.calls[0])["mt_peisong_id"] == "M9"


def _call(signed, now=None) -> CallbackRequest:
    return CallbackRequest(signed.body, dict(signed.headers), {}, "/x", now or utc_now())


def test_callback_signature_over_every_field_and_json_bodies_accepted():
    adapter = MeituanAdapter(CREDS, FakeTransport({}))
    signed = callback("meituan", CREDS, "/x", merchant_id="qd1o1a1", partner_id="M1", code="20", at=utc_now())
    [event] = adapter.parse_callback(_call(signed))
    assert (event.state, event.merchant_order_id, event.partner_order_id) == (DeliveryState.RIDER_ASSIGNED, "qd1o1a1", "M1")
    # The same fields as a JSON body (some integrations receive JSON): verified the same way.
    as_json = type(signed)(json.dumps(_form(signed)).encode(), {"content-type": "application/json"})
    assert adapter.parse_callback(_call(as_json))[0].event_key == event.event_key
    # Any field changed (even one a naive verifier might skip) breaks the signature.
    tampered = _form(signed) | {"cancel_reason": "x"}
    with pytest.raises(CallbackRejected):
        adapter.parse_callback(_call(type(signed)(urlencode(tampered).encode())))
    with pytest.raises(CallbackRejected) as refused:
        adapter.parse_callback(_call(signed, now=utc_now() + timedelta(hours=1)))
    assert refused.value.kind == "STALE_TIMESTAMP"
    with pytest.raises(CallbackRejected) as bad:
        adapter.parse_callback(_call(type(signed)(b"\xff\xfe")))
    assert bad.value.http_status == 400


def test_cancel_initiator_from_the_reason_id():
    adapter = MeituanAdapter(CREDS, FakeTransport({}))
    ours = callback("meituan", CREDS, "/x", merchant_id="a", partner_id="M", code="99", at=utc_now(),
                    extra={"cancel_reason_id": "101"})
    theirs = callback("meituan", CREDS, "/x", merchant_id="a", partner_id="M", code="99", at=utc_now())
    assert adapter.parse_callback(_call(ours))[0].cancelled_by is CancelledBy.MERCHANT
    assert adapter.parse_callback(_call(theirs))[0].cancelled_by is CancelledBy.PARTNER


def test_unified_callback_with_a_json_message():
    creds = {**CREDS, "platform": "unified"}
    signed = callback("meituan", creds, "/x", merchant_id="qd1o2a1", partner_id="M2", code="30", at=utc_now())
    assert "message" in _form(signed)
    [event] = MeituanAdapter(creds, FakeTransport({})).parse_callback(_call(signed))
    assert event.state is DeliveryState.PICKED_UP and event.merchant_order_id == "qd1o2a1"


async def test_exception_callback_flags_without_moving_and_dedupes_on_exception_id(client, world):
    b = await book(world, "meituan")
    await post(client, b, b.call("20"))
    exc = b.call("exception:10001", event_id="EX42")
    for _ in range(2):
        response = await post(client, b, exc)
        assert (response.status_code, response.content) == (200, b'{"code":0}')
    row = await state_of(world, b)
    assert row.state == "RIDER_ASSIGNED" and row.exception
    assert len([e for e in await events_of(world, b) if e.event_key.startswith("exception:")]) == 1
    # Another exception (a new exception_id) is a new event.
    await post(client, b, b.call("exception:10002", event_id="EX43"))
    assert len([e for e in await events_of(world, b) if e.event_key.startswith("exception:")]) == 2
    await post(client, b, b.call("50"))
    assert (await state_of(world, b)).state == "DELIVERED"


def test_golden_vector_drops_empty_and_null_values():
    assert signature({"b": "2", "a": "1", "c": "", "d": None, "sign": "zz"}, "S") == \
        __import__("hashlib").sha1(b"Sa1b2").hexdigest()
