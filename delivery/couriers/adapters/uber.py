"""Uber Direct (api.uber.com/v1/customers/{customer_id}).

Sources [O]: uber/uber-direct-sdk `src/auth/index.ts` (OAuth2 client_credentials at
login.uber.com, scope `eats.deliveries`), `src/deliveries/index.ts` (delivery_quotes,
deliveries, cancel); developer.uber.com webhooks guide: header `x-uber-signature` = hex
HMAC-SHA256(raw body, the webhook's signing key). Webhooks are retried and NOT ordered; they
carry no signed timestamp, so replays are stopped by the event `id` (dedupe) instead of a
window. Money in the currency's minor unit (cents); coordinates WGS-84 [U, presumed].
Idempotent create: `external_id` is our merchant order id and `idempotency_key` the same
value. Uber cannot be queried by external id: after a create timeout with no Uber id the
delivery stays unconfirmed until its first webhook or a staff check.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlencode

from delivery.couriers.adapters._base import (
    AdapterBase, CourierRefused, compact, from_iso, from_partner, malformed, parse_json, rider, same,
)
from delivery.couriers.tokens import Token
from delivery.couriers.protocol import (
    Ack, CallbackRejected, CallbackRequest, Cancelled, CourierEvent, Created, DeliveryRequest, Quote, RiderInfo,
    StatusReport,
)
from delivery.couriers.states import CancelledBy, DeliveryState as S
from geo.coordinates import CoordinateSystem

COORDS = CoordinateSystem.WGS84
TOKEN_URL = "https://login.uber.com/oauth/v2/token"


def map_status(status: str, imminent: bool) -> S | None:
    if status == "pickup":
        return S.AT_PICKUP if imminent else S.RIDER_ASSIGNED
    if status == "dropoff":
        return S.AT_DROPOFF if imminent else S.PICKED_UP
    return {"pending": S.DISPATCHING, "pickup_complete": S.PICKED_UP, "delivered": S.DELIVERED,
            "canceled": S.CANCELLED, "returned": S.RETURNED}.get(status)


def signature(body: bytes, signing_key: str) -> str:
    return hmac.new(signing_key.encode(), body, hashlib.sha256).hexdigest()


class UberAdapter(AdapterBase):
    name = "uber"
    required = ("customer_id", "client_id", "client_secret", "webhook_signing_key")
    default_base_url = "https://api.uber.com"
    async def _bearer(self) -> str:
        """The OAuth client-credentials token, cached per client id until shortly before expiry."""
        token_url = self.credentials.get("token_url") or TOKEN_URL

        async def fetch(_previous: Token | None) -> Token:
            form = urlencode({"client_id": self.credentials["client_id"], "client_secret": self.credentials["client_secret"],
                              "grant_type": "client_credentials", "scope": "eats.deliveries"}).encode()
            response = await self.transport.send("POST", token_url, {"Content-Type": "application/x-www-form-urlencoded"}, form)
            data = self._json(response)
            if "access_token" not in data:
                raise CourierRefused("uber: no access token")
            return Token(data["access_token"], self.tokens.clock() + float(data.get("expires_in") or 3600))

        return (await self.tokens.get(f"uber:{token_url}:{self.credentials['client_id']}", fetch)).value

    async def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {await self._bearer()}", "Content-Type": "application/json"}
        response = await self._send(method, f"/v1/customers/{self.credentials['customer_id']}{path}", headers,
                                    compact(body).encode() if body is not None else None)
        data = self._json(response)
        if response.status >= 400:
            raise CourierRefused(f"uber {path}: {response.status} {data.get('code')} {data.get('message')}")
        return data

    def _stops(self, request: DeliveryRequest) -> dict:
        p, d = request.pickup, request.dropoff
        return {
            "pickup_address": json.dumps({"street_address": [p.address], "city": p.city}), "pickup_name": p.name,
            "pickup_phone_number": p.phone, "pickup_latitude": p.point.lat, "pickup_longitude": p.point.lon,
            "dropoff_address": json.dumps({"street_address": [d.address], "city": d.city}), "dropoff_name": d.name,
            "dropoff_phone_number": d.phone, "dropoff_latitude": d.point.lat, "dropoff_longitude": d.point.lon,
        }

    async def quote(self, request: DeliveryRequest) -> Quote:
        data = await self._call("POST", "/delivery_quotes", {**self._stops(request), "external_store_id": request.pickup.name})
        return Quote(self.name, int(data.get("fee") or 0), eta_s=int(data["duration"]) * 60 if data.get("duration") else None,
                     quote_token=data.get("id"), expires_at=from_iso(data.get("expires")))

    async def create(self, request: DeliveryRequest) -> Created:
        body = {**self._stops(request), "external_id": request.merchant_order_id,
                "idempotency_key": request.merchant_order_id, "tip": request.tip_fen,
                "manifest_items": [{"name": "order", "quantity": 1, "price": request.goods_value_fen}],
                "manifest_total_value": request.goods_value_fen}
        if request.quote_token:
            body["quote_id"] = request.quote_token
        data = await self._call("POST", "/deliveries", body)
        return Created(str(data.get("id") or ""), int(data["fee"]) if data.get("fee") is not None else None)

    async def cancel(self, merchant_order_id: str, partner_order_id: str | None, reason: str) -> Cancelled:
        await self._call("POST", f"/deliveries/{partner_order_id}/cancel", {})
        return Cancelled(0)  # Uber bills a cancellation after pickup on the invoice, not in the response

    async def query(self, merchant_order_id: str, partner_order_id: str | None) -> StatusReport:
        if not partner_order_id:
            return StatusReport(None)
        data = await self._call("GET", f"/deliveries/{partner_order_id}")
        courier = data.get("courier") or {}
        location = courier.get("location") or {}
        status = str(data.get("status", ""))
        return StatusReport(map_status(status, bool(data.get("courier_imminent"))), partner_order_id, status,
                            rider(courier.get("name"), courier.get("phone_number"),
                                  from_partner(location.get("lng"), location.get("lat"), COORDS)),
                            int(data["fee"]) if data.get("fee") is not None else None)

    async def rider_position(self, merchant_order_id: str, partner_order_id: str | None) -> RiderInfo:
        return (await self.query(merchant_order_id, partner_order_id)).rider

    def parse_callback(self, call: CallbackRequest) -> list[CourierEvent]:
        given = call.headers.get("x-uber-signature") or call.headers.get("x-postmates-signature")
        if not same(signature(call.body, self.credentials["webhook_signing_key"]), given):
            raise CallbackRejected("uber signature mismatch")
        data = parse_json(call.body)
        if not data.get("id"):
            raise malformed("missing id")
        inner = data.get("data") or {}
        kind = str(data.get("kind", ""))
        status = str(data.get("status") or inner.get("status") or "")
        courier = inner.get("courier") or {}
        location = courier.get("location") or {}
        position = rider(courier.get("name"), courier.get("phone_number"),
                         from_partner(location.get("lng"), location.get("lat"), COORDS))
        occurred = from_iso(data.get("created") or inner.get("updated"))
        if kind == "event.courier_update":
            return [CourierEvent(str(data["id"]), inner.get("external_id"), data.get("delivery_id"), kind, None, occurred,
                                 position)]
        state = map_status(status, bool(inner.get("courier_imminent")))
        return [CourierEvent(
            str(data["id"]), inner.get("external_id"), data.get("delivery_id") or inner.get("id"), status, state, occurred,
            position, cancelled_by=CancelledBy.PARTNER if state is S.CANCELLED else None,
            known=state is not None,
        )]

    def ack(self) -> Ack:
        return Ack(200, b"")
