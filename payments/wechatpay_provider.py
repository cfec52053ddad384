"""The WeChat Pay API v3 provider: JSAPI / mini-program and Native ordering, query, close,
refund (out_refund_no) and the payment and refund callbacks, per brand merchant account.

Every request is signed (payments.wechatpay.authorization) and every answer's signature is
checked with the brand's WeChat Pay public key before it is believed; an answer that does
not verify is treated like a timeout (ProviderUnavailable: query before retrying).
"""
from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import httpx

from payments.errors import CallbackMalformed, CallbackSignatureInvalid
from payments.merchants import MerchantStore
from payments.provider import CallbackEvent, PaymentIntent
from payments.remote import MerchantNotConfigured, check_merchant_url, ProviderRefused, ProviderUnavailable, RefundState, TradeState
from payments.wechatpay import (
    TOLERANCE_S, WeChatMerchant, WeChatSignatureError, authorization, decrypt_resource, jsapi_pay_sign, verify_signed,
)

CHINA = timezone(timedelta(hours=8))
CHANNELS = ("JSAPI", "NATIVE")  # JSAPI also serves mini-programs (with the mini-program's appid)
_TRADE_STATES = {"NOTPAY": "PENDING", "USERPAYING": "PENDING", "SUCCESS": "SUCCEEDED", "REFUND": "SUCCEEDED",
                 "CLOSED": "CLOSED", "REVOKED": "CLOSED", "PAYERROR": "CLOSED"}
_REFUND_STATES = {"SUCCESS": "SUCCEEDED", "PROCESSING": "PENDING", "CLOSED": "FAILED", "ABNORMAL": "FAILED"}


class WeChatPayProvider:
    name = "WECHATPAY"
    remote = True
    ACK_OK = (200, "application/json", json.dumps({"code": "SUCCESS", "message": "成功"}, ensure_ascii=False))
    ACK_FAIL = "application/json", json.dumps({"code": "FAIL", "message": "失败"}, ensure_ascii=False)

    def __init__(self, merchants: MerchantStore, *, timeout_s: float = 10.0, tolerance_s: int = TOLERANCE_S,
                 production: bool = False):
        self._merchants = merchants
        self._timeout_s = timeout_s
        self._tolerance_s = tolerance_s
        self._production = production  # the merchant URL rule at connect time (payments.remote.check_merchant_url)

    async def _merchant(self, tenant_id: int) -> WeChatMerchant:
        sealed = await self._merchants.for_tenant(self.name, tenant_id)
        if sealed is None:
            raise MerchantNotConfigured(self.name)
        return WeChatMerchant.from_mapping(sealed.values)

    async def _call(self, merchant: WeChatMerchant, method: str, path: str, body: dict | None) -> tuple[int, dict]:
        raw = "" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        headers = {
            "Authorization": authorization(merchant, method, path, raw, int(time.time())),
            "Accept": "application/json",
            "Content-Type": "application/json",
            "Wechatpay-Serial": merchant.platform_key_id,
        }
        await check_merchant_url("WeChat Pay", merchant.base_url, self._production)
        try:
            async with httpx.AsyncClient(base_url=merchant.base_url, timeout=self._timeout_s) as http:
                response = await http.request(method, path, content=raw.encode() if raw else None, headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"WeChat Pay unreachable: {type(exc).__name__}") from None
        if response.status_code >= 500:
            raise ProviderUnavailable(f"WeChat Pay answered {response.status_code}")
        try:
            verify_signed(response.headers, response.content, public_key=merchant.platform_key(),
                          key_id=merchant.platform_key_id, now=time.time(), tolerance_s=self._tolerance_s)
        except WeChatSignatureError as exc:
            raise ProviderUnavailable(f"WeChat Pay answer not verified ({exc.code})") from None
        data = json.loads(response.content) if response.content else {}
        if response.status_code >= 400:
            raise ProviderRefused(str(data.get("code", response.status_code)), str(data.get("message", ""))[:200])
        return response.status_code, data

    async def create_intent(self, *, tenant_id: int, out_trade_no: str, description: str, amount_fen: int,
                            currency: str, channel: str = "NATIVE", payer_openid: str | None = None,
                            expires_at: datetime | None = None) -> PaymentIntent:
        """Order at WeChat Pay. Re-sending the same parameters for the same out_trade_no is
        accepted (the same prepay), so a retry after a timeout is safe."""
        merchant = await self._merchant(tenant_id)
        channel = channel.upper()
        if channel not in CHANNELS:
            raise ProviderRefused("PARAM_ERROR", f"channel must be one of {CHANNELS}")
        body = {"appid": merchant.appid, "mchid": merchant.mchid, "description": description[:127],
                "out_trade_no": out_trade_no, "notify_url": merchant.notify_url,
                "amount": {"total": amount_fen, "currency": currency}}
        if expires_at is not None:
            body["time_expire"] = expires_at.astimezone(CHINA).isoformat(timespec="seconds")
        if channel == "JSAPI":
            if not payer_openid:
                raise ProviderRefused("PARAM_ERROR", "JSAPI needs the payer's openid")
            body["payer"] = {"openid": payer_openid}
        _, data = await self._call(merchant, "POST", f"/v3/pay/transactions/{channel.lower()}", body)
        if channel == "NATIVE":
            payload = {"provider": self.name, "channel": channel, "codeUrl": data.get("code_url")}
        else:
            payload = {"provider": self.name, "channel": channel,
                       **jsapi_pay_sign(merchant, str(data.get("prepay_id")), int(time.time()), secrets.token_hex(16))}
        payload.update(providerRef=out_trade_no, amount=amount_fen, currency=currency)
        return PaymentIntent(out_trade_no, payload)

    async def query(self, *, tenant_id: int, out_trade_no: str) -> TradeState:
        merchant = await self._merchant(tenant_id)
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no)}?mchid={quote(merchant.mchid)}"
        try:
            _, data = await self._call(merchant, "GET", path, None)
        except ProviderRefused as exc:
            if exc.code == "ORDER_NOT_EXIST":
                return TradeState("NOT_FOUND")
            raise
        state = _TRADE_STATES.get(str(data.get("trade_state")), "PENDING")
        amount = (data.get("amount") or {}).get("total") if state == "SUCCEEDED" else None
        return TradeState(state, amount, data.get("transaction_id"))

    async def close(self, *, tenant_id: int, out_trade_no: str) -> None:
        """Close an unpaid order (re-entrant). A paid one raises ProviderRefused(ORDERPAID)."""
        merchant = await self._merchant(tenant_id)
        await self._call(merchant, "POST", f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no)}/close",
                         {"mchid": merchant.mchid})

    async def refund(self, *, tenant_id: int, out_trade_no: str, out_refund_no: str, amount_fen: int,
                     total_fen: int, reason: str = "") -> RefundState:
        """Ask for a refund. The same out_refund_no asked twice refunds once."""
        merchant = await self._merchant(tenant_id)
        body = {"out_trade_no": out_trade_no, "out_refund_no": out_refund_no, "reason": reason[:80] or "refund",
                "notify_url": merchant.notify_url, "amount": {"refund": amount_fen, "total": total_fen, "currency": "CNY"}}
        _, data = await self._call(merchant, "POST", "/v3/refund/domestic/refunds", body)
        return RefundState(_REFUND_STATES.get(str(data.get("status")), "PENDING"),
                           (data.get("amount") or {}).get("refund"), data.get("refund_id"))

    async def query_refund(self, *, tenant_id: int, out_refund_no: str, out_trade_no: str | None = None) -> RefundState:
        merchant = await self._merchant(tenant_id)
        try:
            _, data = await self._call(merchant, "GET", f"/v3/refund/domestic/refunds/{quote(out_refund_no)}", None)
        except ProviderRefused as exc:
            if exc.code == "RESOURCE_NOT_EXISTS":
                return RefundState("NOT_FOUND")
            raise
        return RefundState(_REFUND_STATES.get(str(data.get("status")), "PENDING"),
                           (data.get("amount") or {}).get("refund"), data.get("refund_id"))

    async def parse_callback(self, headers: Mapping[str, str], body: bytes, now: float) -> list[CallbackEvent]:
        """Verify (signature over the raw body, key named by Wechatpay-Serial, 5-min window),
        then decrypt the resource, then read it. Nothing is written before this returns."""
        serial = headers.get("wechatpay-serial") or ""
        found = await self._merchants.by_lookup(self.name, serial) if serial else None
        if found is None:
            raise CallbackSignatureInvalid("SERIAL")
        merchant = WeChatMerchant.from_mapping(found[1].values)
        try:
            verify_signed(headers, body, public_key=merchant.platform_key(), key_id=merchant.platform_key_id,
                          now=now, tolerance_s=self._tolerance_s)
        except WeChatSignatureError as exc:
            raise CallbackSignatureInvalid(exc.code) from None
        try:
            envelope = json.loads(body)
            event_id, event_type, resource = envelope["id"], envelope["event_type"], envelope["resource"]
        except (ValueError, KeyError, TypeError):
            raise CallbackMalformed("envelope") from None
        try:
            data = decrypt_resource(merchant.api_v3_key, resource)
        except WeChatSignatureError as exc:
            raise CallbackSignatureInvalid(exc.code) from None
        if data.get("mchid") not in (None, merchant.mchid):
            raise CallbackMalformed("mchid")
        try:
            if event_type == "TRANSACTION.SUCCESS" or event_type.startswith("TRANSACTION."):
                state = _TRADE_STATES.get(str(data["trade_state"]))
                if state not in ("SUCCEEDED", "CLOSED"):
                    return []
                return [CallbackEvent(str(event_id)[:128], str(data["out_trade_no"]),
                                      "SUCCEEDED" if state == "SUCCEEDED" else "FAILED", int(data["amount"]["total"]))]
            if event_type.startswith("REFUND."):
                status = _REFUND_STATES.get(str(data["refund_status"]), "PENDING")
                if status == "PENDING":
                    return []
                return [CallbackEvent(str(event_id)[:128], str(data["out_trade_no"]), status,
                                      int(data["amount"]["refund"]), refund_ref=str(data["out_refund_no"]))]
        except (KeyError, TypeError, ValueError):
            raise CallbackMalformed("resource") from None
        raise CallbackMalformed("event_type")
