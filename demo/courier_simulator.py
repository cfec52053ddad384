"""A local courier-partner simulator: each partner's protocol spoken from the partner's side.

One Starlette app serves every partner under its own prefix (`/dada/api/order/addOrder`,
`/sf/open/api/external/createorder`, `/uber/v1/customers/...`, ...), so pointing
QIANDIAN_COURIER_BASE_URLS at it (`dada=http://127.0.0.1:8700/dada,...`) makes the API talk to
it instead of the real partner. It checks our request signatures with the partner's formula
(a bad one is refused the way the partner would), books the job, assigns a simulated rider
who moves from the store to the customer, and calls our webhook with correctly signed
callbacks (delivery.couriers.partner_side). Misbehaviour on demand, per simulator or per call
of `POST /_control`: duplicate every callback, reorder them, delay them, refuse creates,
time out creates (answer after the client gave up, having booked the job).

Run: `python -m demo.courier_simulator --port 8700 --callback dada=http://127.0.0.1:8000/webhooks/couriers/dada/TOKEN`
(the demo's run-demo.sh starts it with the demo brand's tokens).
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qs

import httpx
import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.clock import utc_now
from delivery.couriers.partner_side import COORDINATES, STEP_CODES, Rider, callback
from geo.coordinates import CoordinateSystem, LonLat, from_wgs84

log = logging.getLogger("courier-simulator")

# The demo brand's (fake) partner credentials: the simulator and the demo seed share them.
DEMO_CREDENTIALS = {
    "dada": {"app_key": "demo-dada", "app_secret": "demo-dada-secret", "source_id": "73753", "shop_no": "demo-shop"},
    "fengniao": {"app_id": "demo-fn", "merchant_id": "demo-m", "app_secret": "demo-fn-secret", "access_token": "demo-tok"},
    "sf": {"dev_id": "1000001", "dev_key": "demo-sf-key", "shop_id": "demo-shop"},
    "shansong": {"client_id": "demo-ss", "shop_id": "demo-shop", "app_secret": "demo-ss-secret"},
    "uu": {"open_id": "demo-uu", "app_id": "demo-uu-app", "app_secret": "demo-uu-secret"},
    "uber": {"customer_id": "demo-cust", "client_id": "demo-cid", "client_secret": "demo-csecret",
             "webhook_signing_key": "demo-uber-key"},
    "doordash": {"developer_id": "demo-dev", "key_id": "demo-kid",
                 "signing_secret": base64.urlsafe_b64encode(b"demo-doordash-signing-secret-32b").decode(),
                 "webhook_authorization": "Basic ZGVtbzpkb29yZGFzaA=="},
    "lalamove": {"api_key": "pk_demo", "api_secret": "sk_demo", "market": "HK"},
    "meituan": {"app_key": "demo-mt", "app_secret": "demo-mt-secret", "shop_id": "test_0001"},
}


@dataclass
class Behaviour:
    duplicate: bool = False  # every callback twice
    reorder: bool = False  # send the steps shuffled
    delay_s: float = 0.0  # before each callback
    refuse_create: bool = False
    timeout_create_s: float = 0.0  # sleep this long before answering a create (the job is booked first)
    step_s: float = 1.0  # rider time between steps


@dataclass
class Job:
    provider: str
    merchant_id: str
    partner_id: str
    pickup: LonLat
    dropoff: LonLat
    step: str = "dispatching"
    cancelled: bool = False
    extra: dict = field(default_factory=dict)  # partner fields every callback echoes (Meituan's delivery_id)


@dataclass
class Simulator:
    callbacks: dict[str, str] = field(default_factory=dict)  # provider -> our webhook URL
    credentials: dict[str, dict] = field(default_factory=lambda: dict(DEMO_CREDENTIALS))
    behaviour: Behaviour = field(default_factory=Behaviour)
    jobs: dict[tuple[str, str], Job] = field(default_factory=dict)  # (provider, merchant id)
    by_partner: dict[tuple[str, str], Job] = field(default_factory=dict)
    quotes: dict[tuple[str, str], dict] = field(default_factory=dict)
    sent: list[tuple[str, str, int]] = field(default_factory=list)  # (provider, code, our HTTP status)
    refused: list[tuple[str, str]] = field(default_factory=list)  # requests whose signature we refused
    served: list[tuple[str, str]] = field(default_factory=list)  # (provider, path) of requests we accepted
    create_calls: dict[tuple[str, str], int] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _tasks: set = field(default_factory=set)

    # --- verification of OUR requests (the partner's formula) -------------------------------
    def verify(self, provider: str, request: Request, raw: bytes) -> dict | None:
        """The business payload if our signature is right, else None."""
        c = self.credentials[provider]
        try:
            if provider == "dada":
                env = json.loads(raw)
                joined = "".join(f"{k}{env[k]}" for k in sorted(env) if k != "signature")
                good = hashlib.md5(f"{c['app_secret']}{joined}{c['app_secret']}".encode()).hexdigest().upper()
                return json.loads(env["body"]) if hmac.compare_digest(good, env["signature"]) else None
            if provider == "fengniao":
                env = json.loads(raw)
                joined = "&".join(f"{k}={env[k]}" for k in sorted(env) if k != "signature" and env[k] not in ("", None))
                good = hashlib.sha256((c["app_secret"] + joined).encode()).hexdigest()
                return json.loads(env["business_data"]) if hmac.compare_digest(good, env["signature"]) else None
            if provider == "sf":
                good = base64.b64encode(hashlib.md5(raw + f"&{c['dev_id']}&{c['dev_key']}".encode()).hexdigest().encode()).decode()
                return json.loads(raw) if hmac.compare_digest(good, request.query_params.get("sign", "")) else None
            if provider == "shansong":
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                text = (f"{c['app_secret']}clientId{form['clientId']}" + (f"data{form['data']}" if form.get("data") else "")
                        + f"shopId{form['shopId']}timestamp{form['timestamp']}")
                good = hashlib.md5(text.encode()).hexdigest().upper()
                return json.loads(form.get("data") or "{}") if hmac.compare_digest(good, form["sign"]) else None
            if provider == "uu":
                env = json.loads(raw)
                good = hashlib.md5(f"{env['biz']}{c['app_secret']}{env['timestamp']}".encode()).hexdigest().upper()
                return json.loads(env["biz"]) if hmac.compare_digest(good, env["sign"]) else None
            if provider == "uber":
                if request.url.path.endswith("/oauth/v2/token"):
                    form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                    return form if form.get("client_secret") == c["client_secret"] else None
                ok = request.headers.get("authorization") == "Bearer sim-uber-token"
                return (json.loads(raw) if raw else {}) if ok else None
            if provider == "doordash":
                token = request.headers.get("authorization", "").removeprefix("Bearer ")
                key = base64.urlsafe_b64decode(c["signing_secret"] + "=" * (-len(c["signing_secret"]) % 4))
                jwt.decode(token, key, algorithms=["HS256"], audience="doordash")
                return json.loads(raw) if raw else {}
            if provider == "lalamove":
                scheme, _, rest = request.headers.get("authorization", "").partition(" ")
                key, ts, sig = rest.split(":")
                path = request.url.path.removeprefix("/lalamove")
                good = hmac.new(c["api_secret"].encode(), f"{ts}\r\n{request.method}\r\n{path}\r\n\r\n{raw.decode()}".encode(),
                                hashlib.sha256).hexdigest()
                ok = scheme == "hmac" and key == c["api_key"] and hmac.compare_digest(good, sig)
                return ((json.loads(raw).get("data") if raw else {}) or {}) if ok else None
            if provider == "meituan":
                # SHA1(secret + k1v1..., keys sorted, `sign` and empty values left out); the unified
                # platform carries the business fields as JSON in `biz`, signed the same way.
                form = {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
                text = c["app_secret"] + "".join(f"{k}{form[k]}" for k in sorted(form) if k != "sign" and form[k] != "")
                if not hmac.compare_digest(hashlib.sha1(text.encode()).hexdigest(), form["sign"]):
                    return None
                if "biz" in form:
                    return {**json.loads(form["biz"]), "_platform": "unified"}
                return {k: v for k, v in form.items() if k not in ("appkey", "timestamp", "version", "sign")}
        except (ValueError, KeyError, TypeError, jwt.PyJWTError):
            return None
        return None

    # --- the job -------------------------------------------------------------------------
    def book(self, provider: str, merchant_id: str, pickup: LonLat, dropoff: LonLat) -> Job:
        self.create_calls[(provider, merchant_id)] = self.create_calls.get((provider, merchant_id), 0) + 1
        existing = self.jobs.get((provider, merchant_id))
        if existing is not None:  # the partner's own idempotency on the merchant order id
            return existing
        job = Job(provider, merchant_id, f"SIM{provider[:2].upper()}{next(self._ids):06d}", pickup, dropoff)
        self.jobs[(provider, merchant_id)] = job
        self.by_partner[(provider, job.partner_id)] = job
        task = asyncio.get_running_loop().create_task(self.ride(job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def ride(self, job: Job) -> None:
        steps = [s for s in ("assigned", "at_pickup", "picked_up", "delivered") if STEP_CODES[job.provider][s]]
        calls = []
        start = utc_now()
        system = CoordinateSystem(COORDINATES[job.provider])
        for n, step in enumerate(steps):
            await asyncio.sleep(self.behaviour.step_s)
            if job.cancelled:
                return
            job.step = step
            # The rider moves from the store (steps 0-1) to the customer (steps 2-3).
            frac = {"assigned": 0.0, "at_pickup": 0.0, "picked_up": 0.1, "delivered": 1.0}[step]
            here = LonLat(job.pickup.lon + (job.dropoff.lon - job.pickup.lon) * frac,
                          job.pickup.lat + (job.dropoff.lat - job.pickup.lat) * frac)
            seen = from_wgs84(here, system)
            calls.append((STEP_CODES[job.provider][step], start + timedelta(seconds=n + 1),
                          Rider(lon=round(seen.lon, 6), lat=round(seen.lat, 6))))
            if not self.behaviour.reorder:
                await self.deliver(job, *calls[-1])
        if self.behaviour.reorder:
            random.shuffle(calls)
            for call in calls:
                await self.deliver(job, *call)

    async def deliver(self, job: Job, code: str, at, rider: Rider) -> None:
        url = self.callbacks.get(job.provider)
        if not url:
            return
        path = httpx.URL(url).path
        signed = callback(job.provider, self.credentials[job.provider], path, merchant_id=job.merchant_id,
                          partner_id=job.partner_id, code=code, at=at, rider=rider, extra=dict(job.extra))
        for _ in range(2 if self.behaviour.duplicate else 1):
            if self.behaviour.delay_s:
                await asyncio.sleep(self.behaviour.delay_s)
            try:
                async with httpx.AsyncClient(timeout=10) as client:
                    response = await client.post(url, content=signed.body, params=signed.query,
                                                 headers={"content-type": "application/json", **signed.headers})
                self.sent.append((job.provider, code, response.status_code))
            except httpx.HTTPError as exc:
                log.warning("callback to %s failed: %s", url, exc)
                self.sent.append((job.provider, code, 0))

    def status_of(self, job: Job | None) -> str | None:
        if job is None:
            return None
        return STEP_CODES[job.provider]["cancelled" if job.cancelled else job.step]


def _pt(lon, lat, system: str) -> LonLat:
    from geo.coordinates import convert

    return convert(LonLat(float(lon), float(lat)), CoordinateSystem(system), CoordinateSystem.WGS84)


def create_app(sim: Simulator) -> Starlette:
    async def endpoint(request: Request) -> Response:
        provider, rest = request.path_params["provider"], "/" + request.path_params["rest"]
        if provider not in STEP_CODES:
            return JSONResponse({"error": "unknown partner"}, status_code=404)
        raw = await request.body()
        payload = sim.verify(provider, request, raw)
        if payload is None:
            sim.refused.append((provider, rest))
            return _refuse(provider)
        sim.served.append((provider, rest))
        return await handle(sim, provider, rest, request.method, payload)

    async def control(request: Request) -> Response:
        data = await request.json()
        for key, value in data.items():
            if key == "callbacks":
                sim.callbacks.update(value)
            elif hasattr(sim.behaviour, key):
                setattr(sim.behaviour, key, type(getattr(sim.behaviour, key))(value))
        return JSONResponse({"ok": True, "sent": sim.sent[-20:], "refused": sim.refused[-20:]})

    return Starlette(routes=[Route("/_control", control, methods=["POST"]),
                             Route("/{provider}/{rest:path}", endpoint, methods=["GET", "POST", "PUT", "DELETE"])])


def _refuse(provider: str) -> Response:
    bodies = {"dada": {"status": "fail", "code": 2003, "msg": "签名错误"}, "fengniao": {"code": "40001", "msg": "sign error"},
              "sf": {"error_code": 1003, "error_msg": "sign error"}, "shansong": {"status": 401, "msg": "sign error"},
              "uu": {"code": -101, "msg": "sign error"}, "meituan": {"code": 4, "message": "签名验证失败"}}
    if provider in bodies:
        return JSONResponse(bodies[provider])
    return JSONResponse({"code": "unauthorized", "message": "bad credentials"}, status_code=401)


SHOP = LonLat(121.4800, 31.2200)
# Each simulated partner's price for a job (fen), so CHEAPEST has something to choose.
FEES = {"dada": 880, "fengniao": 820, "sf": 950, "shansong": 1100, "uu": 760, "uber": 880, "doordash": 880, "lalamove": 880, "meituan": 880}  # where the simulated partner thinks every shop is (WGS-84)


async def handle(sim: Simulator, provider: str, path: str, method: str, p: dict) -> Response:
    b = sim.behaviour
    ok = {"dada": lambda r: {"status": "success", "code": 0, "result": r},
          "fengniao": lambda r: {"code": "200", "msg": "success", "business_data": json.dumps(r)},
          "sf": lambda r: {"error_code": 0, "error_msg": "success", "result": r},
          "shansong": lambda r: {"status": 200, "msg": "", "data": r},
          "uu": lambda r: {"code": 0, "msg": "success", "data": r},
          "meituan": (lambda r: {"code": "OP_SUCCESS", "msg": "success", "data": r, "traceId": "sim"})
          if p.get("_platform") == "unified" else (lambda r: {"code": 0, "message": "成功", "data": r})}.get(provider, lambda r: r)

    async def created(merchant_id: str, dropoff: LonLat, extra) -> Response:
        if b.refuse_create:
            return _refuse_business(provider)
        job = sim.book(provider, merchant_id, SHOP, dropoff)
        if b.timeout_create_s:
            await asyncio.sleep(b.timeout_create_s)
        return JSONResponse(ok(extra(job) if callable(extra) else extra))

    if provider == "dada":
        if path.endswith("queryDeliverFee"):
            return JSONResponse(ok({"fee": FEES[provider] / 100, "deliverFee": FEES[provider] / 100, "distance": 2300, "deliveryNo": f"Q{p['origin_id']}"}))
        if path.endswith("addOrder"):
            return await created(p["origin_id"], _pt(p["receiver_lng"], p["receiver_lat"], "GCJ02"), {"fee": 8.8, "distance": 2300})
        if path.endswith("addAfterQuery"):
            return await created(p["deliveryNo"][1:], SHOP, {"fee": 8.8})
        job = sim.jobs.get((provider, p.get("order_id", "")))
        if path.endswith("status/query"):
            return JSONResponse(ok({"statusCode": int(sim.status_of(job)), "orderId": job.partner_id}) if job else
                                {"status": "fail", "code": 2005, "msg": "订单不存在"})
        if path.endswith("formalCancel") and job:
            job.cancelled = True
            return JSONResponse(ok({"deduct_fee": 2.0 if job.step != "dispatching" else 0}))
    if provider == "fengniao":
        code = p.get("partner_order_code", "")
        if path.endswith("preCreateOrder"):
            return JSONResponse(ok({"goods_infos": [{"actual_delivery_amount_cent": FEES[provider], "predict_delivery_minutes": 30,
                                                     "t_index_id": f"T{code}"}], "distance": 2300}))
        if path.endswith("createOrder"):
            return await created(code, _pt(p["receiver_longitude"], p["receiver_latitude"], "GCJ02"),
                                 lambda job: {"order_id": job.partner_id})
        job = sim.jobs.get((provider, code))
        if path.endswith("getOrderDetail"):
            return JSONResponse(ok({"order_status": int(sim.status_of(job)), "order_id": job.partner_id}) if job else
                                {"code": "B0101", "msg": "order not found"})
        if path.endswith("preCancelOrder"):
            return JSONResponse(ok({"actual_cancel_cost_cent": 200 if job and job.step != "dispatching" else 0}))
        if path.endswith("cancelOrder") and job:
            job.cancelled = True
            return JSONResponse(ok({}))
    if provider == "sf":
        if path.endswith("precreateorder"):
            return JSONResponse(ok({"total_price": FEES[provider], "delivery_distance_meter": 2300, "expect_time": int(time.time()) + 1800}))
        if path.endswith("createorder"):
            receive = p["receive"]
            return await created(p["shop_order_id"], _pt(receive["user_lng"], receive["user_lat"], "GCJ02"),
                                 lambda job: {"sf_order_id": job.partner_id, "total_price": 880})
        job = sim.jobs.get((provider, str(p.get("order_id", "")))) or sim.by_partner.get((provider, str(p.get("order_id", ""))))
        if path.endswith("getorderstatus"):
            return JSONResponse(ok({"order_status": int(sim.status_of(job)), "sf_order_id": job.partner_id}) if job else
                                {"error_code": 2002, "error_msg": "order not found"})
        if path.endswith("cancelorder") and job:
            job.cancelled = True
            return JSONResponse(ok({"deduction_detail": {"deduction_fee": 200 if job.step != "dispatching" else 0}}))
    if provider == "shansong":
        if path.endswith("orderCalculate"):
            r = p["receiverList"][0]
            number = f"TDH{r['orderNo']}"
            sim.quotes[(provider, number)] = {"merchant": r["orderNo"], "to": _pt(r["toLongitude"], r["toLatitude"], "BD09")}
            return JSONResponse(ok({"totalFeeAfterSave": FEES[provider], "orderNumber": number, "totalDistance": 2300}))
        if path.endswith("orderPlace"):
            quote = sim.quotes.get((provider, p.get("issOrderNo")))
            if quote is None:
                return JSONResponse({"status": 400, "msg": "no such calculation"})
            return await created(quote["merchant"], quote["to"], lambda job: {"orderNumber": job.partner_id})
        job = sim.by_partner.get((provider, p.get("issOrderNo", ""))) or sim.jobs.get((provider, p.get("thirdOrderNo", "")))
        if path.endswith("orderInfo"):
            if job is None:
                return JSONResponse({"status": 404, "msg": "order not found"})
            status, _, sub = sim.status_of(job).partition("/")
            return JSONResponse(ok({"status": int(status), "subStatus": int(sub), "orderNo": job.partner_id}))
        if path.endswith("abortOrder") and job:
            job.cancelled = True
            return JSONResponse(ok({"deductAmount": 200 if job.step != "dispatching" else 0}))
    if provider == "uu":
        if path.endswith("orderPrice"):
            token = f"PT{p['originId']}"
            sim.quotes[(provider, token)] = {"to": _pt(p["toLng"], p["toLat"], "BD09")}
            return JSONResponse(ok({"needPayMoney": FEES[provider], "totalMoney": FEES[provider], "priceToken": token, "distance": 2300}))
        if path.endswith("addOrder"):
            quote = sim.quotes.get((provider, p.get("priceToken")), {"to": SHOP})
            return await created(p["originId"], quote["to"], lambda job: {"orderCode": job.partner_id})
        job = sim.jobs.get((provider, p.get("originId", "")))
        if path.endswith("orderDetail"):
            return JSONResponse(ok({"state": int(sim.status_of(job)), "orderCode": job.partner_id}) if job else
                                {"code": -1, "msg": "order not found"})
        if path.endswith("cancelOrder") and job:
            job.cancelled = True
            return JSONResponse(ok({"deductFee": 200 if job.step != "dispatching" else 0}))
    if provider == "meituan":  # classic `/order/...` and unified `/peisong/order/...` paths; error codes illustrative
        if path.endswith("preCreateByShop"):
            return JSONResponse(ok({"delivery_fee": f"{FEES[provider] / 100:.2f}", "delivery_distance": 2300}))
        if path.endswith("createByShop"):
            system = "BD09" if str(p.get("coordinate_type")) == "1" else "GCJ02"
            merchant = str(p["order_id"])

            def booked(job: Job) -> dict:
                job.extra.setdefault("delivery_id", str(p["delivery_id"]))
                return {"mt_peisong_id": job.partner_id, "delivery_id": int(p["delivery_id"]), "order_id": merchant}

            return await created(merchant, _pt(int(p["receiver_lng"]) / 1e6, int(p["receiver_lat"]) / 1e6, system), booked)
        job = sim.by_partner.get((provider, str(p.get("mt_peisong_id") or ""))) or next(
            (j for j in sim.jobs.values() if j.provider == provider and j.extra.get("delivery_id") == str(p.get("delivery_id"))), None)
        if job is None:
            return JSONResponse({"code": 16, "message": "订单不存在"})
        if path.endswith("status/query") or path.endswith("queryStatus"):
            return JSONResponse(ok({"status": int(sim.status_of(job)), "mt_peisong_id": job.partner_id,
                                    "delivery_id": int(job.extra["delivery_id"]), "order_id": job.merchant_id}))
        if path.endswith("rider/location"):
            seen = from_wgs84(job.pickup, CoordinateSystem.GCJ02)
            return JSONResponse(ok({"lng": round(seen.lon * 1e6), "lat": round(seen.lat * 1e6)}))
        if path.endswith("order/delete") or path.endswith("order/cancel"):
            if job.step in ("picked_up", "delivered"):
                return JSONResponse({"code": 15, "message": "订单不可取消"})
            job.cancelled = True
            return JSONResponse(ok({"mt_peisong_id": job.partner_id}))
    if provider == "uber":
        if path.endswith("/oauth/v2/token"):
            return JSONResponse({"access_token": "sim-uber-token", "expires_in": 3600, "token_type": "Bearer"})
        if path.endswith("/delivery_quotes"):
            return JSONResponse({"id": f"dqt_{next(sim._ids)}", "fee": 880, "currency": "usd", "duration": 30})
        if path.endswith("/deliveries") and method == "POST":
            return await created(p["external_id"], LonLat(p["dropoff_longitude"], p["dropoff_latitude"]),
                                 lambda job: {"id": job.partner_id, "fee": 880, "status": "pending"})
        delivery_id = path.split("/deliveries/")[-1].split("/")[0]
        job = sim.by_partner.get((provider, delivery_id))
        if job is None:
            return JSONResponse({"code": "not_found"}, status_code=404)
        if path.endswith("/cancel"):
            job.cancelled = True
            return JSONResponse({"id": job.partner_id, "status": "canceled"})
        return JSONResponse({"id": job.partner_id, "status": sim.status_of(job).rstrip("!"),
                             "courier_imminent": sim.status_of(job).endswith("!"), "fee": 880})
    if provider == "doordash":
        if path.endswith("/quotes"):
            return JSONResponse({"external_delivery_id": p["external_delivery_id"], "fee": 880})
        if path.endswith("/accept"):
            external = path.split("/quotes/")[-1].split("/")[0]
            return await created(external, SHOP, lambda job: {"external_delivery_id": external, "fee": 880})
        if path.endswith("/deliveries") and method == "POST":
            if (provider, p["external_delivery_id"]) in sim.jobs:
                return JSONResponse({"code": "duplicate_delivery_id"}, status_code=409)
            loc = p.get("dropoff_location") or {}
            return await created(p["external_delivery_id"], LonLat(loc.get("lng", SHOP.lon), loc.get("lat", SHOP.lat)),
                                 lambda job: {"external_delivery_id": job.merchant_id, "fee": 880})
        external = path.split("/deliveries/")[-1].split("/")[0]
        job = sim.jobs.get((provider, external))
        if job is None:
            return JSONResponse({"code": "not_found"}, status_code=404)
        if path.endswith("/cancel"):
            if job.step not in ("dispatching",):
                return JSONResponse({"code": "cannot_cancel"}, status_code=400)
            job.cancelled = True
            return JSONResponse({"external_delivery_id": external, "delivery_status": "cancelled"})
        status = {"DASHER_CONFIRMED": "confirmed", "DASHER_CONFIRMED_PICKUP_ARRIVAL": "arrived_at_pickup",
                  "DASHER_PICKED_UP": "picked_up", "DASHER_DROPPED_OFF": "delivered", "DELIVERY_CANCELLED": "cancelled",
                  "DELIVERY_CREATED": "created"}[sim.status_of(job)]
        return JSONResponse({"external_delivery_id": external, "delivery_status": status, "fee": 880})
    if provider == "lalamove":
        if path.endswith("/v3/quotations"):
            stops = p["stops"]
            qid = f"QT{next(sim._ids)}"
            drop = stops[-1]["coordinates"]
            sim.quotes[(provider, qid)] = {"to": LonLat(float(drop["lng"]), float(drop["lat"]))}
            return JSONResponse({"data": {"quotationId": qid, "stops": [{"stopId": "s1"}, {"stopId": "s2"}],
                                          "priceBreakdown": {"total": "8.80", "currency": "HKD"},
                                          "distance": {"value": "2300", "unit": "m"}}})
        if path.endswith("/v3/orders") and method == "POST":
            quote = sim.quotes.get((provider, p.get("quotationId")), {"to": SHOP})
            return await created(p["metadata"]["merchantOrderId"], quote["to"],
                                 lambda job: {"data": {"orderId": job.partner_id, "priceBreakdown": {"total": "8.80"}}})
        order_id = path.split("/v3/orders/")[-1].split("/")[0]
        job = sim.by_partner.get((provider, order_id))
        if job is None:
            return JSONResponse({"errors": [{"id": "ERR_ORDER_NOT_FOUND"}]}, status_code=404)
        if method == "DELETE":
            job.cancelled = True
            return Response(status_code=204)
        return JSONResponse({"data": {"orderId": job.partner_id, "status": sim.status_of(job), "priceBreakdown": {"total": "8.80"}}})
    return JSONResponse({"error": f"simulator does not serve {method} {path}"}, status_code=404)


def _refuse_business(provider: str) -> Response:
    bodies = {"dada": {"status": "fail", "code": 2076, "msg": "超出配送范围"}, "fengniao": {"code": "B0301", "msg": "out of range"},
              "sf": {"error_code": 1017, "error_msg": "out of range"}, "shansong": {"status": 400, "msg": "超出服务范围"},
              "uu": {"code": -1, "msg": "out of range"}, "meituan": {"code": 5, "message": "超出配送范围"}}
    if provider in bodies:
        return JSONResponse(bodies[provider])
    return JSONResponse({"code": "address_not_serviceable", "message": "out of range"}, status_code=422)


async def ensure_demo_accounts(sim_url: str, api_url: str, wait_s: float = 180) -> dict[str, str]:
    """Give the demo brand an account with every partner (the simulator's credentials, fresh
    webhook tokens each start) and, if it has none, a policy; returns our webhook URL per partner."""
    from sqlalchemy import select

    from core.secret_box import SecretBox
    from core.settings import load_settings
    from db.session import Database
    from delivery.couriers.models import CourierAccount
    from delivery.couriers.policy import set_policy
    from delivery.couriers.models import CourierPolicyRow
    from delivery.couriers.service import WEBHOOK_TOKEN_KEY, add_account, token_hash
    from demo import chain
    from store_network.models import NetworkNode, Tenant

    import secrets as _secrets

    settings = load_settings()
    box = SecretBox(settings.secret_key, settings.previous_secret_keys)
    database = Database(settings.database_url)
    callbacks: dict[str, str] = {}
    try:
        deadline = asyncio.get_running_loop().time() + wait_s
        while True:  # the API seeds the demo chain as it starts
            try:
                async with database.read() as session:
                    tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == chain.BRAND.slug))
            except Exception:  # noqa: BLE001 - not migrated yet
                tenant_id = None
            if tenant_id is not None or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(1)
        if tenant_id is None:
            raise SystemExit("demo brand not found: start the API with `qiandian serve --demo` first")
        async with database.write() as session:
            for provider, creds in DEMO_CREDENTIALS.items():
                creds = dict(creds)
                if provider == "uber":
                    creds["token_url"] = f"{sim_url}/uber/oauth/v2/token"
                account = await session.scalar(select(CourierAccount).where(
                    CourierAccount.tenant_id == tenant_id, CourierAccount.provider == provider, CourierAccount.store_id.is_(None)))
                if account is None:
                    account, token = await add_account(session, box, tenant_id, provider, creds)
                else:
                    token = _secrets.token_urlsafe(24)
                    account.sealed_credentials = box.seal({**creds, WEBHOOK_TOKEN_KEY: token})
                    account.webhook_token_hash = token_hash(token)
                callbacks[provider] = f"{api_url}/webhooks/couriers/{provider}/{token}"
            hq = await session.scalar(select(NetworkNode.id).where(NetworkNode.tenant_id == tenant_id,
                                                                   NetworkNode.parent_id.is_(None)))
            if await session.scalar(select(CourierPolicyRow.id).where(CourierPolicyRow.node_id == hq)) is None:
                await set_policy(session, tenant_id, hq, mode="OWN_FIRST", providers=["dada", "sf", "fengniao", "shansong", "uu"],
                                 choose="CHEAPEST", cascade_after_s=600, fee_cap_fen=3000)
    finally:
        await database.dispose()
    return callbacks


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--callback", action="append", default=[], help="provider=our webhook URL (repeatable)")
    parser.add_argument("--step-s", type=float, default=5.0, help="simulated rider time between steps")
    parser.add_argument("--demo", action="store_true", help="wire the demo brand: accounts with every partner, a policy")
    parser.add_argument("--api", default="http://127.0.0.1:8000", help="the API's base URL (for --demo)")
    args = parser.parse_args(argv)
    callbacks = dict(item.split("=", 1) for item in args.callback)
    if args.demo:
        callbacks = {**asyncio.run(ensure_demo_accounts(f"http://{args.host}:{args.port}", args.api)), **callbacks}
        print(f"courier simulator: demo brand wired to {len(callbacks)} simulated partners", flush=True)
    sim = Simulator(callbacks=callbacks, behaviour=Behaviour(step_s=args.step_s))
    uvicorn.run(create_app(sim), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
