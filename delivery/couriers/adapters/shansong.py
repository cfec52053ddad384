"""Shansong 闪送 (open.ishansong.com, merchants API v5).

Sources: requests per the official shansongtech/iss-open-cli `api-reference.md` [O]: POST
form-urlencoded `clientId, shopId, timestamp, data (JSON string), sign` with
`sign = UPPER(MD5(secret + "clientId"+id + "data"+data + "shopId"+shop + "timestamp"+ts))`
(`data` omitted when empty); responses `{status:200, msg, data}`. The timestamp unit is
milliseconds per the third-party CityService driver (the official doc is silent) [U].
Callbacks per liangal/sansong [T]: they carry NO signature [U], so they are authenticated only
by the per-tenant secret token in the webhook URL; a terminal state from a callback is
confirmed by the reconciliation job's authenticated status query. Acked
`{"status":200,"msg":"","data":""}`. Money in fen; coordinates BD-09 both ways.
"""
from __future__ import annotations

import hashlib
import time
from urllib.parse import urlencode

from delivery.couriers.adapters._base import (
    AdapterBase, CourierRefused, ack_json, compact, from_partner, from_unix, malformed, parse_json, rider, to_partner,
)
from delivery.couriers.protocol import (
    Ack, CallbackRequest, Cancelled, CourierEvent, Created, DeliveryRequest, Quote, RiderInfo, StatusReport,
)
from delivery.couriers.states import CancelledBy, DeliveryState as S
from geo.coordinates import CoordinateSystem

COORDS = CoordinateSystem.BD09
# (status, subStatus) -> state; a status alone covers every sub-status not listed.
STATUS = {
    ("20", "2"): S.DISPATCHING, "20": S.DISPATCHING, ("30", "2"): S.AT_PICKUP, "30": S.RIDER_ASSIGNED,
    ("40", "3"): S.RETURNING, "40": S.PICKED_UP, "50": S.DELIVERED, "60": S.CANCELLED,
}
EXCEPTIONS = {("40", "2"), ("40", "4")}
ABORT_TYPE = {"1": CancelledBy.CUSTOMER, "3": CancelledBy.RIDER, "10": CancelledBy.PARTNER}


def signature(secret: str, client_id: str, shop_id: str, timestamp: str, data: str) -> str:
    text = f"{secret}clientId{client_id}" + (f"data{data}" if data else "") + f"shopId{shop_id}timestamp{timestamp}"
    return hashlib.md5(text.encode()).hexdigest().upper()


def map_status(status: str, sub: str) -> S | None:
    return STATUS.get((status, sub)) or STATUS.get(status)


class ShansongAdapter(AdapterBase):
    name = "shansong"
    weak_callback_auth = True  # the URL token is the only secret: terminal states are re-queried
    required = ("client_id", "shop_id", "app_secret")
    default_base_url = "https://open.ishansong.com"

    def form(self, data: dict | None, timestamp_ms: int | None = None) -> bytes:
        ts = str(timestamp_ms or int(time.time() * 1000))
        data_s = compact(data) if data else ""
        fields = {"clientId": self.credentials["client_id"], "shopId": self.credentials["shop_id"], "timestamp": ts}
        if data_s:
            fields["data"] = data_s
        fields["sign"] = signature(self.credentials["app_secret"], fields["clientId"], fields["shopId"], ts, data_s)
        return urlencode(fields).encode()

    async def _call(self, action: str, data: dict | None) -> dict:
        response = await self._send("POST", f"/openapi/merchants/v5/{action}",
                                    {"Content-Type": "application/x-www-form-urlencoded"}, self.form(data))
        body = self._json(response)
        if str(body.get("status")) != "200":
            raise CourierRefused(f"shansong {action}: {body.get('status')} {body.get('msg')}")
        return body.get("data") or {}

    def _calculate(self, request: DeliveryRequest) -> dict:
        pick, drop = to_partner(request.pickup.point, COORDS), to_partner(request.dropoff.point, COORDS)
        return {
            "cityName": request.pickup.city, "appointType": 0,
            "sender": {"fromAddress": request.pickup.address, "fromSenderName": request.pickup.name,
                       "fromMobile": request.pickup.phone, "fromLatitude": f"{pick.lat:.6f}", "fromLongitude": f"{pick.lon:.6f}"},
            "receiverList": [{"orderNo": request.merchant_order_id, "toAddress": request.dropoff.address,
                              "toLatitude": f"{drop.lat:.6f}", "toLongitude": f"{drop.lon:.6f}",
                              "toReceiverName": request.dropoff.name, "toMobile": request.dropoff.phone,
                              "goodType": 6, "weight": max(1, round(request.weight_g / 1000)), "remarks": request.note}],
        }

    async def quote(self, request: DeliveryRequest) -> Quote:
        data = await self._call("orderCalculate", self._calculate(request))
        fee = data.get("totalFeeAfterSave", data.get("totalAmount", 0))
        return Quote(self.name, int(fee or 0), distance_m=int(data.get("totalDistance") or 0) or None,
                     quote_token=str(data.get("orderNumber") or "") or None)

    async def create(self, request: DeliveryRequest) -> Created:
        # Shansong places a calculated order: orderNo (ours) rides in the calculation.
        token = request.quote_token or (await self.quote(request)).quote_token
        data = await self._call("orderPlace", {"issOrderNo": token})
        fee = data.get("totalFeeAfterSave")
        return Created(str(data.get("orderNumber") or token), int(fee) if fee is not None else None)

    async def cancel(self, merchant_order_id: str, partner_order_id: str | None, reason: str) -> Cancelled:
        data = await self._call("abortOrder", {"issOrderNo": partner_order_id})
        return Cancelled(int(data.get("deductAmount") or 0))

    async def query(self, merchant_order_id: str, partner_order_id: str | None) -> StatusReport:
        data = await self._call("orderInfo", {"issOrderNo": partner_order_id or "", "thirdOrderNo": merchant_order_id})
        status, sub = str(data.get("status", "")), str(data.get("subStatus", ""))
        courier = data.get("courier") or {}
        return StatusReport(map_status(status, sub), str(data.get("orderNo") or partner_order_id or ""), f"{status}/{sub}",
                            rider(courier.get("name"), courier.get("mobile"),
                                  from_partner(courier.get("longitude"), courier.get("latitude"), COORDS)))

    async def rider_position(self, merchant_order_id: str, partner_order_id: str | None) -> RiderInfo:
        return (await self.query(merchant_order_id, partner_order_id)).rider

    def parse_callback(self, call: CallbackRequest) -> list[CourierEvent]:
        data = parse_json(call.body)
        if not data.get("issOrderNo") or "status" not in data:
            raise malformed("missing issOrderNo or status")
        status, sub = str(data["status"]), str(data.get("subStatus", ""))
        courier = data.get("courier") or {}
        occurred = from_unix(courier["time"], ms=True) if str(courier.get("time") or "").isdigit() else None
        state = map_status(status, sub)
        exception = (status, sub) in EXCEPTIONS
        deduct = data.get("deductAmount")
        return [CourierEvent(
            f"{data['issOrderNo']}:{status}:{sub}:{courier.get('id') or ''}:{courier.get('time') or ''}",
            str(data.get("orderNo") or "") or None, str(data["issOrderNo"]), f"{status}/{sub}",
            None if exception else state, occurred,
            rider(courier.get("name"), courier.get("mobile"), from_partner(courier.get("longitude"), courier.get("latitude"), COORDS)),
            exception=exception, cancelled_by=ABORT_TYPE.get(str(data.get("abortType"))) if state is S.CANCELLED else None,
            reason=str(data.get("abortReason") or data.get("subStatusDesc") or ""),
            deduct_fen=int(deduct) if deduct not in (None, "") else None, known=exception or state is not None,
        )]

    def ack(self) -> Ack:
        return ack_json({"status": 200, "msg": "", "data": ""})
