"""Meituan delivery 美团配送 (peisongopen.meituan.com, and the unified Meituan open platform).

Sources: THIRD-PARTY ONLY (no official SDK text was read; research note couriers.md §10).
Request signing per royromny/meituan-peisong `meituan.go`, Msyang123/oc-modules `OpenSignHelper.java`
and two unattributed clients, which agree: `sign = lowercase hex SHA1(secret + Σ key+value)` over
every parameter but `sign`, keys sorted ascending, empty/null values dropped (MQEnergy does not
drop empties; one doc page shows a SHA-256 example [U]: check with the test account).
Endpoints, create fields and statuses per royromny `order_type.go` / `order_notify_type.go`,
MQEnergy/delivery-core `routers/mt/mt.go`, zuoqingbei/drugstore, jiefancis/nest-meituan.

Classic platform (credential `platform` absent or "classic"): form POSTs to
`https://peisongopen.meituan.com/api/<path>` carrying the business fields plus `appkey`,
`timestamp` (Unix seconds), `version=1.0`, `sign`; answers `{code:0, message, data}`.
Unified platform (`platform` = "unified"; easy-4-java/meituan-sdk-extension, auto-generated
gosdk) [U for the exact envelope]: form POSTs to `https://api-open-cater.meituan.com/peisong/...`
carrying `developerId` (our `app_key`), `businessId=19`, `timestamp`, `version=2`,
`charset=UTF-8`, `biz` (compact JSON of the business fields), optional `appAuthToken`, and
`sign` by the same recipe keyed with the signKey (our `app_secret`); answers
`{code:"OP_SUCCESS"|0, msg, data}`; cancel is `/peisong/order/cancel`, query
`/peisong/order/queryStatus`.

Units: coordinates go out as integers = degrees x 10^6 in GCJ-02 (`coordinate_type=0`, the
default) or BD-09 (credential `coordinate_type` = "BD09" -> 1); money in yuan, converted to and
from fen exactly with Decimal; times Unix seconds. Create is idempotent on `delivery_id` (an
int64 we derive deterministically from our merchant order id, so a retry is "the same delivery
activity") + `order_id` (our merchant order id, <= 32 chars; re-sent while in delivery it
returns the same `mt_peisong_id`).

Callbacks: the status callback (`status`, `courier_name`, `courier_phone`, `cancel_reason_id`)
and the exception callback (`exception_id` -- the idempotency key the doc names --,
`exception_code`, `exception_descr`, `exception_time`), both with `appkey`, `timestamp`,
`sign`; form-encoded or JSON (sources disagree: both accepted) or, on the unified platform, a
form with a JSON `message` field. Verified with the same SHA1 recipe over every received field
but `sign`, timestamp window enforced, acked `{"code":0}` (the unified ack is [U]).
Statuses: 0 awaiting dispatch, 20 accepted (repeats with a new rider on reassignment), 30 picked
up, 50 delivered, 99 cancelled (`cancel_reason_id` 1xx = integrator, 2xx = Meituan, 399
other [partial list, U]). There is no "at store" status; callbacks carry no rider position
(polled with `order/rider/location`, integers x 10^6, coordinate system assumed the account's [U]).
The cancel answer has no documented fee field: a cancellation records no deduction [U]. Tips
(`order/addTip`) are not offered: their fields are not in the sources read.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode

from core.clock import utc_now
from delivery.couriers.adapters._base import (
    AdapterBase, CourierRefused, ack_json, check_fresh, compact, fen_to_yuan_str, from_partner, from_unix, malformed,
    rider, same, to_partner, yuan_to_fen,
)
from delivery.couriers.protocol import (
    Ack, CallbackRejected, CallbackRequest, Cancelled, CourierEvent, Created, DeliveryRequest, Quote, RiderInfo,
    StatusReport,
)
from delivery.couriers.states import CancelledBy, DeliveryState as S
from geo.coordinates import CoordinateSystem

# The one code table: Meituan status -> common state. The exception callback is a flag, not a state.
STATUS = {"0": S.DISPATCHING, "20": S.RIDER_ASSIGNED, "30": S.PICKED_UP, "50": S.DELIVERED, "99": S.CANCELLED}
CLASSIC, UNIFIED = "classic", "unified"
BASE_URLS = {CLASSIC: "https://peisongopen.meituan.com/api", UNIFIED: "https://api-open-cater.meituan.com"}
PATHS = {
    CLASSIC: {"quote": "/order/preCreateByShop", "create": "/order/createByShop", "cancel": "/order/delete",
              "query": "/order/status/query", "rider": "/order/rider/location"},
    UNIFIED: {"quote": "/peisong/order/preCreateByShop", "create": "/peisong/order/createByShop",
              "cancel": "/peisong/order/cancel", "query": "/peisong/order/queryStatus",
              "rider": "/peisong/order/rider/location"},
}
COORDINATE_TYPE = {CoordinateSystem.GCJ02: 0, CoordinateSystem.BD09: 1}
MERCHANT_CANCEL_REASON = 199  # 接入方其他原因 (other integrator reason)
SUCCESS_CODES = {"0", "OP_SUCCESS"}
UNIFIED_BUSINESS_ID = "19"


def signature(params: Mapping[str, object], secret: str) -> str:
    """lowercase hex SHA1(secret + key1value1key2value2...), keys sorted, `sign` and empty values left out."""
    joined = "".join(f"{key}{params[key]}" for key in sorted(params)
                     if key != "sign" and params[key] is not None and str(params[key]) != "")
    return hashlib.sha1(f"{secret}{joined}".encode()).hexdigest()


def delivery_number(merchant_order_id: str) -> int:
    """Meituan's `delivery_id` (int64) for our merchant order id: the first 60 bits of its SHA-256,
    the same on every retry, so a repeated create is the same delivery activity."""
    return int(hashlib.sha256(merchant_order_id.encode()).hexdigest()[:15], 16)


def to_micro(degrees: float) -> int:
    """Degrees -> integer degrees x 10^6 (exact decimal rounding of the float's repr)."""
    return int((Decimal(repr(degrees)) * 1_000_000).to_integral_value())


def from_micro(value: object) -> float | None:
    try:
        return float(Decimal(str(value)) / 1_000_000)
    except Exception:  # noqa: BLE001 - absent or unreadable
        return None


def _str(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return compact(value)
    return "" if value is None else str(value)


class MeituanAdapter(AdapterBase):
    name = "meituan"
    required = ("app_key", "app_secret", "shop_id")

    def __init__(self, credentials, transport, base_url=None, clock=utc_now):
        self.platform = str(credentials.get("platform") or CLASSIC).lower()
        if self.platform not in PATHS:
            raise ValueError("meituan platform must be 'classic' or 'unified'")
        self.default_base_url = BASE_URLS[self.platform]
        system = str(credentials.get("coordinate_type") or "GCJ02").upper().replace("-", "")
        self.coords = CoordinateSystem(system)
        if self.coords not in COORDINATE_TYPE:
            raise ValueError("meituan coordinate_type must be GCJ02 or BD09")
        super().__init__(credentials, transport, base_url, clock)

    # --- requests -----------------------------------------------------------------------
    def form(self, business: Mapping[str, object], timestamp: int | None = None) -> dict[str, str]:
        """The signed form for one call on this account's platform."""
        ts = str(timestamp or int(time.time()))
        c = self.credentials
        if self.platform == UNIFIED:
            params = {"developerId": c["app_key"], "businessId": UNIFIED_BUSINESS_ID, "timestamp": ts, "version": "2",
                      "charset": "UTF-8", "biz": compact(dict(business))}
            if c.get("app_auth_token"):
                params["appAuthToken"] = c["app_auth_token"]
        else:
            params = {key: _str(value) for key, value in business.items()}
            params.update(appkey=c["app_key"], timestamp=ts, version="1.0")
        params = {key: value for key, value in params.items() if value != ""}
        params["sign"] = signature(params, c["app_secret"])
        return params

    async def _call(self, op: str, business: Mapping[str, object]) -> dict:
        path = PATHS[self.platform][op]
        response = await self._send("POST", path, {"Content-Type": "application/x-www-form-urlencoded"},
                                    urlencode(self.form(business)).encode())
        data = self._json(response)
        if str(data.get("code")) not in SUCCESS_CODES:
            raise CourierRefused(f"meituan {path}: {data.get('code')} {data.get('message') or data.get('msg')}")
        result = data.get("data")
        if isinstance(result, str):  # the unified platform may return data as a JSON string [U]
            try:
                result = json.loads(result)
            except ValueError:
                result = {}
        return result if isinstance(result, dict) else {}

    def _ids(self, merchant_order_id: str, partner_order_id: str | None) -> dict:
        return {"delivery_id": delivery_number(merchant_order_id), "mt_peisong_id": partner_order_id or ""}

    def _order(self, request: DeliveryRequest) -> dict:
        drop = to_partner(request.dropoff.point, self.coords)
        order = {
            "delivery_id": delivery_number(request.merchant_order_id), "order_id": request.merchant_order_id,
            "shop_id": self.credentials["shop_id"],
            "delivery_service_code": self.credentials.get("delivery_service_code") or "100005",
            "receiver_name": request.dropoff.name, "receiver_address": request.dropoff.address,
            "receiver_phone": request.dropoff.phone,
            "receiver_lng": to_micro(drop.lon), "receiver_lat": to_micro(drop.lat),
            "coordinate_type": COORDINATE_TYPE[self.coords],
            "goods_value": fen_to_yuan_str(request.goods_value_fen),
            "goods_weight": str((Decimal(int(request.weight_g)) / 1000).quantize(Decimal("0.001"))),
            "order_type": 0, "note": request.note,
        }
        return order

    async def quote(self, request: DeliveryRequest) -> Quote:
        data = await self._call("quote", self._order(request))
        if data.get("delivery_fee") in (None, ""):  # never a free quote by omission (it would win CHEAPEST)
            raise CourierRefused("meituan preCreateByShop: no delivery_fee in the answer")
        distance = data.get("delivery_distance")
        return Quote(self.name, yuan_to_fen(data["delivery_fee"]),
                     distance_m=int(float(distance)) if distance not in (None, "") else None)

    async def create(self, request: DeliveryRequest) -> Created:
        # Same delivery_id + order_id on a retry: Meituan answers with the same mt_peisong_id.
        data = await self._call("create", self._order(request))
        fee = data.get("delivery_fee")
        return Created(str(data.get("mt_peisong_id") or ""), yuan_to_fen(fee) if fee not in (None, "") else None)

    async def cancel(self, merchant_order_id: str, partner_order_id: str | None, reason: str) -> Cancelled:
        await self._call("cancel", {**self._ids(merchant_order_id, partner_order_id),
                                    "cancel_reason_id": MERCHANT_CANCEL_REASON, "cancel_reason": reason or "merchant"})
        return Cancelled(0)  # no documented deduction field in the answer [U]

    async def query(self, merchant_order_id: str, partner_order_id: str | None) -> StatusReport:
        data = await self._call("query", self._ids(merchant_order_id, partner_order_id))
        code = _str(data.get("status"))
        fee = data.get("delivery_fee")
        return StatusReport(STATUS.get(code), _str(data.get("mt_peisong_id")) or partner_order_id, code,
                            rider(data.get("courier_name"), data.get("courier_phone")),
                            yuan_to_fen(fee) if fee not in (None, "") else None)

    async def rider_position(self, merchant_order_id: str, partner_order_id: str | None) -> RiderInfo:
        data = await self._call("rider", self._ids(merchant_order_id, partner_order_id))
        lon, lat = from_micro(data.get("lng")), from_micro(data.get("lat"))
        position = from_partner(lon, lat, self.coords) if lon is not None and lat is not None else None
        return rider(data.get("courier_name"), data.get("courier_phone"), position)

    # --- callbacks ----------------------------------------------------------------------
    @staticmethod
    def _fields(call: CallbackRequest) -> dict[str, str]:
        body = call.body.strip()
        if body.startswith(b"{"):
            try:
                value = json.loads(body)
            except (ValueError, RecursionError) as exc:
                raise malformed("body is not JSON") from exc
            if not isinstance(value, dict):
                raise malformed("body is not a JSON object")
            return {str(key): _str(item) for key, item in value.items()}
        try:
            return dict(parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body)))
        except (UnicodeDecodeError, ValueError) as exc:
            raise malformed("body is not a form") from exc

    def parse_callback(self, call: CallbackRequest) -> list[CourierEvent]:
        fields = self._fields(call)
        if not fields.get("sign") or not fields.get("timestamp"):
            raise malformed("missing sign or timestamp")
        if not same(signature(fields, self.credentials["app_secret"]), fields["sign"].lower()):
            raise CallbackRejected("meituan signature mismatch")
        check_fresh(from_unix(fields["timestamp"]), call.now, self.max_age_s)
        if "message" in fields:  # the unified platform: business fields in a JSON `message`
            try:
                inner = json.loads(fields["message"])
            except ValueError as exc:
                raise malformed("message is not JSON") from exc
            if not isinstance(inner, dict):
                raise malformed("message is not a JSON object")
            fields = {**fields, **{str(k): _str(v) for k, v in inner.items()}}
        merchant = fields.get("order_id") or None
        partner = fields.get("mt_peisong_id") or None
        who = rider(fields.get("courier_name"), fields.get("courier_phone"))
        if fields.get("exception_id"):
            at = fields.get("exception_time") or fields["timestamp"]
            return [CourierEvent(
                f"exception:{fields['exception_id']}", merchant, partner, f"exception:{fields.get('exception_code', '')}",
                None, from_unix(at), who, exception=True,
                reason=f"{fields.get('exception_code', '')} {fields.get('exception_descr', '')}".strip()[:255],
            )]
        code = fields.get("status", "")
        state = STATUS.get(code)
        cancelled_by = None
        if state is S.CANCELLED:
            cancelled_by = CancelledBy.MERCHANT if fields.get("cancel_reason_id", "").startswith("1") else CancelledBy.PARTNER
        # A reassignment repeats 20/30 with another rider: the rider is part of the event key.
        key = f"{partner or merchant}:{code}:{fields['timestamp']}:{fields.get('courier_phone', '')}:{fields.get('courier_name', '')}"
        return [CourierEvent(
            key, merchant, partner, code, state, from_unix(fields["timestamp"]), who, cancelled_by=cancelled_by,
            reason=fields.get("cancel_reason", "")[:255], known=state is not None,
        )]

    def ack(self) -> Ack:
        return ack_json({"code": 0})


__all__ = ["MeituanAdapter", "STATUS", "delivery_number", "signature", "to_micro", "from_micro"]
