"""Fengniao 蜂鸟 (Ele.me open-anubis v3).

Sources (third-party; research note §2): MQEnergy/delivery-core `core/fn/v3/base.go`,
`routers/fn/v3/fn.go`. Requests are JSON `{app_id, merchant_id, timestamp(ms), version:"1.0",
access_token, business_data:<JSON string>, signature}` with
`signature = hex(SHA-256(app_secret + "k=v&k=v..."))` over the non-empty params sorted by key.
The access token (from `/openapi/token`) is a stored credential. With a `refresh_token`
credential too, the adapter refreshes it through `/openapi/refreshToken` and caches the result
per merchant until shortly before it expires (delivery.couriers.tokens), using the rotated
refresh token next time. Unconfirmed [U] and chosen here: the refresh request is the usual
signed envelope `{grant_type:"refresh_token", app_id, merchant_id, refresh_token, timestamp(ms),
signature}` and its `business_data` answers `{access_token, refresh_token, expire_in(s)}`.
Unconfirmed [U] and chosen here: the v3 callback is signed with the same formula over its own
top-level fields (`app_id, timestamp, business_data`), its `business_data` holds
`{callback_business_type, param:{order_id, partner_order_code, order_status, push_time(ms),
carrier_driver_name, carrier_driver_phone, ...}}`, status codes are v2's (1/20/80/2/3/4/5), and
it is acknowledged `{"code":200,"msg":"success"}`. Money is in fen (`*_cent` fields); coordinates
are sent as Amap GCJ-02 (`position_source=3`).
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
from delivery.couriers.tokens import Token
from delivery.couriers.states import CancelledBy, DeliveryState as S
from geo.coordinates import CoordinateSystem

COORDS = CoordinateSystem.GCJ02
STATUS = {
    "0": S.CREATED, "1": S.DISPATCHING, "20": S.RIDER_ASSIGNED, "80": S.AT_PICKUP, "2": S.PICKED_UP,
    "3": S.DELIVERED, "4": S.CANCELLED,
}
EXCEPTION = "5"


def signature(params: dict[str, object], app_secret: str) -> str:
    joined = "&".join(f"{key}={params[key]}" for key in sorted(params)
                      if key != "signature" and params[key] not in (None, ""))
    return hashlib.sha256(f"{app_secret}{joined}".encode()).hexdigest()


class FengniaoAdapter(AdapterBase):
    name = "fengniao"
    required = ("app_id", "merchant_id", "app_secret", "access_token")
    default_base_url = "https://open-anubis.ele.me/anubis-webapi"

    def envelope(self, business: dict, timestamp_ms: int | None = None, access_token: str | None = None) -> bytes:
        params = {
            "app_id": self.credentials["app_id"], "merchant_id": self.credentials["merchant_id"],
            "timestamp": str(timestamp_ms or int(time.time() * 1000)), "version": "1.0",
            "access_token": access_token or self.credentials["access_token"], "business_data": compact(business),
        }
        params["signature"] = signature(params, self.credentials["app_secret"])
        return compact(params).encode()

    async def access_token(self) -> str:
        """The stored token, or (with a `refresh_token` credential) a refreshed one, cached until near expiry."""
        stored_refresh = self.credentials.get("refresh_token")
        if not stored_refresh:
            return self.credentials["access_token"]

        async def fetch(previous: Token | None) -> Token:
            params = {"grant_type": "refresh_token", "app_id": self.credentials["app_id"],
                      "merchant_id": self.credentials["merchant_id"],
                      "refresh_token": (previous.refresh if previous and previous.refresh else stored_refresh),
                      "timestamp": str(int(time.time() * 1000))}
            params["signature"] = signature(params, self.credentials["app_secret"])
            response = await self._send("POST", "/openapi/refreshToken", {"Content-Type": "application/json"},
                                        compact(params).encode())
            data = self._json(response)
            if str(data.get("code")) != "200":
                raise CourierRefused(f"fengniao refreshToken: {data.get('code')} {data.get('msg')}")
            inner = data.get("business_data") or "{}"
            inner = parse_json(inner.encode()) if isinstance(inner, str) else inner
            if not inner.get("access_token"):
                raise CourierRefused("fengniao refreshToken: no access token")
            return Token(str(inner["access_token"]), self.tokens.clock() + float(inner.get("expire_in") or 86400),
                         str(inner.get("refresh_token") or params["refresh_token"]))

        key = f"fengniao:{self.base_url}:{self.credentials['app_id']}:{self.credentials['merchant_id']}"
        return (await self.tokens.get(key, fetch)).value

    async def _call(self, action: str, business: dict) -> dict:
        response = await self._send("POST", f"/v3/invoke/{action}", {"Content-Type": "application/json"},
                                    self.envelope(business, access_token=await self.access_token()))
        data = self._json(response)
        if str(data.get("code")) != "200":
            raise CourierRefused(f"fengniao {action}: {data.get('code')} {data.get('msg')}")
        inner = data.get("business_data") or "{}"
        return parse_json(inner.encode()) if isinstance(inner, str) else inner

    def _order(self, request: DeliveryRequest) -> dict:
        drop = to_partner(request.dropoff.point, COORDS)
        return {
            "partner_order_code": request.merchant_order_id, "out_shop_code": self.credentials.get("shop_code", ""),
            "position_source": 3, "receiver_address": request.dropoff.address, "receiver_name": request.dropoff.name,
            "receiver_primary_phone": request.dropoff.phone, "receiver_longitude": round(drop.lon, 6),
            "receiver_latitude": round(drop.lat, 6), "goods_total_amount_cent": request.goods_value_fen,
            "goods_actual_amount_cent": request.goods_value_fen, "goods_weight": round(request.weight_g / 1000, 3),
            "goods_count": 1, "goods_item_list": [{"item_name": "order", "item_quantity": 1,
                                                    "item_amount_cent": request.goods_value_fen,
                                                    "item_actual_amount_cent": request.goods_value_fen}],
            "order_type": 1, "order_remark": request.note,
        }

    async def quote(self, request: DeliveryRequest) -> Quote:
        result = await self._call("preCreateOrder", self._order(request))
        goods = (result.get("goods_infos") or [result])[0]
        return Quote(self.name, int(goods.get("actual_delivery_amount_cent") or goods.get("total_delivery_amount_cent") or 0),
                     eta_s=int(goods["predict_delivery_minutes"]) * 60 if goods.get("predict_delivery_minutes") else None,
                     distance_m=int(result.get("distance") or 0) or None,
                     quote_token=str(goods.get("t_index_id") or "") or None)

    async def create(self, request: DeliveryRequest) -> Created:
        body = self._order(request)
        if request.quote_token:
            body["pre_create_order_t_index_id"] = request.quote_token
        result = await self._call("createOrder", body)
        return Created(str(result.get("order_id") or ""), None)

    async def cancel(self, merchant_order_id: str, partner_order_id: str | None, reason: str) -> Cancelled:
        pre = await self._call("preCancelOrder", {"partner_order_code": merchant_order_id, "order_cancel_code": 32})
        cost = int(pre.get("actual_cancel_cost_cent") or 0)
        await self._call("cancelOrder", {"partner_order_code": merchant_order_id, "order_cancel_code": 32,
                                         "order_cancel_role": 2, "order_cancel_other_reason": reason,
                                         "actual_cancel_cost_cent": cost})
        return Cancelled(cost)

    async def query(self, merchant_order_id: str, partner_order_id: str | None) -> StatusReport:
        result = await self._call("getOrderDetail", {"partner_order_code": merchant_order_id})
        code = str(result.get("order_status", ""))
        fee = result.get("order_actual_amount_cent")
        return StatusReport(STATUS.get(code), str(result.get("order_id") or partner_order_id or ""), code,
                            rider(result.get("carrier_driver_name"), result.get("carrier_driver_phone")),
                            int(fee) if fee is not None else None)

    async def rider_position(self, merchant_order_id: str, partner_order_id: str | None) -> RiderInfo:
        result = await self._call("getKnightInfo", {"partner_order_code": merchant_order_id})
        return rider(result.get("carrier_driver_name"), result.get("carrier_driver_phone"),
                     from_partner(result.get("carrier_driver_longitude"), result.get("carrier_driver_latitude"), COORDS))

    async def add_tip(self, merchant_order_id: str, partner_order_id: str | None, tip_fen: int, city: str = "") -> None:
        await self._call("addTip", {"partner_order_code": merchant_order_id, "add_tip_amount_cent": tip_fen,
                                    "third_index_id": f"{merchant_order_id}-{tip_fen}"})

    def parse_callback(self, call: CallbackRequest) -> list[CourierEvent]:
        data = parse_json(call.body)
        params = {key: value for key, value in data.items() if key != "signature"}
        if not same(signature(params, self.credentials["app_secret"]), str(data.get("signature", ""))):
            raise CallbackRejected("fengniao signature mismatch")
        if "timestamp" not in data:
            raise malformed("missing timestamp")
        check_fresh(from_unix(data["timestamp"], ms=True), call.now, self.max_age_s)
        business = data.get("business_data") or "{}"
        business = parse_json(business.encode()) if isinstance(business, str) else business
        param = business.get("param") or {}
        code = str(param.get("order_status", ""))
        occurred = from_unix(param["push_time"], ms=True) if param.get("push_time") else from_unix(data["timestamp"], ms=True)
        exception = code == EXCEPTION
        state = STATUS.get(code)
        return [CourierEvent(
            f"{param.get('order_id')}:{code}:{param.get('push_time') or data['timestamp']}",
            str(param.get("partner_order_code") or "") or None, str(param.get("order_id") or "") or None, code, state,
            occurred, rider(param.get("carrier_driver_name"), param.get("carrier_driver_phone"),
                            from_partner(param.get("carrier_driver_longitude"), param.get("carrier_driver_latitude"), COORDS)),
            exception=exception, cancelled_by=CancelledBy.PARTNER if state is S.CANCELLED else None,
            reason=str(param.get("cancel_reason") or param.get("abnormal_desc") or ""), known=exception or code in STATUS,
        )]

    def ack(self) -> Ack:
        return ack_json({"code": 200, "msg": "success"})
