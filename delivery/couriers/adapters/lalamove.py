"""Lalamove v3 (rest.lalamove.com).

Sources: lalamove/delivery-nodejs-sdk `src/auth.ts`, `src/http/base.ts` [O]: header
`Authorization: hmac {apiKey}:{ts_ms}:{sig}`, `sig = hex HMAC-SHA256(secret,
"{ts}\\r\\n{METHOD}\\r\\n{path}\\r\\n\\r\\n{body}")`, body `{"data": ...}` (empty for GET), plus a
`Market` header. Webhook per laraditz/courier-lalamove `tests/WebhookTest.php` [T]: body
`{apiKey, timestamp, signature, eventId, eventType, data}` with `signature = HMAC-SHA256(secret,
"{timestamp}\\r\\nPOST\\r\\n{webhook path}\\r\\n\\r\\n{JSON(data)}")`. JSON(data) is the compact
re-serialisation of the received `data` object (the third-party reference does the same; the
official deck does not say) [U]. The webhook timestamp is in seconds [U]; webhooks are retried
10x in 24 h and NOT in order (official v3_Webhook_v1.4.pdf): dedupe on `eventId`; the empty
setup ping is answered 200. Money: `priceBreakdown.total` is a decimal string in major units
(converted to minor units x100). Coordinates WGS-84 [U]. Lalamove has no create idempotency
key: our merchant order id travels in `metadata`, and a timed-out create is resolved only by a
later webhook (Lalamove cannot be queried by metadata) -- never re-created automatically.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time

from delivery.couriers.adapters._base import (
    AdapterBase, CourierRefused, check_fresh, compact, from_partner, from_unix, malformed, parse_json, rider, same,
    yuan_to_fen,
)
from delivery.couriers.protocol import (
    Ack, CallbackRejected, CallbackRequest, Cancelled, CourierEvent, Created, DeliveryRequest, Quote, RiderInfo,
    StatusReport,
)
from delivery.couriers.states import CancelledBy, DeliveryState as S
from geo.coordinates import CoordinateSystem

COORDS = CoordinateSystem.WGS84
STATUS = {
    "ASSIGNING_DRIVER": S.DISPATCHING, "ON_GOING": S.RIDER_ASSIGNED, "PICKED_UP": S.PICKED_UP,
    "COMPLETED": S.DELIVERED, "CANCELED": S.CANCELLED, "REJECTED": S.CANCELLED, "EXPIRED": S.EXPIRED,
}
INFO_EVENTS = {"ORDER_AMOUNT_CHANGED", "ORDER_EDITED", "POD_STATUS_CHANGED", "WALLET_BALANCE_CHANGED", "ORDER_REPLACED"}


def request_signature(secret: str, timestamp_ms: str, method: str, path: str, body: str) -> str:
    raw = f"{timestamp_ms}\r\n{method}\r\n{path}\r\n\r\n{body}"
    return hmac.new(secret.encode(), raw.encode(), hashlib.sha256).hexdigest()


def webhook_signature(secret: str, timestamp: str, path: str, data: object) -> str:
    return request_signature(secret, timestamp, "POST", path, compact(data))


class LalamoveAdapter(AdapterBase):
    name = "lalamove"
    required = ("api_key", "api_secret", "market")
    default_base_url = "https://rest.lalamove.com"

    async def _call(self, method: str, path: str, data: dict | None = None) -> dict:
        body = compact({"data": data}) if data is not None else ""
        ts = str(int(time.time() * 1000))
        sig = request_signature(self.credentials["api_secret"], ts, method, path, body)
        headers = {"Authorization": f"hmac {self.credentials['api_key']}:{ts}:{sig}", "Market": self.credentials["market"],
                   "Content-Type": "application/json"}
        response = await self._send(method, path, headers, body.encode() if body else None)
        if response.status == 204:
            return {}
        payload = self._json(response)
        if response.status >= 400:
            raise CourierRefused(f"lalamove {path}: {response.status} {json.dumps(payload.get('errors'))[:200]}")
        return payload.get("data") or {}

    @staticmethod
    def _stop(point, address: str) -> dict:
        return {"coordinates": {"lat": f"{point.lat:.6f}", "lng": f"{point.lon:.6f}"}, "address": address}

    async def quote(self, request: DeliveryRequest) -> Quote:
        data = await self._call("POST", "/v3/quotations", {
            "serviceType": self.credentials.get("service_type", "MOTORCYCLE"), "language": self.credentials.get("language", "en_HK"),
            "stops": [self._stop(request.pickup.point, request.pickup.address),
                      self._stop(request.dropoff.point, request.dropoff.address)],
        })
        stops = data.get("stops") or [{}, {}]
        price = data.get("priceBreakdown") or {}
        distance = data.get("distance") or {}
        token = "|".join([str(data.get("quotationId") or ""), str(stops[0].get("stopId") or ""), str(stops[-1].get("stopId") or "")])
        return Quote(self.name, yuan_to_fen(price.get("total") or 0),
                     distance_m=int(float(distance.get("value") or 0)) or None, quote_token=token)

    async def create(self, request: DeliveryRequest) -> Created:
        token = request.quote_token or (await self.quote(request)).quote_token
        quotation_id, sender_stop, recipient_stop = token.split("|")
        data = await self._call("POST", "/v3/orders", {
            "quotationId": quotation_id,
            "sender": {"stopId": sender_stop, "name": request.pickup.name, "phone": request.pickup.phone},
            "recipients": [{"stopId": recipient_stop, "name": request.dropoff.name, "phone": request.dropoff.phone,
                            "remarks": request.note}],
            "metadata": {"merchantOrderId": request.merchant_order_id},
        })
        price = data.get("priceBreakdown") or {}
        return Created(str(data.get("orderId") or ""), yuan_to_fen(price["total"]) if price.get("total") else None)

    async def cancel(self, merchant_order_id: str, partner_order_id: str | None, reason: str) -> Cancelled:
        await self._call("DELETE", f"/v3/orders/{partner_order_id}")
        return Cancelled(0)

    async def query(self, merchant_order_id: str, partner_order_id: str | None) -> StatusReport:
        if not partner_order_id:
            return StatusReport(None)
        data = await self._call("GET", f"/v3/orders/{partner_order_id}")
        status = str(data.get("status", ""))
        price = data.get("priceBreakdown") or {}
        return StatusReport(STATUS.get(status), partner_order_id, status, rider(),
                            yuan_to_fen(price["total"]) if price.get("total") else None)

    async def rider_position(self, merchant_order_id: str, partner_order_id: str | None) -> RiderInfo:
        order = await self._call("GET", f"/v3/orders/{partner_order_id}")
        driver_id = order.get("driverId")
        if not driver_id:
            return rider()
        data = await self._call("GET", f"/v3/orders/{partner_order_id}/drivers/{driver_id}")
        coords = data.get("coordinates") or {}
        return rider(data.get("name"), data.get("phone"), from_partner(coords.get("lng"), coords.get("lat"), COORDS))

    def parse_callback(self, call: CallbackRequest) -> list[CourierEvent]:
        data = parse_json(call.body) if call.body.strip() else {}
        if not data:
            return []  # the setup ping: answered 200, nothing recorded
        ts, given, inner = str(data.get("timestamp", "")), str(data.get("signature", "")), data.get("data")
        if not same(str(data.get("apiKey", "")), self.credentials["api_key"]) or not ts or inner is None:
            raise CallbackRejected("lalamove apiKey or fields mismatch")
        if not same(webhook_signature(self.credentials["api_secret"], ts, call.path, inner), given):
            raise CallbackRejected("lalamove signature mismatch")
        occurred = from_unix(ts)
        check_fresh(occurred, call.now, self.max_age_s)
        if not data.get("eventId"):
            raise malformed("missing eventId")
        event_type = str(data.get("eventType", ""))
        order = inner.get("order") or {}
        driver = inner.get("driver") or {}
        position = rider(driver.get("name"), driver.get("phone"))
        partner_id = str(order.get("orderId") or "") or None
        merchant_id = (order.get("metadata") or {}).get("merchantOrderId")
        if event_type == "DRIVER_ASSIGNED":
            return [CourierEvent(str(data["eventId"]), merchant_id, partner_id, event_type, S.RIDER_ASSIGNED, occurred, position)]
        if event_type == "ORDER_STATUS_CHANGED":
            status = str(order.get("status", ""))
            state = STATUS.get(status)
            return [CourierEvent(str(data["eventId"]), merchant_id, partner_id, status, state, occurred, position,
                                 cancelled_by=CancelledBy.PARTNER if state is S.CANCELLED else None, known=state is not None)]
        return [CourierEvent(str(data["eventId"]), merchant_id, partner_id, event_type, None, occurred, position,
                             known=event_type in INFO_EVENTS)]

    def ack(self) -> Ack:
        return Ack(200, b"")
