"""UU跑腿 (open.uupt.com, open API v3).

Sources: uupt-mcp/uupt-open-cli `internal/api/client.go` and `api-reference.md` [O-org]: POST
JSON `{openId, timestamp, biz:<compact JSON string>, sign}` with header `X-App-Id` and
`sign = UPPER(MD5(biz + appSecret + timestamp))`. Timestamp in SECONDS, as the official CLI
sends (one third-party project sends ms) [U]. Callbacks `{openId, timestamp, biz, sign}` are
verified with the same formula [T: gruul UuptRequest#signCheck; official text U] and acked
`{"code":0,"msg":"success"}` [U]. The success envelope `code == 0` and the cancel fee field
`deductFee` (fen) are [U]. Money in fen; coordinates BD-09. States: 1 placed, 3 accepted,
4 at pickup, 5 picked up, 6 at destination, 10 received, -1/11 cancelled, 20 exception (flag).
"""
from __future__ import annotations

import hashlib
import time

from delivery.couriers.adapters._base import (
    AdapterBase, CourierRefused, ack_json, check_fresh, compact, from_partner, from_unix, malformed, parse_json,
    rider, same, to_partner,
)
from delivery.couriers.protocol import (
    Ack, CallbackRejected, CallbackRequest, Cancelled, CourierEvent, Created, DeliveryRequest, Quote, RiderInfo,
    StatusReport,
)
from delivery.couriers.states import CancelledBy, DeliveryState as S
from geo.coordinates import CoordinateSystem

COORDS = CoordinateSystem.BD09
STATUS = {
    "1": S.DISPATCHING, "3": S.RIDER_ASSIGNED, "4": S.AT_PICKUP, "5": S.PICKED_UP, "6": S.AT_DROPOFF,
    "10": S.DELIVERED, "-1": S.CANCELLED, "11": S.CANCELLED,
}
EXCEPTION = "20"


def signature(biz: str, app_secret: str, timestamp: str) -> str:
    return hashlib.md5(f"{biz}{app_secret}{timestamp}".encode()).hexdigest().upper()


class UuAdapter(AdapterBase):
    name = "uu"
    required = ("open_id", "app_id", "app_secret")
    default_base_url = "https://api-open.uupt.com/openapi/v3"

    def envelope(self, biz: dict, timestamp: int | None = None) -> bytes:
        biz_s, ts = compact(biz), str(timestamp or int(time.time()))
        return compact({"openId": self.credentials["open_id"], "timestamp": ts, "biz": biz_s,
                        "sign": signature(biz_s, self.credentials["app_secret"], ts)}).encode()

    async def _call(self, path: str, biz: dict) -> dict:
        response = await self._send("POST", f"/{path}", {"Content-Type": "application/json",
                                                          "X-App-Id": self.credentials["app_id"]}, self.envelope(biz))
        data = self._json(response)
        if str(data.get("code")) != "0":
            raise CourierRefused(f"uu {path}: {data.get('code')} {data.get('msg')}")
        return data.get("data") or {}

    def _price(self, request: DeliveryRequest) -> dict:
        pick, drop = to_partner(request.pickup.point, COORDS), to_partner(request.dropoff.point, COORDS)
        return {"originId": request.merchant_order_id, "cityName": request.pickup.city, "sendType": 0,
                "fromAddress": request.pickup.address, "toAddress": request.dropoff.address,
                "fromLng": f"{pick.lon:.6f}", "fromLat": f"{pick.lat:.6f}", "toLng": f"{drop.lon:.6f}", "toLat": f"{drop.lat:.6f}",
                "goodsWeight": max(1, round(request.weight_g / 1000)), "goodsPriceFen": request.goods_value_fen}

    async def quote(self, request: DeliveryRequest) -> Quote:
        data = await self._call("order/orderPrice", self._price(request))
        return Quote(self.name, int(data.get("needPayMoney", data.get("totalMoney", 0)) or 0),
                     distance_m=int(data.get("distance") or 0) or None, quote_token=str(data.get("priceToken") or "") or None)

    async def create(self, request: DeliveryRequest) -> Created:
        token = request.quote_token or (await self.quote(request)).quote_token
        data = await self._call("order/addOrder", {
            "priceToken": token, "originId": request.merchant_order_id, "receiverPhone": request.dropoff.phone,
            "receiver": request.dropoff.name, "note": request.note, "callbackUrl": request.callback_url,
            "onlinePayType": 0, "addFee": request.tip_fen})
        return Created(str(data.get("orderCode") or ""), None)

    async def cancel(self, merchant_order_id: str, partner_order_id: str | None, reason: str) -> Cancelled:
        data = await self._call("order/cancelOrder", {"orderCode": partner_order_id, "originId": merchant_order_id,
                                                      "reason": reason})
        return Cancelled(int(data.get("deductFee") or 0))

    async def query(self, merchant_order_id: str, partner_order_id: str | None) -> StatusReport:
        data = await self._call("order/orderDetail", {"orderCode": partner_order_id or "", "originId": merchant_order_id})
        code = str(data.get("state", ""))
        return StatusReport(STATUS.get(code), str(data.get("orderCode") or partner_order_id or ""), code,
                            rider(data.get("driverName"), data.get("driverMobile"),
                                  from_partner(data.get("driverLng"), data.get("driverLat"), COORDS)))

    async def rider_position(self, merchant_order_id: str, partner_order_id: str | None) -> RiderInfo:
        data = await self._call("order/driverTrack", {"orderCode": partner_order_id or "", "originId": merchant_order_id})
        return rider(data.get("driverName"), data.get("driverMobile"),
                     from_partner(data.get("driverLng"), data.get("driverLat"), COORDS))

    def parse_callback(self, call: CallbackRequest) -> list[CourierEvent]:
        data = parse_json(call.body)
        biz_s, ts = data.get("biz"), str(data.get("timestamp", ""))
        if not isinstance(biz_s, str) or not ts:
            raise malformed("missing biz or timestamp")
        if not same(signature(biz_s, self.credentials["app_secret"], ts), str(data.get("sign", ""))):
            raise CallbackRejected("uu signature mismatch")
        check_fresh(from_unix(ts), call.now, self.max_age_s)
        biz = parse_json(biz_s.encode())
        code = str(biz.get("state", ""))
        occurred = from_unix(biz["changeTime"], ms=True) if biz.get("changeTime") else from_unix(ts)
        exception = code == EXCEPTION
        state = STATUS.get(code)
        return [CourierEvent(
            f"{biz.get('orderCode')}:{code}:{biz.get('changeTime') or ts}", str(biz.get("originId") or "") or None,
            str(biz.get("orderCode") or "") or None, code, state, occurred,
            rider(biz.get("driverName"), biz.get("driverMobile")), exception=exception,
            cancelled_by=CancelledBy.PARTNER if state is S.CANCELLED else None, reason=str(biz.get("stateText") or ""),
            known=exception or code in STATUS,
        )]

    def ack(self) -> Ack:
        return ack_json({"code": 0, "msg": "success"})
