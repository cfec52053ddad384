"""Shared test kit: per-partner specs, accounts and deliveries, a scripted fake transport."""
from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

from sqlalchemy import select

from core.clock import utc_now
from delivery.couriers.models import CourierDelivery, CourierDeliveryEvent
from delivery.couriers.partner_side import Rider, callback
from delivery.couriers.protocol import CourierTimeout, DeliveryRequest, Stop
from delivery.couriers.service import add_account
from delivery.couriers.transport import HttpResponse
from geo.coordinates import LonLat

CREDENTIALS = {
    "dada": {"app_key": "dk", "app_secret": "dada-secret", "source_id": "73753", "shop_no": "11047059"},
    "fengniao": {"app_id": "fn-app", "merchant_id": "m1", "app_secret": "fn-secret", "access_token": "tok"},
    "sf": {"dev_id": "1234567", "dev_key": "sf-key", "shop_id": "3243279847393"},
    "shansong": {"client_id": "ss-client", "shop_id": "20000000000001234", "app_secret": "ss-secret"},
    "uu": {"open_id": "uu-open", "app_id": "uu-app", "app_secret": "uu-secret"},
    "uber": {"customer_id": "cust", "client_id": "cid", "client_secret": "csecret", "webhook_signing_key": "uber-key"},
    "doordash": {"developer_id": "dev", "key_id": "kid", "signing_secret": "c2VjcmV0LXNpZ25pbmcta2V5",
                 "webhook_authorization": "Basic ZGQ6c2VjcmV0"},
    "lalamove": {"api_key": "pk_test_1", "api_secret": "sk_test_1", "market": "HK"},
    "meituan": {"app_key": "mt-appkey", "app_secret": "mt-secret", "shop_id": "test_0001"},
}


@dataclass(frozen=True)
class Spec:
    """The partner's own codes for each common step, and what its protocol has."""

    dispatching: str
    assigned: str
    at_pickup: str | None
    picked_up: str
    delivered: str
    cancelled: str
    unknown: str
    ack: tuple[int, bytes]
    signed_timestamp: bool  # a timestamp the partner signs (so staleness is refused)
    secretless: bool  # no secret in the callback (URL token only / forgeable signature)
    coords: str  # what the partner expects
    money: str  # yuan / fen


SPECS = {
    "dada": Spec("1", "2", "100", "3", "4", "5", "42", (200, b'{"status":"ok"}'), True, True, "GCJ02", "yuan"),
    "fengniao": Spec("1", "20", "80", "2", "3", "4", "42", (200, b'{"code":200,"msg":"success"}'), True, False, "GCJ02", "fen"),
    "sf": Spec("1", "10", "12", "15", "17", "2", "42", (200, b'{"error_code":0,"error_msg":"success"}'), True, False, "GCJ02", "fen"),
    "shansong": Spec("20/1", "30/1", "30/2", "40/1", "50/1", "60/1", "70/1", (200, b'{"status":200,"msg":"","data":""}'),
                     False, True, "BD09", "fen"),
    "uu": Spec("1", "3", "4", "5", "10", "-1", "42", (200, b'{"code":0,"msg":"success"}'), True, False, "BD09", "fen"),
    "uber": Spec("pending", "pickup", "pickup!", "pickup_complete", "delivered", "canceled", "teleported", (200, b""),
                 False, False, "WGS84", "fen"),
    "doordash": Spec("DELIVERY_CREATED", "DASHER_CONFIRMED", "DASHER_CONFIRMED_PICKUP_ARRIVAL", "DASHER_PICKED_UP",
                     "DASHER_DROPPED_OFF", "DELIVERY_CANCELLED", "DASHER_TELEPORTED", (200, b""), False, True, "WGS84", "fen"),
    "lalamove": Spec("ASSIGNING_DRIVER", "ON_GOING", None, "PICKED_UP", "COMPLETED", "CANCELED", "TELEPORTED", (200, b""),
                     True, False, "WGS84", "fen"),
    "meituan": Spec("0", "20", None, "30", "50", "99", "42", (200, b'{"code":0}'), True, False, "GCJ02", "yuan"),
}
PROVIDERS = list(SPECS)
CLAIMED: dict[str, str] = {}  # provider -> the last terminal code a test callback announced


def _truth(provider: str) -> dict | None:
    """The partner's status-query answer agreeing with the last terminal callback (weak-auth partners)."""
    code = CLAIMED.get(provider)
    if code is None:
        return None
    if provider == "dada":
        return {"status": "success", "code": 0, "result": {"statusCode": int(code)}}
    if provider == "shansong":
        status, sub = code.split("/")
        return {"status": 200, "data": {"status": int(status), "subStatus": int(sub)}}
    if provider == "doordash":
        return {"delivery_status": {"DASHER_DROPPED_OFF": "delivered", "DELIVERY_CANCELLED": "cancelled"}[code]}
    return None


class PartnerTruth:
    """The app's partner transport in callback tests: a weak-auth partner's status query confirms
    the terminal state its (test) callback announced, as the real partner would."""

    QUERY = {"dada": "/api/order/status/query", "shansong": "orderInfo", "doordash": "drive/v2/deliveries/"}

    def __init__(self):
        CLAIMED.clear()
        self.queries = 0

    async def send(self, method, url, headers, body):
        for provider, fragment in self.QUERY.items():
            if fragment in url and _truth(provider) is not None:
                self.queries += 1
                return HttpResponse(200, json.dumps(_truth(provider)).encode())
        return HttpResponse(404, b'{"message":"no route"}')


def partner_truth(services):
    """Fixture body: install PartnerTruth as the app's transport for the test."""
    partners = services.courier_partners
    original, partners.transport = partners.transport, PartnerTruth()
    yield partners.transport
    partners.transport = original
_seq = itertools.count(1)


@dataclass
class Booking:
    provider: str
    token: str
    delivery_id: int
    merchant_id: str
    partner_id: str
    account: object
    clock: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def path(self) -> str:
        return f"/webhooks/couriers/{self.provider}/{self.token}"

    def call(self, code: str, *, at: datetime | None = None, rider: Rider = Rider(), **kw):
        """A correctly signed callback; each one a second later than the previous unless `at`.
        A terminal code becomes what the partner's status query answers (PartnerTruth)."""
        spec = SPECS[self.provider]
        if code in (spec.delivered, spec.cancelled):
            CLAIMED[self.provider] = code
        at = at or (utc_now() - timedelta(seconds=60) + timedelta(seconds=next(self.clock)))
        return callback(self.provider, CREDENTIALS[self.provider], self.path, merchant_id=self.merchant_id,
                        partner_id=self.partner_id, code=code, at=at, rider=rider, **kw)


async def book(world, provider: str, state: str = "DISPATCHING") -> Booking:
    database = world.services.database
    async with database.write() as session:
        account, token = await add_account(session, world.services.secret_box, world.tenant_id, provider,
                                           CREDENTIALS[provider])
        merchant_id = f"qdtest{uuid.uuid4().hex[:12]}"
        delivery = CourierDelivery(tenant_id=world.tenant_id, order_id=next(_seq), store_id=next(iter(world.store_ids.values())),
                                   account_id=account.id, provider=provider, merchant_order_id=merchant_id, state=state,
                                   partner_order_id=None)
        session.add(delivery)
        await session.flush()
        return Booking(provider, token, delivery.id, merchant_id, f"P{uuid.uuid4().hex[:10]}", account)


async def post(client, booking: Booking, signed, *, path: str | None = None):
    query = "&".join(f"{k}={v}" for k, v in signed.query.items())
    from urllib.parse import urlencode
    url = (path or booking.path) + (("?" + urlencode(signed.query)) if signed.query else "")
    return await client.post(url, content=signed.body, headers={"content-type": "application/json", **signed.headers})


async def state_of(world, booking: Booking) -> CourierDelivery:
    async with world.services.database.read() as session:
        return await session.get(CourierDelivery, booking.delivery_id)


async def events_of(world, booking: Booking) -> list[CourierDeliveryEvent]:
    async with world.services.database.read() as session:
        return list((await session.scalars(select(CourierDeliveryEvent).where(
            CourierDeliveryEvent.tenant_id == world.tenant_id, CourierDeliveryEvent.provider == booking.provider,
            CourierDeliveryEvent.delivery_id == booking.delivery_id))).all())


# --- outbound ------------------------------------------------------------------------------

SHANGHAI = LonLat(121.4737, 31.2304)
STORE = LonLat(121.4800, 31.2200)


def request(merchant_id: str = "qd1o1a1", tip_fen: int = 0) -> DeliveryRequest:
    return DeliveryRequest(merchant_order_id=merchant_id, pickup=Stop("Store 1", "02100000000", "1 Store Rd", STORE, "上海"),
                           dropoff=Stop("Han Meimei", "13900000000", "2 Home Rd", SHANGHAI, "上海"),
                           goods_value_fen=12345, weight_g=1500, tip_fen=tip_fen)


@dataclass
class Recorded:
    method: str
    url: str
    headers: dict
    body: bytes | None

    def payload(self) -> dict:
        """The business payload, unwrapped from each partner's envelope."""
        if self.headers.get("Content-Type") == "application/x-www-form-urlencoded":
            form = {k: v[0] for k, v in parse_qs(self.body.decode()).items()}
            return json.loads(form["data"]) if "data" in form else form
        outer = json.loads(self.body) if self.body else {}
        for key in ("body", "business_data", "biz"):
            if isinstance(outer.get(key), str):
                return json.loads(outer[key])
        return outer.get("data", outer) if isinstance(outer.get("data"), dict) else outer


class FakeTransport:
    """Answers by URL fragment; a fragment mapped to CourierTimeout raises it (the partner may have acted)."""

    def __init__(self, routes: dict[str, object]):
        self.routes = routes
        self.calls: list[Recorded] = []

    async def send(self, method, url, headers, body):
        self.calls.append(Recorded(method, url, dict(headers), body))
        for fragment, answer in self.routes.items():
            if fragment in url:
                if answer is CourierTimeout:
                    raise CourierTimeout(url)
                status, payload = answer if isinstance(answer, tuple) else (200, answer)
                return HttpResponse(status, json.dumps(payload).encode())
        return HttpResponse(404, b'{"message":"no route"}')

    def hits(self, fragment: str) -> int:
        return sum(1 for call in self.calls if fragment in call.url)


UBER_TOKEN = {"login.uber.com": {"access_token": "t", "expires_in": 3600}}

# Per partner: the create path, a success answer for create and for a status query saying "picked up",
# the quote path and a quote answer, and where the dropoff point sits in the created payload.
OUTBOUND = {
    "dada": dict(create="/api/order/addOrder", created={"status": "success", "code": 0, "result": {"fee": 12.5}},
                 query="/api/order/status/query",
                 queried={"status": "success", "code": 0, "result": {"statusCode": 3, "orderId": "D1", "transporterName": "Li"}},
                 quote="queryDeliverFee", quoted={"status": "success", "code": 0, "result": {"fee": 8.8, "distance": 2300, "deliveryNo": "Q1"}},
                 point=lambda p: (p["receiver_lng"], p["receiver_lat"]), money=lambda p: p["cargo_price"]),
    "fengniao": dict(create="createOrder", created={"code": "200", "business_data": json.dumps({"order_id": "F1"})},
                     query="getOrderDetail", queried={"code": "200", "business_data": json.dumps({"order_status": 2, "order_id": "F1"})},
                     quote="preCreateOrder", quoted={"code": "200", "business_data": json.dumps({"goods_infos": [{"actual_delivery_amount_cent": 880, "predict_delivery_minutes": 30}]})},
                     point=lambda p: (p["receiver_longitude"], p["receiver_latitude"]), money=lambda p: p["goods_total_amount_cent"]),
    "sf": dict(create="createorder", created={"error_code": 0, "result": {"sf_order_id": "S1", "total_price": 1250}},
               query="getorderstatus", queried={"error_code": 0, "result": {"order_status": 15, "sf_order_id": "S1"}},
               quote="precreateorder", quoted={"error_code": 0, "result": {"total_price": 880, "delivery_distance_meter": 2300}},
               point=lambda p: (float(p["receive"]["user_lng"]), float(p["receive"]["user_lat"])),
               money=lambda p: p["order_detail"]["total_price"]),
    "shansong": dict(create="orderPlace", created={"status": 200, "data": {"orderNumber": "SS1"}},
                     query="orderInfo", queried={"status": 200, "data": {"status": 40, "subStatus": 1, "orderNo": "SS1"}},
                     quote="orderCalculate", quoted={"status": 200, "data": {"totalFeeAfterSave": 880, "orderNumber": "SS1", "totalDistance": 2300}},
                     point=lambda p: (float(p["receiverList"][0]["toLongitude"]), float(p["receiverList"][0]["toLatitude"])),
                     money=None),
    "uu": dict(create="order/addOrder", created={"code": 0, "data": {"orderCode": "U1"}},
               query="order/orderDetail", queried={"code": 0, "data": {"state": 5, "orderCode": "U1"}},
               quote="order/orderPrice", quoted={"code": 0, "data": {"needPayMoney": 880, "priceToken": "PT", "distance": 2300}},
               point=lambda p: (float(p["toLng"]), float(p["toLat"])), money=lambda p: p["goodsPriceFen"]),
    "uber": dict(create="/deliveries", created={"id": "del_1", "fee": 1250}, query="/deliveries/del_1",
                 queried={"status": "pickup_complete"}, quote="delivery_quotes", quoted={"id": "dqt_1", "fee": 880, "duration": 30},
                 point=lambda p: (p["dropoff_longitude"], p["dropoff_latitude"]), money=lambda p: p["manifest_total_value"]),
    "doordash": dict(create="drive/v2/deliveries", created={"external_delivery_id": "x", "fee": 1250},
                     query="drive/v2/deliveries/", queried={"delivery_status": "picked_up"},
                     quote="drive/v2/quotes", quoted={"fee": 880},
                     point=lambda p: (p["dropoff_location"]["lng"], p["dropoff_location"]["lat"]), money=lambda p: p["order_value"]),
    "lalamove": dict(create="/v3/orders", created={"data": {"orderId": "L1", "priceBreakdown": {"total": "12.50"}}},
                     query="/v3/orders/L1", queried={"data": {"status": "PICKED_UP"}},
                     quote="/v3/quotations", quoted={"data": {"quotationId": "QT", "stops": [{"stopId": "a"}, {"stopId": "b"}],
                                                               "priceBreakdown": {"total": "8.80", "currency": "HKD"}}},
                     point=None, money=None),
    "meituan": dict(create="order/createByShop", created={"code": 0, "data": {"mt_peisong_id": "M1", "order_id": "x"}},
                    query="order/status/query", queried={"code": 0, "data": {"status": 30, "mt_peisong_id": "M1",
                                                                             "courier_name": "Li"}},
                    quote="order/preCreateByShop", quoted={"code": 0, "data": {"delivery_fee": "8.80", "delivery_distance": 2300}},
                    point=lambda p: (int(p["receiver_lng"]) / 1e6, int(p["receiver_lat"]) / 1e6),
                    money=lambda p: float(p["goods_value"])),
}
