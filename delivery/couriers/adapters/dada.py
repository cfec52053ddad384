"""Dada 达达 (newopen.imdada.cn).

Sources (third-party, matching each other; see shared research note §1): request signing per
wanDoubleMing/dada_openapi_php `dadaRequestClient.php` and houseme/imdada-go `md5Sign`;
callback fields per houseme `domain/orders.go`. Unconfirmed and chosen here:
- the order-from-quote path is `/api/order/addAfterQuery` (qiyi-tech and CityService; houseme
  differs);
- coordinates are GCJ-02 (one unattributed comment);
- the order callback is acknowledged with `{"status":"ok"}` (the documented ack for messages).
Callbacks are signed WITHOUT a secret (MD5 of the sorted values of client_id, order_id,
update_time), so they are forgeable: the webhook URL also carries a per-tenant secret token
(checked by the route), and the signature is checked as documented.
Money is yuan (converted to fen here); `update_time` is seconds, except status 1000 (ms).
"""
from __future__ import annotations

import hashlib
import time

from delivery.couriers.adapters._base import (
    AdapterBase, CourierRefused, ack_json, check_fresh, compact, fen_to_yuan, from_partner, from_unix, malformed,
    parse_json, rider, same, to_partner, yuan_to_fen,
)
from delivery.couriers.protocol import (
    Ack, CallbackRejected, CallbackRequest, Cancelled, CourierEvent, Created, DeliveryRequest, Quote, RiderInfo,
    StatusReport,
)
from delivery.couriers.states import CancelledBy, DeliveryState as S
from geo.coordinates import CoordinateSystem

COORDS = CoordinateSystem.GCJ02
STATUS = {
    "1": S.DISPATCHING, "8": S.DISPATCHING, "2": S.RIDER_ASSIGNED, "100": S.AT_PICKUP, "3": S.PICKED_UP,
    "4": S.DELIVERED, "5": S.CANCELLED, "7": S.EXPIRED, "9": S.RETURNING, "10": S.RETURNED,
    "1000": S.CREATE_FAILED,
}
CANCEL_FROM = {"1": CancelledBy.RIDER, "2": CancelledBy.MERCHANT, "3": CancelledBy.PARTNER}


def request_signature(params: dict[str, str], app_secret: str) -> str:
    """UPPER(MD5(secret + Σ key+value over the six envelope fields sorted by key + secret))."""
    joined = "".join(f"{key}{params[key]}" for key in sorted(params) if key != "signature")
    return hashlib.md5(f"{app_secret}{joined}{app_secret}".encode()).hexdigest().upper()


def callback_signature(client_id: str, order_id: str, update_time: str) -> str:
    """MD5 of the three values sorted as strings and concatenated (no secret: see module doc)."""
    return hashlib.md5("".join(sorted([client_id, order_id, update_time])).encode()).hexdigest()


class DadaAdapter(AdapterBase):
    name = "dada"
    weak_callback_auth = True  # the URL token is the only secret: terminal states are re-queried
    required = ("app_key", "app_secret", "source_id", "shop_no")
    default_base_url = "https://newopen.imdada.cn"

    def envelope(self, body: dict, timestamp: int | None = None) -> bytes:
        params = {
            "app_key": self.credentials["app_key"], "body": compact(body), "format": "json", "v": "1.0",
            "source_id": str(self.credentials["source_id"]), "timestamp": str(timestamp or int(time.time())),
        }
        params["signature"] = request_signature(params, self.credentials["app_secret"])
        return compact(params).encode()

    async def _call(self, path: str, body: dict) -> dict:
        response = await self._send("POST", path, {"Content-Type": "application/json"}, self.envelope(body))
        data = self._json(response)
        if data.get("status") != "success" or data.get("code") not in (0, "0"):
            raise CourierRefused(f"dada {path}: {data.get('code')} {data.get('msg')}")
        return data.get("result") or {}

    def _order_body(self, request: DeliveryRequest) -> dict:
        drop = to_partner(request.dropoff.point, COORDS)
        return {
            "shop_no": self.credentials["shop_no"], "origin_id": request.merchant_order_id,
            "city_code": request.dropoff.city, "cargo_price": fen_to_yuan(request.goods_value_fen), "is_prepay": 0,
            "receiver_name": request.dropoff.name, "receiver_address": request.dropoff.address,
            "receiver_phone": request.dropoff.phone, "receiver_lat": round(drop.lat, 6), "receiver_lng": round(drop.lon, 6),
            "cargo_weight": round(request.weight_g / 1000, 3), "tips": fen_to_yuan(request.tip_fen),
            "callback": request.callback_url, "info": request.note,
        }

    async def quote(self, request: DeliveryRequest) -> Quote:
        result = await self._call("/api/order/queryDeliverFee", self._order_body(request))
        return Quote(self.name, yuan_to_fen(result.get("fee", 0)), distance_m=int(float(result.get("distance") or 0)),
                     quote_token=str(result.get("deliveryNo") or "") or None)

    async def create(self, request: DeliveryRequest) -> Created:
        # origin_id is our merchant_order_id: a repeated addOrder for it is refused by Dada, never doubled.
        if request.quote_token:
            result = await self._call("/api/order/addAfterQuery", {"deliveryNo": request.quote_token})
        else:
            result = await self._call("/api/order/addOrder", self._order_body(request))
        fee = result.get("fee")
        return Created(request.merchant_order_id, yuan_to_fen(fee) if fee is not None else None)

    async def cancel(self, merchant_order_id: str, partner_order_id: str | None, reason: str) -> Cancelled:
        result = await self._call("/api/order/formalCancel",
                                  {"order_id": merchant_order_id, "cancel_reason_id": 10000, "cancel_reason": reason})
        return Cancelled(yuan_to_fen(result.get("deduct_fee") or 0))

    async def query(self, merchant_order_id: str, partner_order_id: str | None) -> StatusReport:
        result = await self._call("/api/order/status/query", {"order_id": merchant_order_id})
        code = str(result.get("statusCode", ""))
        position = from_partner(result.get("transporterLng"), result.get("transporterLat"), COORDS)
        fee = result.get("actualFee", result.get("deliveryFee"))
        return StatusReport(STATUS.get(code), str(result.get("orderId") or merchant_order_id), code,
                            rider(result.get("transporterName"), result.get("transporterPhone"), position),
                            yuan_to_fen(fee) if fee is not None else None)

    async def rider_position(self, merchant_order_id: str, partner_order_id: str | None) -> RiderInfo:
        return (await self.query(merchant_order_id, partner_order_id)).rider

    async def add_tip(self, merchant_order_id: str, partner_order_id: str | None, tip_fen: int, city: str = "") -> None:
        await self._call("/api/order/addTip", {"order_id": merchant_order_id, "tips": fen_to_yuan(tip_fen),
                                               "city_code": city, "info": ""})

    def parse_callback(self, call: CallbackRequest) -> list[CourierEvent]:
        data = parse_json(call.body)
        if "messageType" in data:  # a rider's cancel request: acknowledged, flagged as an exception
            body = data.get("messageBody")
            body = parse_json(body.encode()) if isinstance(body, str) else (body or {})
            order_id = str(body.get("orderId") or "")
            return [CourierEvent(f"msg:{order_id}:{data.get('messageType')}:{body.get('dadaOrderId')}", order_id or None,
                                 None, f"message:{data.get('messageType')}", None, None, exception=True,
                                 reason=str(body.get("cancelReason") or ""))]
        try:
            client_id, order_id = str(data["client_id"]), str(data["order_id"])
            update_time, code = str(data["update_time"]), str(data["order_status"])
        except KeyError as exc:
            raise malformed(f"missing {exc.args[0]}") from exc
        if not same(callback_signature(client_id, order_id, update_time), str(data.get("signature", ""))):
            raise CallbackRejected("dada signature mismatch")
        occurred = from_unix(update_time, ms=code == "1000")
        check_fresh(occurred, call.now, self.max_age_s)
        return [CourierEvent(
            f"{client_id}:{code}:{update_time}:{data.get('dm_id') or ''}", order_id, client_id, code, STATUS.get(code),
            occurred, rider(data.get("dm_name"), data.get("dm_mobile")),
            cancelled_by=CANCEL_FROM.get(str(data.get("cancel_from"))) if code == "5" else None,
            reason=str(data.get("cancel_reason") or ""), known=code in STATUS,
        )]

    def ack(self) -> Ack:
        return ack_json({"status": "ok"})
