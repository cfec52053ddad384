"""A WeChat Pay API v3 platform simulator: plays api.mch.weixin.qq.com with local keys.

It verifies our Authorization header with the merchant's public key (and the 5-minute
window), refuses bad requests with 401 SIGN_ERROR, answers with responses signed by its own
"WeChat Pay public key" pair, and notifies our callback URL with signed, AES-256-GCM
encrypted notifications. Notifications queue in `outbox`; `deliver()` sends them, and can
send duplicates, in reverse order, or after a delay; `auto_notify` sends each at once
(the demo). Trades and refunds follow the documented rules: same out_trade_no + same
parameters is accepted, different parameters refused; close only unpaid; refunds never
above the total, the same out_refund_no refunds once.
"""
from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from payments.wechatpay import (
    TOLERANCE_S, encrypt_resource, parse_authorization, request_message, rsa_verify, signed_headers,
)

CHINA = timezone(timedelta(hours=8))


@dataclass
class SimTrade:
    out_trade_no: str
    params: str  # the first request's body, for re-entry checks
    amount: int
    notify_url: str
    state: str = "NOTPAY"
    transaction_id: str = ""
    refunded: int = 0


@dataclass
class WeChatSimulator:
    mchid: str
    merchant_serial: str
    merchant_public_key: rsa.RSAPublicKey
    platform_private_key: rsa.RSAPrivateKey
    platform_key_id: str
    api_v3_key: str
    appid: str = ""
    auto_notify: bool = False
    refund_status: str = "PROCESSING"  # what a refund request answers (SUCCESS: at once)
    trades: dict[str, SimTrade] = field(default_factory=dict)
    refunds: dict[str, dict] = field(default_factory=dict)
    outbox: list[tuple[str, bytes, dict]] = field(default_factory=list)  # (url, body, plain resource)
    refused: list[str] = field(default_factory=list)  # why requests were refused
    lose_refund_answers: int = 0  # refunds processed but answered 500 (a lost answer), this many times

    # --- the platform's HTTP side ---
    def reply(self, status: int, data: dict | None) -> Response:
        body = b"" if data is None else json.dumps(data, ensure_ascii=False).encode()
        headers = signed_headers(self.platform_private_key, self.platform_key_id, body, int(time.time()))
        return Response(body, status_code=status, headers=headers, media_type="application/json" if body else None)

    async def _authorised(self, request: Request) -> tuple[bytes, Response | None]:
        body = await request.body()
        auth = parse_authorization(request.headers.get("authorization"))
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        why = None
        if not auth:
            why = "no WECHATPAY2-SHA256-RSA2048 authorization"
        elif auth.get("mchid") != self.mchid or auth.get("serial_no") != self.merchant_serial:
            why = "unknown mchid or serial_no"
        elif not auth.get("timestamp", "").isdigit() or abs(time.time() - int(auth["timestamp"])) >= TOLERANCE_S:
            why = "timestamp expired"
        elif not rsa_verify(self.merchant_public_key,
                            request_message(request.method, path, auth["timestamp"], auth.get("nonce_str", ""), body),
                            auth.get("signature", "")):
            why = "signature does not verify"
        if why:
            self.refused.append(why)
            return body, self.reply(401, {"code": "SIGN_ERROR", "message": why})
        return body, None

    async def prepay(self, request: Request) -> Response:
        body, refused = await self._authorised(request)
        if refused:
            return refused
        data = json.loads(body)
        channel = request.path_params["channel"]
        if data.get("mchid") != self.mchid or not isinstance((data.get("amount") or {}).get("total"), int):
            return self.reply(400, {"code": "PARAM_ERROR", "message": "mchid/amount.total"})
        if channel == "jsapi" and not (data.get("payer") or {}).get("openid"):
            return self.reply(400, {"code": "PARAM_ERROR", "message": "payer.openid required for JSAPI"})
        no = data["out_trade_no"]
        params = json.dumps({k: data.get(k) for k in ("amount", "description", "payer")}, sort_keys=True)
        trade = self.trades.get(no)
        if trade is None:
            trade = self.trades[no] = SimTrade(no, params, data["amount"]["total"], data.get("notify_url", ""))
        elif trade.params != params:
            return self.reply(400, {"code": "INVALID_REQUEST", "message": "请求重入时，参数与首次请求时不一致"})
        elif trade.state != "NOTPAY":
            return self.reply(400, {"code": "ORDERPAID" if trade.state == "SUCCESS" else "ORDERCLOSED", "message": trade.state})
        if channel == "native":
            return self.reply(200, {"code_url": f"weixin://wxpay/bizpayurl?pr=sim{no}"})
        return self.reply(200, {"prepay_id": f"wx_sim_{no}"})

    async def query(self, request: Request) -> Response:
        _, refused = await self._authorised(request)
        if refused:
            return refused
        trade = self.trades.get(request.path_params["no"])
        if trade is None:
            return self.reply(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
        return self.reply(200, self._transaction(trade))

    async def close(self, request: Request) -> Response:
        _, refused = await self._authorised(request)
        if refused:
            return refused
        trade = self.trades.get(request.path_params["no"])
        if trade is None:
            return self.reply(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
        if trade.state in ("SUCCESS", "REFUND"):
            return self.reply(400, {"code": "ORDERPAID", "message": "订单已支付"})
        trade.state = "CLOSED"
        return self.reply(204, None)

    async def refund(self, request: Request) -> Response:
        body, refused = await self._authorised(request)
        if refused:
            return refused
        data = json.loads(body)
        number = data.get("out_refund_no")
        if number in self.refunds:  # the same out_refund_no refunds once
            return self.reply(200, self.refunds[number])
        trade = self.trades.get(data.get("out_trade_no"))
        if trade is None or trade.state not in ("SUCCESS", "REFUND"):
            return self.reply(404 if trade is None else 400, {"code": "ORDER_NOT_EXIST" if trade is None else "INVALID_REQUEST",
                                                              "message": "not refundable"})
        amount = (data.get("amount") or {}).get("refund")
        if not isinstance(amount, int) or amount <= 0 or (data["amount"].get("total") != trade.amount):
            return self.reply(400, {"code": "PARAM_ERROR", "message": "amount"})
        if trade.refunded + amount > trade.amount:
            return self.reply(400, {"code": "NOT_ENOUGH", "message": "退款金额超过订单可退金额"})
        trade.refunded += amount
        trade.state = "REFUND"
        refund = {"refund_id": f"50{secrets.token_hex(8)}", "out_refund_no": number, "transaction_id": trade.transaction_id,
                  "out_trade_no": trade.out_trade_no, "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
                  "status": self.refund_status, "create_time": _now(),
                  "amount": {"total": trade.amount, "refund": amount, "payer_total": trade.amount, "payer_refund": amount,
                             "currency": "CNY"}}
        self.refunds[number] = refund
        if self.lose_refund_answers > 0:
            self.lose_refund_answers -= 1
            self._queue(data.get("notify_url") or trade.notify_url, "REFUND.SUCCESS", "refund", _refund_notice(self.mchid, refund))
            return Response(b'{"code":"SYSTEM_ERROR"}', status_code=500, media_type="application/json")
        self._queue(data.get("notify_url") or trade.notify_url, "REFUND.SUCCESS", "refund", _refund_notice(self.mchid, refund))
        return self.reply(200, refund)

    async def query_refund(self, request: Request) -> Response:
        _, refused = await self._authorised(request)
        if refused:
            return refused
        refund = self.refunds.get(request.path_params["no"])
        if refund is None:
            return self.reply(404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"})
        return self.reply(200, {**refund, "status": "SUCCESS"})

    # --- the customer's side ---
    def pay(self, out_trade_no: str, amount: int | None = None) -> None:
        """The customer pays (optionally a wrong amount): the trade is SUCCESS, a notification is queued."""
        trade = self.trades[out_trade_no]
        if trade.state not in ("NOTPAY", "CLOSED"):
            return
        # A success after close can happen in the real world (payment in flight): allowed here on purpose.
        trade.state = "SUCCESS"
        trade.transaction_id = f"42{secrets.token_hex(9)}"
        if amount is not None:
            trade.amount = amount
        self._queue(trade.notify_url, "TRANSACTION.SUCCESS", "transaction", self._transaction(trade))

    async def handle_pay(self, request: Request) -> Response:
        """Demo helper: POST /sim/pay {"out_trade_no": ...} plays the customer scanning and paying."""
        data = await request.json()
        if data.get("out_trade_no") not in self.trades:
            return Response('{"error":"unknown out_trade_no"}', status_code=404, media_type="application/json")
        self.pay(data["out_trade_no"], data.get("amount"))
        return Response('{"paid":true}', media_type="application/json")

    def _transaction(self, trade: SimTrade) -> dict:
        paid = trade.state in ("SUCCESS", "REFUND")
        data = {"appid": self.appid, "mchid": self.mchid, "out_trade_no": trade.out_trade_no, "trade_state": trade.state,
                "trade_state_desc": trade.state, "amount": {"total": trade.amount, "currency": "CNY"}}
        if paid:
            data.update(transaction_id=trade.transaction_id, trade_type="NATIVE", success_time=_now(),
                        amount={"total": trade.amount, "payer_total": trade.amount, "currency": "CNY", "payer_currency": "CNY"})
        return data

    def _queue(self, url: str, event_type: str, aad: str, plain: dict) -> None:
        envelope = {"id": f"EV-{uuid.uuid4()}", "create_time": _now(), "resource_type": "encrypt-resource",
                    "event_type": event_type, "summary": event_type,
                    "resource": encrypt_resource(self.api_v3_key, plain, aad, aad)}
        self.outbox.append((url, json.dumps(envelope, ensure_ascii=False).encode(), plain))
        if self.auto_notify:
            asyncio.get_running_loop().create_task(self.deliver())

    def signed(self, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
        return signed_headers(self.platform_private_key, self.platform_key_id, body, timestamp or int(time.time()))

    async def deliver(self, *, times: int = 1, reverse: bool = False, delay_s: float = 0.0) -> list[httpx.Response]:
        """Send every queued notification (each `times` times; newest first if `reverse`)."""
        batch, self.outbox = self.outbox, []
        if reverse:
            batch.reverse()
        answers = []
        async with httpx.AsyncClient(timeout=10) as http:
            for url, body, _ in batch:
                for _ in range(times):
                    if delay_s:
                        await asyncio.sleep(delay_s)
                    headers = {"Content-Type": "application/json", **self.signed(body)}
                    answers.append(await http.post(url, content=body, headers=headers))
        return answers

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/v3/pay/transactions/{channel:str}", self.prepay, methods=["POST"]),
            Route("/v3/pay/transactions/out-trade-no/{no:str}", self.query, methods=["GET"]),
            Route("/v3/pay/transactions/out-trade-no/{no:str}/close", self.close, methods=["POST"]),
            Route("/v3/refund/domestic/refunds", self.refund, methods=["POST"]),
            Route("/v3/refund/domestic/refunds/{no:str}", self.query_refund, methods=["GET"]),
            Route("/sim/pay", self.handle_pay, methods=["POST"]),
        ])


def _refund_notice(mchid: str, refund: dict) -> dict:
    return {"mchid": mchid, **{k: refund[k] for k in ("out_trade_no", "transaction_id", "refund_id", "out_refund_no")},
            "refund_status": "SUCCESS", "success_time": _now(), "user_received_account": "支付用户零钱", "amount": refund["amount"]}


def _now() -> str:
    return datetime.now(CHINA).isoformat(timespec="seconds")
