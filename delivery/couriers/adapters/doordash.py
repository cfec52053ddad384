"""DoorDash Drive (openapi.doordash.com/drive/v2).

Sources: JWT recipe per DoorDash DevRel samples (JoshAtDoorDash/DoorDashAPI-Python-Sample,
pointing at developer.doordash.com .../JWTs): header `{alg:HS256, typ:JWT, dd-ver:DD-JWT-V1}`,
claims `aud:"doordash", iss:developer_id, kid:key_id, iat, exp` (5 min here), HMAC key =
base64url-decoded signing secret. Endpoints per the DoorDash OpenAPI as quoted by
api-evangelist/doordash [T]. Webhooks carry NO HMAC: the endpoint is protected by the
`Authorization` value configured in the portal (compared in constant time) plus our per-tenant
URL token; up to 3 attempts, so the reconciliation job covers losses. Event name in
`event_name` or `event_type` (both seen). Money in cents; coordinates WGS-84.
Idempotent create: `external_delivery_id` = our merchant order id (409 on conflicting reuse),
and status is queryable by it, so a create timeout is always resolved by a query.
"""
from __future__ import annotations

import base64
import time

import jwt

from delivery.couriers.adapters._base import (
    AdapterBase, CourierRefused, compact, from_iso, from_partner, malformed, parse_json, rider, same,
)
from delivery.couriers.protocol import (
    Ack, CallbackRejected, CallbackRequest, Cancelled, CourierEvent, Created, DeliveryRequest, Quote, RiderInfo,
    StatusReport,
)
from delivery.couriers.states import CancelledBy, DeliveryState as S
from geo.coordinates import CoordinateSystem

COORDS = CoordinateSystem.WGS84
EVENTS = {
    "DELIVERY_CREATED": S.DISPATCHING, "DASHER_CONFIRMED": S.RIDER_ASSIGNED,
    "DASHER_CONFIRMED_PICKUP_ARRIVAL": S.AT_PICKUP, "DASHER_PICKED_UP": S.PICKED_UP,
    "DASHER_CONFIRMED_DROPOFF_ARRIVAL": S.AT_DROPOFF, "DASHER_DROPPED_OFF": S.DELIVERED,
    "DELIVERY_CANCELLED": S.CANCELLED, "DELIVERY_RETURN_INITIALIZED": S.RETURNING,
    "DASHER_CONFIRMED_RETURN_ARRIVAL": S.RETURNING, "DELIVERY_RETURNED": S.RETURNED,
}
INFO_EVENTS = {"DELIVERY_BATCHED", "DASHER_ENROUTE_TO_PICKUP", "DASHER_ENROUTE_TO_DROPOFF"}
STATUS = {
    "created": S.DISPATCHING, "confirmed": S.RIDER_ASSIGNED, "enroute_to_pickup": S.RIDER_ASSIGNED,
    "arrived_at_pickup": S.AT_PICKUP, "picked_up": S.PICKED_UP, "enroute_to_dropoff": S.PICKED_UP,
    "arrived_at_dropoff": S.AT_DROPOFF, "delivered": S.DELIVERED, "cancelled": S.CANCELLED,
    "enroute_to_return": S.RETURNING, "returned": S.RETURNED,
}


def _b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def make_jwt(developer_id: str, key_id: str, signing_secret: str, now: int | None = None) -> str:
    iat = int(now if now is not None else time.time())
    return jwt.encode({"aud": "doordash", "iss": developer_id, "kid": key_id, "iat": iat, "exp": iat + 300},
                      _b64url_decode(signing_secret), algorithm="HS256", headers={"dd-ver": "DD-JWT-V1"})


class DoorDashAdapter(AdapterBase):
    name = "doordash"
    weak_callback_auth = True  # the URL token is the only secret: terminal states are re-queried
    required = ("developer_id", "key_id", "signing_secret", "webhook_authorization")
    default_base_url = "https://openapi.doordash.com"

    async def _call(self, method: str, path: str, body: dict | None = None, *, missing_ok: bool = False) -> dict | None:
        token = make_jwt(self.credentials["developer_id"], self.credentials["key_id"], self.credentials["signing_secret"])
        response = await self._send(method, f"/drive/v2/{path}", {"Authorization": f"Bearer {token}",
                                                                 "Content-Type": "application/json"},
                                    compact(body).encode() if body is not None else None)
        if missing_ok and response.status == 404:
            return None
        data = self._json(response)
        if response.status >= 400:
            raise CourierRefused(f"doordash {path}: {response.status} {data.get('code')} {data.get('message')}")
        return data

    def _body(self, request: DeliveryRequest) -> dict:
        p, d = request.pickup, request.dropoff
        return {
            "external_delivery_id": request.merchant_order_id, "pickup_address": p.address, "pickup_business_name": p.name,
            "pickup_phone_number": p.phone, "dropoff_address": d.address, "dropoff_contact_given_name": d.name,
            "dropoff_phone_number": d.phone, "dropoff_location": {"lat": d.point.lat, "lng": d.point.lon},
            "order_value": request.goods_value_fen, "tip": request.tip_fen, "currency": request.currency,
            "dropoff_instructions": request.note,
        }

    async def quote(self, request: DeliveryRequest) -> Quote:
        data = await self._call("POST", "quotes", self._body(request))
        return Quote(self.name, int(data.get("fee") or 0), quote_token=request.merchant_order_id,
                     eta_s=int(data["estimated_pickup_time_seconds"]) if data.get("estimated_pickup_time_seconds") else None)

    async def create(self, request: DeliveryRequest) -> Created:
        if request.quote_token:
            data = await self._call("POST", f"quotes/{request.quote_token}/accept", {"tip": request.tip_fen})
        else:
            data = await self._call("POST", "deliveries", self._body(request))
        return Created(str(data.get("external_delivery_id") or request.merchant_order_id),
                       int(data["fee"]) if data.get("fee") is not None else None)

    async def cancel(self, merchant_order_id: str, partner_order_id: str | None, reason: str) -> Cancelled:
        data = await self._call("PUT", f"deliveries/{merchant_order_id}/cancel", {})
        return Cancelled(int((data or {}).get("cancellation_fee") or 0))

    async def query(self, merchant_order_id: str, partner_order_id: str | None) -> StatusReport:
        data = await self._call("GET", f"deliveries/{merchant_order_id}", missing_ok=True)
        if data is None:
            return StatusReport(None)
        status = str(data.get("delivery_status", ""))
        location = data.get("dasher_location") or {}
        return StatusReport(STATUS.get(status), merchant_order_id, status,
                            rider(data.get("dasher_name"), data.get("dasher_dropoff_phone_number"),
                                  from_partner(location.get("lng"), location.get("lat"), COORDS)),
                            int(data["fee"]) if data.get("fee") is not None else None)

    async def rider_position(self, merchant_order_id: str, partner_order_id: str | None) -> RiderInfo:
        return (await self.query(merchant_order_id, partner_order_id)).rider

    def parse_callback(self, call: CallbackRequest) -> list[CourierEvent]:
        if not same(self.credentials["webhook_authorization"], call.headers.get("authorization")):
            raise CallbackRejected("doordash authorization mismatch")
        data = parse_json(call.body)
        name = str(data.get("event_name") or data.get("event_type") or "")
        ext = data.get("external_delivery_id")
        if not ext or not name:
            raise malformed("missing external_delivery_id or event name")
        created = data.get("created_at") or data.get("updated_at") or ""
        state = EVENTS.get(name)
        return [CourierEvent(
            f"{ext}:{name}:{created}", str(ext), str(ext), name, state, from_iso(created),
            rider(data.get("dasher_name"), data.get("dasher_phone_number"),
                  from_partner(data.get("dasher_location_lng"), data.get("dasher_location_lat"), COORDS)),
            cancelled_by=CancelledBy.PARTNER if state is S.CANCELLED else None,
            reason=str(data.get("cancellation_reason") or ""), known=state is not None or name in INFO_EVENTS,
        )]

    def ack(self) -> Ack:
        return Ack(200, b"")
