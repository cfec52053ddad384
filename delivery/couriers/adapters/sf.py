"""SF same-city 顺丰同城 (openic.sf-express.com).

Sources (third-party, matching each other; research note §3): signing per yangchen5710/sfopenic
`src/Base.php` and MQEnergy/delivery-core `core/sf/base.go`: `dev_id` and `push_time` (unix s)
go into the JSON body, `sign = base64(md5_hex(body + "&" + dev_id + "&" + dev_key))` over the
exact bytes sent, passed as `?sign=`. Callbacks are verified the same way over the raw bytes
and answered `{"error_code":0,"error_msg":"success"}`.
Coordinates: GCJ-02, sent with `lbs_type=2` (the documented default).
Money: SF's openic fields (`total_price`, `deduction_fee`, `gratuity_fee`) are in fen per the
openic field tables as quoted by sfopenic's README; the research note's checklist says yuan.
We follow the field tables (fen) -- [U], confirm with the SF sandbox.
Status 22 (rider recall) is a reassignment: back to DISPATCHING, only before pickup.
"""
from __future__ import annotations

import base64
import hashlib
import time
from urllib.parse import quote as urlquote

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

COORDS = CoordinateSystem.GCJ02
STATUS = {
    "1": S.DISPATCHING, "10": S.RIDER_ASSIGNED, "12": S.AT_PICKUP, "15": S.PICKED_UP, "17": S.DELIVERED,
    "2": S.CANCELLED, "22": S.DISPATCHING, "28": S.CANCELLED,
}


def signature(body: bytes, dev_id: str, dev_key: str) -> str:
    digest = hashlib.md5(body + f"&{dev_id}&{dev_key}".encode()).hexdigest()
    return base64.b64encode(digest.encode()).decode()


class SfAdapter(AdapterBase):
    name = "sf"
    required = ("dev_id", "dev_key", "shop_id")
    default_base_url = "https://openic.sf-express.com"

    async def _call(self, path: str, body: dict) -> dict:
        payload = {**body, "dev_id": int(self.credentials["dev_id"]), "push_time": int(time.time())}
        raw = compact(payload).encode()
        sign = signature(raw, str(self.credentials["dev_id"]), self.credentials["dev_key"])
        response = await self._send("POST", f"/open/api/external/{path}?sign={urlquote(sign)}",
                                    {"Content-Type": "application/json"}, raw)
        data = self._json(response)
        if data.get("error_code") not in (0, "0"):
            raise CourierRefused(f"sf {path}: {data.get('error_code')} {data.get('error_msg')}")
        return data.get("result") or {}

    def _order(self, request: DeliveryRequest) -> dict:
        drop = to_partner(request.dropoff.point, COORDS)
        return {
            "shop_id": self.credentials["shop_id"], "shop_order_id": request.merchant_order_id, "order_source": "qiandian",
            "lbs_type": 2, "pay_type": 1, "order_time": int(time.time()), "is_appoint": 0, "is_insured": 0,
            "version": 19, "remark": request.note, "gratuity_fee": request.tip_fen,
            "receive": {"user_name": request.dropoff.name, "user_phone": request.dropoff.phone,
                        "user_address": request.dropoff.address, "user_lng": str(round(drop.lon, 6)),
                        "user_lat": str(round(drop.lat, 6))},
            "order_detail": {"total_price": request.goods_value_fen, "product_type": 1, "weight_gram": request.weight_g,
                             "product_num": 1, "product_type_num": 1,
                             "product_detail": [{"product_name": "order", "product_num": 1}]},
        }

    async def quote(self, request: DeliveryRequest) -> Quote:
        order = self._order(request)
        body = {"shop_id": order["shop_id"], "user_lng": order["receive"]["user_lng"], "user_lat": order["receive"]["user_lat"],
                "user_address": request.dropoff.address, "weight": request.weight_g, "product_type": 1, "lbs_type": 2,
                "is_appoint": 0, "pay_type": 1}
        result = await self._call("precreateorder", body)
        expect = result.get("expect_time")
        return Quote(self.name, int(result.get("total_price") or 0), distance_m=int(result.get("delivery_distance_meter") or 0),
                     eta_s=int(expect) - int(time.time()) if expect else None)

    async def create(self, request: DeliveryRequest) -> Created:
        result = await self._call("createorder", self._order(request))
        price = result.get("total_price")
        return Created(str(result.get("sf_order_id") or ""), int(price) if price is not None else None)

    async def cancel(self, merchant_order_id: str, partner_order_id: str | None, reason: str) -> Cancelled:
        body = ({"order_id": partner_order_id} if partner_order_id else {"order_id": merchant_order_id, "order_type": 2})
        result = await self._call("cancelorder", {**body, "cancel_reason": reason})
        detail = result.get("deduction_detail") or {}
        return Cancelled(int(detail.get("deduction_fee") or result.get("deduction_fee") or 0))

    async def query(self, merchant_order_id: str, partner_order_id: str | None) -> StatusReport:
        result = await self._call("getorderstatus", {"order_id": merchant_order_id, "order_type": 2})
        code = str(result.get("order_status", ""))
        return StatusReport(STATUS.get(code), str(result.get("sf_order_id") or partner_order_id or ""), code,
                            rider(result.get("rider_name"), result.get("rider_phone"),
                                  from_partner(result.get("rider_lng"), result.get("rider_lat"), COORDS)))

    async def rider_position(self, merchant_order_id: str, partner_order_id: str | None) -> RiderInfo:
        result = await self._call("riderlatestposition", {"order_id": merchant_order_id, "order_type": 2})
        return rider(result.get("rider_name"), result.get("rider_phone"),
                     from_partner(result.get("rider_lng"), result.get("rider_lat"), COORDS))

    async def add_tip(self, merchant_order_id: str, partner_order_id: str | None, tip_fen: int, city: str = "") -> None:
        await self._call("addordergratuityfee", {"order_id": merchant_order_id, "order_type": 2, "gratuity_fee": tip_fen})

    def parse_callback(self, call: CallbackRequest) -> list[CourierEvent]:
        expected = signature(call.body, str(self.credentials["dev_id"]), self.credentials["dev_key"])
        if not same(expected, call.query.get("sign", "")):
            raise CallbackRejected("sf signature mismatch")
        data = parse_json(call.body)
        if "push_time" not in data or not (data.get("sf_order_id") or data.get("shop_order_id")):
            raise malformed("missing push_time or order ids")
        occurred = from_unix(data["push_time"])
        check_fresh(occurred, call.now, self.max_age_s)
        url_index = str(data.get("url_index") or "")
        exception = url_index == "rider_exception"
        code = "" if exception and "order_status" not in data else str(data.get("order_status", ""))
        state = STATUS.get(code) if code else None
        # SF pushes its own cancellations (ours come back from cancelorder, recorded there).
        cancelled_by = CancelledBy.PARTNER if state is S.CANCELLED else None
        return [CourierEvent(
            f"{data.get('sf_order_id')}:{url_index}:{code}:{data['push_time']}", str(data.get("shop_order_id") or "") or None,
            str(data.get("sf_order_id") or "") or None, code or f"exception:{data.get('ex_id', '')}", state, occurred,
            rider(data.get("operator_name"), data.get("operator_phone"),
                  from_partner(data.get("rider_lng"), data.get("rider_lat"), COORDS)),
            exception=exception, cancelled_by=cancelled_by,
            reason=str(data.get("cancel_reason") or data.get("ex_content") or ""), known=exception or code in STATUS,
        )]

    def ack(self) -> Ack:
        return ack_json({"error_code": 0, "error_msg": "success"})
