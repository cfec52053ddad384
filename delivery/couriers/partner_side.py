"""The partner's side of each protocol: signed callbacks exactly as each courier sends them.

Used by the conformance tests and the local partner simulator, written from each partner's
documented formula independently of the adapters' verification code paths (the adapters
import nothing from here). `code` is the partner's own status code; for Uber, a trailing "!"
means `courier_imminent`; for Shansong it is "status/subStatus".
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode


@dataclass(frozen=True)
class SignedCall:
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)


def _j(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


@dataclass(frozen=True)
class Rider:
    name: str = "Li Lei"
    phone: str = "13800000000"
    lon: float | None = None  # in the partner's coordinate system
    lat: float | None = None
    rider_id: str = "r1"


def callback(provider: str, creds: dict, path: str, *, merchant_id: str, partner_id: str, code: str, at: datetime,
             event_id: str = "", rider: Rider = Rider(), extra: dict | None = None) -> SignedCall:
    extra = extra or {}
    s, ms = int(at.timestamp()), int(at.timestamp() * 1000)
    if provider == "dada":
        update_time = str(ms if code == "1000" else s)
        body = {"client_id": partner_id, "order_id": merchant_id, "order_status": int(code), "update_time": int(update_time),
                "signature": _md5("".join(sorted([partner_id, merchant_id, update_time]))), "dm_id": rider.rider_id,
                "dm_name": rider.name, "dm_mobile": rider.phone, "cancel_reason": "", "cancel_from": 0, **extra}
        return SignedCall(_j(body).encode())
    if provider == "fengniao":
        param = {"order_id": partner_id, "partner_order_code": merchant_id, "order_status": int(code), "push_time": ms,
                 "carrier_driver_name": rider.name, "carrier_driver_phone": rider.phone, **extra}
        if rider.lon is not None:
            param.update(carrier_driver_longitude=rider.lon, carrier_driver_latitude=rider.lat)
        params = {"app_id": creds["app_id"], "timestamp": str(ms),
                  "business_data": _j({"callback_business_type": "orderStatusNotify", "param": param})}
        joined = "&".join(f"{k}={params[k]}" for k in sorted(params))
        params["signature"] = hashlib.sha256((creds["app_secret"] + joined).encode()).hexdigest()
        return SignedCall(_j(params).encode())
    if provider == "sf":
        body = {"sf_order_id": partner_id, "shop_order_id": merchant_id, "order_status": int(code), "push_time": s,
                "url_index": extra.pop("url_index", "rider_status"), "operator_name": rider.name,
                "operator_phone": rider.phone, **extra}
        if rider.lon is not None:
            body.update(rider_lng=rider.lon, rider_lat=rider.lat)
        raw = _j(body).encode()
        sign = base64.b64encode(_md5(raw.decode() + f"&{creds['dev_id']}&{creds['dev_key']}").encode()).decode()
        return SignedCall(raw, query={"sign": sign})
    if provider == "shansong":
        status, _, sub = code.partition("/")
        courier = {"name": rider.name, "mobile": rider.phone, "id": rider.rider_id, "time": str(ms)}
        if rider.lon is not None:
            courier.update(longitude=str(rider.lon), latitude=str(rider.lat))
        body = {"issOrderNo": partner_id, "orderNo": merchant_id, "status": int(status), "subStatus": int(sub or 1),
                "courier": courier, **extra}
        return SignedCall(_j(body).encode())
    if provider == "uu":
        biz = _j({"orderCode": partner_id, "originId": merchant_id, "state": int(code), "changeTime": ms,
                  "driverName": rider.name, "driverMobile": rider.phone, **extra})
        sign = _md5(biz + creds["app_secret"] + str(s)).upper()
        return SignedCall(_j({"openId": creds["open_id"], "timestamp": str(s), "biz": biz, "sign": sign}).encode())
    if provider == "uber":
        imminent = code.endswith("!")
        data = {"id": partner_id, "external_id": merchant_id, "status": code.rstrip("!"), "courier_imminent": imminent,
                "courier": {"name": rider.name, "phone_number": rider.phone}, **extra}
        if rider.lon is not None:
            data["courier"]["location"] = {"lat": rider.lat, "lng": rider.lon}
        body = {"id": event_id or f"evt_{partner_id}_{code}_{ms}", "kind": "event.delivery_status", "status": code.rstrip("!"),
                "created": at.isoformat(), "delivery_id": partner_id, "live_mode": False, "data": data}
        raw = _j(body).encode()
        return SignedCall(raw, headers={"x-uber-signature": hmac.new(creds["webhook_signing_key"].encode(), raw,
                                                                      hashlib.sha256).hexdigest()})
    if provider == "doordash":
        body = {"external_delivery_id": merchant_id, "event_name": code, "created_at": at.isoformat(),
                "dasher_name": rider.name, "dasher_phone_number": rider.phone, **extra}
        if rider.lon is not None:
            body.update(dasher_location_lat=rider.lat, dasher_location_lng=rider.lon)
        return SignedCall(_j(body).encode(), headers={"authorization": creds["webhook_authorization"]})
    if provider == "lalamove":
        if code == "DRIVER_ASSIGNED":
            event_type, order = code, {"orderId": partner_id, "metadata": {"merchantOrderId": merchant_id}}
        else:
            event_type, order = "ORDER_STATUS_CHANGED", {"orderId": partner_id, "status": code,
                                                         "metadata": {"merchantOrderId": merchant_id}}
        data = {"order": order, "driver": {"name": rider.name, "phone": rider.phone}, **extra}
        raw = f"{s}\r\nPOST\r\n{path}\r\n\r\n{_j(data)}"
        signature = hmac.new(creds["api_secret"].encode(), raw.encode(), hashlib.sha256).hexdigest()
        body = {"apiKey": creds["api_key"], "timestamp": s, "signature": signature,
                "eventId": event_id or f"{partner_id}-{code}-{ms}", "eventType": event_type, "data": data}
        return SignedCall(_j(body).encode())
    if provider == "meituan":
        # Form-encoded (as jiefancis/nest-meituan receives it), every field but `sign` signed with
        # SHA1(secret + k1v1k2v2..., keys sorted, empty values dropped). A code "exception:<code>"
        # is the exception callback (exception_id = event_id or derived); others the status callback.
        if code.startswith("exception:"):
            fields = {"delivery_id": str(extra.pop("delivery_id", "")), "mt_peisong_id": partner_id, "order_id": merchant_id,
                      "exception_id": event_id or f"{partner_id}{ms}", "exception_code": code.split(":", 1)[1],
                      "exception_descr": "顾客电话无法接通", "exception_time": str(s),
                      "courier_name": rider.name, "courier_phone": rider.phone}
        else:
            fields = {"delivery_id": str(extra.pop("delivery_id", "")), "mt_peisong_id": partner_id, "order_id": merchant_id,
                      "status": code, "courier_name": rider.name, "courier_phone": rider.phone,
                      "cancel_reason_id": str(extra.pop("cancel_reason_id", "299" if code == "99" else "")),
                      "cancel_reason": "美团配送其他原因" if code == "99" else ""}
        fields.update({k: str(v) for k, v in extra.items()})
        if creds.get("platform") == "unified":  # business fields in a JSON `message`
            fields = {"developerId": creds["app_key"], "timestamp": str(s), "message": _j(fields)}
        else:
            fields.update(appkey=creds["app_key"], timestamp=str(s))
        text = creds["app_secret"] + "".join(f"{k}{fields[k]}" for k in sorted(fields) if fields[k] != "")
        fields["sign"] = hashlib.sha1(text.encode()).hexdigest()
        return SignedCall(urlencode(fields).encode(), headers={"content-type": "application/x-www-form-urlencoded"})
    raise KeyError(provider)


# Each partner's own code for each step of a delivery (what the simulator sends).
STEP_CODES = {
    "dada": {"assigned": "2", "at_pickup": "100", "picked_up": "3", "delivered": "4", "cancelled": "5", "dispatching": "1"},
    "fengniao": {"assigned": "20", "at_pickup": "80", "picked_up": "2", "delivered": "3", "cancelled": "4", "dispatching": "1"},
    "sf": {"assigned": "10", "at_pickup": "12", "picked_up": "15", "delivered": "17", "cancelled": "2", "dispatching": "22"},
    "shansong": {"assigned": "30/1", "at_pickup": "30/2", "picked_up": "40/1", "delivered": "50/1", "cancelled": "60/1",
                 "dispatching": "20/2"},
    "uu": {"assigned": "3", "at_pickup": "4", "picked_up": "5", "delivered": "10", "cancelled": "-1", "dispatching": "1"},
    "uber": {"assigned": "pickup", "at_pickup": "pickup!", "picked_up": "pickup_complete", "delivered": "delivered",
             "cancelled": "canceled", "dispatching": "pending"},
    "doordash": {"assigned": "DASHER_CONFIRMED", "at_pickup": "DASHER_CONFIRMED_PICKUP_ARRIVAL",
                 "picked_up": "DASHER_PICKED_UP", "delivered": "DASHER_DROPPED_OFF", "cancelled": "DELIVERY_CANCELLED",
                 "dispatching": "DELIVERY_CREATED"},
    "lalamove": {"assigned": "ON_GOING", "at_pickup": None, "picked_up": "PICKED_UP", "delivered": "COMPLETED",
                 "cancelled": "CANCELED", "dispatching": "ASSIGNING_DRIVER"},
    "meituan": {"assigned": "20", "at_pickup": None, "picked_up": "30", "delivered": "50", "cancelled": "99",
                "dispatching": "0"},
}
# Which coordinate system each partner speaks (for the simulated rider's reported position).
COORDINATES = {"dada": "GCJ02", "fengniao": "GCJ02", "sf": "GCJ02", "shansong": "BD09", "uu": "BD09",
               "uber": "WGS84", "doordash": "WGS84", "lalamove": "WGS84", "meituan": "GCJ02"}
