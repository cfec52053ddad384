"""The Alipay provider (OpenAPI v1): QR (precreate), mini-program (create, needs buyer_id),
app (a signed order string, no server call), query, close, refund with out_request_no, the
async notify. Amounts cross the edge as yuan strings converted exactly (payments.alipay)."""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode

import httpx

from payments.alipay import AlipayMerchant, fen_to_yuan, sign_params, verify_notify, verify_response, yuan_to_fen
from payments.errors import CallbackMalformed, CallbackSignatureInvalid
from payments.merchants import MerchantStore
from payments.provider import CallbackEvent, PaymentIntent
from payments.remote import MerchantNotConfigured, check_merchant_url, ProviderRefused, ProviderUnavailable, RefundState, TradeState

CHINA = timezone(timedelta(hours=8))
CHANNELS = ("PRECREATE", "CREATE", "APP")
_STATES = {"WAIT_BUYER_PAY": "PENDING", "TRADE_SUCCESS": "SUCCEEDED", "TRADE_FINISHED": "SUCCEEDED", "TRADE_CLOSED": "CLOSED"}


def _now_text() -> str:
    return datetime.now(CHINA).strftime("%Y-%m-%d %H:%M:%S")


class AlipayProvider:
    name = "ALIPAY"
    remote = True
    ACK_OK = (200, "text/plain", "success")  # exactly these 7 characters, or Alipay retries
    ACK_FAIL = "text/plain", "fail"

    def __init__(self, merchants: MerchantStore, *, timeout_s: float = 10.0, production: bool = False):
        self._merchants = merchants
        self._timeout_s = timeout_s
        self._production = production  # the merchant URL rule at connect time (payments.remote.check_merchant_url)

    async def _merchant(self, tenant_id: int) -> AlipayMerchant:
        sealed = await self._merchants.for_tenant(self.name, tenant_id)
        if sealed is None:
            raise MerchantNotConfigured(self.name)
        return AlipayMerchant.from_mapping(sealed.values)

    def _signed(self, merchant: AlipayMerchant, method: str, biz: dict, *, notify: bool = True) -> dict:
        params = {"app_id": merchant.app_id, "method": method, "format": "JSON", "charset": "utf-8", "sign_type": "RSA2",
                  "timestamp": _now_text(), "version": "1.0",
                  "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":"))}
        if notify and merchant.notify_url:
            params["notify_url"] = merchant.notify_url
        params["sign"] = sign_params(params, merchant.app_private_key_pem)
        return params

    async def _call(self, merchant: AlipayMerchant, method: str, biz: dict) -> dict:
        params = self._signed(merchant, method, biz)
        await check_merchant_url("Alipay", merchant.gateway_url, self._production)
        try:
            async with httpx.AsyncClient(timeout=self._timeout_s) as http:
                response = await http.post(merchant.gateway_url, content=urlencode(params).encode(),
                                           headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"})
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"Alipay unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise ProviderUnavailable(f"Alipay answered {response.status_code}")
        try:
            body = verify_response(response.text, method, merchant.alipay_public_key_pem)
        except (ValueError, KeyError):
            raise ProviderUnavailable("Alipay answer not verified") from None
        if body.get("code") != "10000":
            raise ProviderRefused(str(body.get("sub_code") or body.get("code")), str(body.get("sub_msg", ""))[:200])
        return body

    async def create_intent(self, *, tenant_id: int, out_trade_no: str, description: str, amount_fen: int,
                            currency: str, channel: str = "PRECREATE", payer_openid: str | None = None,
                            expires_at: datetime | None = None) -> PaymentIntent:
        merchant = await self._merchant(tenant_id)
        channel = (channel or "PRECREATE").upper()
        if channel == "NATIVE":
            channel = "PRECREATE"  # "show a QR code" whichever provider
        if channel not in CHANNELS:
            raise ProviderRefused("INVALID_PARAMETER", f"channel must be one of {CHANNELS}")
        biz = {"out_trade_no": out_trade_no, "total_amount": fen_to_yuan(amount_fen), "subject": description[:256]}
        if expires_at is not None:
            biz["time_expire"] = expires_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
        payload = {"provider": self.name, "channel": channel, "providerRef": out_trade_no, "amount": amount_fen, "currency": currency}
        if channel == "APP":
            biz["product_code"] = "QUICK_MSECURITY_PAY"
            payload["orderString"] = urlencode(self._signed(merchant, "alipay.trade.app.pay", biz))
        elif channel == "CREATE":
            if not payer_openid:
                raise ProviderRefused("INVALID_PARAMETER", "the mini-program channel needs the buyer id")
            biz["buyer_id" if payer_openid.startswith("2088") else "buyer_open_id"] = payer_openid
            payload["tradeNo"] = (await self._call(merchant, "alipay.trade.create", biz)).get("trade_no")
        else:
            payload["qrCode"] = (await self._call(merchant, "alipay.trade.precreate", biz)).get("qr_code")
        return PaymentIntent(out_trade_no, payload)

    async def query(self, *, tenant_id: int, out_trade_no: str) -> TradeState:
        merchant = await self._merchant(tenant_id)
        try:
            body = await self._call(merchant, "alipay.trade.query", {"out_trade_no": out_trade_no})
        except ProviderRefused as exc:
            if exc.code == "ACQ.TRADE_NOT_EXIST":
                return TradeState("NOT_FOUND")
            raise
        state = _STATES.get(str(body.get("trade_status")), "PENDING")
        amount = yuan_to_fen(body["total_amount"]) if state == "SUCCEEDED" else None
        return TradeState(state, amount, body.get("trade_no"))

    async def close(self, *, tenant_id: int, out_trade_no: str) -> None:
        merchant = await self._merchant(tenant_id)
        try:
            await self._call(merchant, "alipay.trade.close", {"out_trade_no": out_trade_no})
        except ProviderRefused as exc:
            if exc.code != "ACQ.TRADE_NOT_EXIST":  # a QR never scanned has no trade to close
                raise

    async def refund(self, *, tenant_id: int, out_trade_no: str, out_refund_no: str, amount_fen: int,
                     total_fen: int, reason: str = "") -> RefundState:
        """out_request_no = our out_refund_no: the same number again refunds once."""
        merchant = await self._merchant(tenant_id)
        body = await self._call(merchant, "alipay.trade.refund", {
            "out_trade_no": out_trade_no, "out_request_no": out_refund_no, "refund_amount": fen_to_yuan(amount_fen),
            "refund_reason": reason[:256] or "refund"})
        if body.get("fund_change") == "Y":
            return RefundState("SUCCEEDED", amount_fen)
        # N: no money moved in *this* call (a repeat of a refund already made, or still in progress)
        return await self.query_refund(tenant_id=tenant_id, out_refund_no=out_refund_no, out_trade_no=out_trade_no)

    async def query_refund(self, *, tenant_id: int, out_refund_no: str, out_trade_no: str | None = None) -> RefundState:
        merchant = await self._merchant(tenant_id)
        if out_trade_no is None:
            raise ValueError("Alipay refund queries need out_trade_no")
        body = await self._call(merchant, "alipay.trade.fastpay.refund.query",
                                {"out_trade_no": out_trade_no, "out_request_no": out_refund_no})
        if not body.get("refund_amount"):
            return RefundState("NOT_FOUND")
        status = "SUCCEEDED" if body.get("refund_status", "REFUND_SUCCESS") == "REFUND_SUCCESS" else "PENDING"
        return RefundState(status, yuan_to_fen(body["refund_amount"]))

    async def parse_callback(self, headers: Mapping[str, str], body: bytes, now: float) -> list[CallbackEvent]:
        """Verify the notify (RSA2 over sorted params without sign/sign_type) with the Alipay
        public key of the merchant its app_id names, then check app_id/seller_id."""
        try:
            params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError):
            raise CallbackMalformed("body") from None
        found = await self._merchants.by_lookup(self.name, params.get("app_id", "")) if params.get("app_id") else None
        if found is None:
            raise CallbackSignatureInvalid("APP_ID")
        merchant = AlipayMerchant.from_mapping(found[1].values)
        if not verify_notify(params, merchant.alipay_public_key_pem):
            raise CallbackSignatureInvalid("BAD_SIGNATURE")
        if merchant.seller_id and params.get("seller_id") not in (None, "", merchant.seller_id):
            raise CallbackMalformed("seller_id")
        try:
            event_id = params["notify_id"][:128]
            ref = params["out_trade_no"]
            status = params["trade_status"]
            if params.get("out_biz_no") and params.get("refund_fee"):
                # a refund's notify: refund_fee is the trade's refunded total; the request is out_biz_no
                return [CallbackEvent(event_id, ref, "SUCCEEDED", yuan_to_fen(params["refund_fee"]), refund_ref=params["out_biz_no"])]
            if status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
                return [CallbackEvent(event_id, ref, "SUCCEEDED", yuan_to_fen(params["total_amount"]))]
            if status == "TRADE_CLOSED":
                return [CallbackEvent(event_id, ref, "FAILED", yuan_to_fen(params.get("total_amount") or "0"))]
            return []
        except (KeyError, ValueError):
            raise CallbackMalformed("params") from None
