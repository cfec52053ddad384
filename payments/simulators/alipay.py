"""An Alipay gateway simulator (openapi.alipay.com/gateway.do) with local keys.

It verifies our RSA2 request signature with the app public key, answers with responses
signed by its own "Alipay" key pair over the raw `<method>_response` JSON, and notifies our
notify_url with form posts signed the notify way (sorted params without sign/sign_type).
A notification is retried until our answer is exactly `success`. `outbox` / `deliver()`
give duplicates and reverse order on demand; `auto_notify` sends at once (the demo).
"""
from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from payments.alipay import fen_to_yuan, sign_content, signed_response, yuan_to_fen
from payments.wechatpay import load_public_key, rsa_sign, load_private_key, rsa_verify

CHINA = timezone(timedelta(hours=8))


def _now() -> str:
    return datetime.now(CHINA).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class AlipaySimulator:
    app_id: str
    app_public_key_pem: str
    alipay_private_key_pem: str
    seller_id: str = "2088000000000001"
    auto_notify: bool = False
    trades: dict[str, dict] = field(default_factory=dict)
    refunds: dict[tuple[str, str], dict] = field(default_factory=dict)  # (out_trade_no, out_request_no)
    outbox: list[tuple[str, dict]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    acks: list[str] = field(default_factory=list)  # our answers to notifications

    def _answer(self, method: str, body: dict) -> Response:
        return Response(signed_response(method, body, self.alipay_private_key_pem), media_type="application/json;charset=utf-8")

    def _error(self, method: str, sub_code: str, sub_msg: str = "") -> Response:
        return self._answer(method, {"code": "40004", "msg": "Business Failed", "sub_code": sub_code, "sub_msg": sub_msg})

    async def gateway(self, request: Request) -> Response:
        params = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        method = params.get("method", "")
        if params.get("app_id") != self.app_id or params.get("sign_type") != "RSA2" or not rsa_verify(
                load_public_key(self.app_public_key_pem), sign_content(params).encode(), params.get("sign", "")):
            self.refused.append(method or "?")
            return self._answer(method or "error", {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature"})
        biz = json.loads(params.get("biz_content") or "{}")
        handler = {
            "alipay.trade.precreate": self._order, "alipay.trade.create": self._order, "alipay.trade.query": self._query,
            "alipay.trade.close": self._close, "alipay.trade.refund": self._refund,
            "alipay.trade.fastpay.refund.query": self._refund_query,
        }.get(method)
        if handler is None:
            return self._error(method, "isv.invalid-method")
        return handler(method, biz, params)

    def _order(self, method, biz, params):
        no = biz.get("out_trade_no")
        try:
            amount = yuan_to_fen(biz.get("total_amount", ""))
        except ValueError:
            return self._error(method, "ACQ.INVALID_PARAMETER", "total_amount")
        trade = self.trades.get(no)
        if trade is None:
            trade = self.trades[no] = {"amount": amount, "status": "WAIT_BUYER_PAY", "trade_no": f"2026{secrets.token_hex(8)}",
                                       "notify_url": params.get("notify_url", ""), "refunded": 0}
        elif trade["amount"] != amount:
            return self._error(method, "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
        elif trade["status"] != "WAIT_BUYER_PAY":
            return self._error(method, "ACQ.TRADE_HAS_SUCCESS" if trade["status"] == "TRADE_SUCCESS" else "ACQ.TRADE_HAS_CLOSE")
        return self._answer(method, {"code": "10000", "msg": "Success", "out_trade_no": no, "trade_no": trade["trade_no"],
                                     "qr_code": f"https://qr.alipay.com/sim{no}"})

    def _query(self, method, biz, params):
        trade = self.trades.get(biz.get("out_trade_no"))
        if trade is None:
            return self._error(method, "ACQ.TRADE_NOT_EXIST", "交易不存在")
        return self._answer(method, {"code": "10000", "msg": "Success", "out_trade_no": biz["out_trade_no"],
                                     "trade_no": trade["trade_no"], "trade_status": trade["status"],
                                     "total_amount": fen_to_yuan(trade["amount"])})

    def _close(self, method, biz, params):
        trade = self.trades.get(biz.get("out_trade_no"))
        if trade is None:
            return self._error(method, "ACQ.TRADE_NOT_EXIST", "交易不存在")
        if trade["status"] != "WAIT_BUYER_PAY":
            return self._error(method, "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        trade["status"] = "TRADE_CLOSED"
        return self._answer(method, {"code": "10000", "msg": "Success", "out_trade_no": biz["out_trade_no"]})

    def _refund(self, method, biz, params):
        no, request_no = biz.get("out_trade_no"), biz.get("out_request_no")
        trade = self.trades.get(no)
        if trade is None:
            return self._error(method, "ACQ.TRADE_NOT_EXIST")
        if trade["status"] not in ("TRADE_SUCCESS", "TRADE_CLOSED") or (trade["status"] == "TRADE_CLOSED" and not trade["refunded"]):
            return self._error(method, "ACQ.TRADE_STATUS_ERROR")
        try:
            amount = yuan_to_fen(biz.get("refund_amount", ""))
        except ValueError:
            return self._error(method, "ACQ.INVALID_PARAMETER", "refund_amount")
        if (no, request_no) in self.refunds:  # the same out_request_no refunds once
            return self._answer(method, {"code": "10000", "msg": "Success", "out_trade_no": no, "fund_change": "N",
                                         "refund_fee": fen_to_yuan(trade["refunded"])})
        if amount <= 0 or trade["refunded"] + amount > trade["amount"]:
            return self._error(method, "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
        trade["refunded"] += amount
        if trade["refunded"] == trade["amount"]:
            trade["status"] = "TRADE_CLOSED"
        self.refunds[(no, request_no)] = {"amount": amount}
        self._queue(trade["notify_url"], {"out_trade_no": no, "trade_no": trade["trade_no"], "trade_status": trade["status"],
                                          "total_amount": fen_to_yuan(trade["amount"]), "refund_fee": fen_to_yuan(trade["refunded"]),
                                          "out_biz_no": request_no, "gmt_refund": _now()})
        return self._answer(method, {"code": "10000", "msg": "Success", "out_trade_no": no, "fund_change": "Y",
                                     "refund_fee": fen_to_yuan(trade["refunded"])})

    def _refund_query(self, method, biz, params):
        refund = self.refunds.get((biz.get("out_trade_no"), biz.get("out_request_no")))
        if refund is None:
            return self._answer(method, {"code": "10000", "msg": "Success"})
        return self._answer(method, {"code": "10000", "msg": "Success", "out_request_no": biz["out_request_no"],
                                     "refund_amount": fen_to_yuan(refund["amount"]), "refund_status": "REFUND_SUCCESS"})

    # --- the customer's side ---
    def pay(self, out_trade_no: str, amount_fen: int | None = None) -> None:
        trade = self.trades[out_trade_no]
        trade["status"] = "TRADE_SUCCESS"
        if amount_fen is not None:
            trade["amount"] = amount_fen
        self._queue(trade["notify_url"], {"out_trade_no": out_trade_no, "trade_no": trade["trade_no"], "trade_status": "TRADE_SUCCESS",
                                          "total_amount": fen_to_yuan(trade["amount"]), "receipt_amount": fen_to_yuan(trade["amount"]),
                                          "gmt_payment": _now()})

    async def handle_pay(self, request: Request) -> Response:
        data = await request.json()
        if data.get("out_trade_no") not in self.trades:
            return Response('{"error":"unknown out_trade_no"}', status_code=404, media_type="application/json")
        self.pay(data["out_trade_no"], data.get("amount"))
        return Response('{"paid":true}', media_type="application/json")

    def _queue(self, url: str, fields: dict) -> None:
        params = {"notify_type": "trade_status_sync", "notify_id": uuid.uuid4().hex, "notify_time": _now(), "app_id": self.app_id,
                  "charset": "utf-8", "version": "1.0", "seller_id": self.seller_id, "buyer_id": "2088102177846880", **fields}
        params["sign_type"] = "RSA2"
        params["sign"] = rsa_sign(load_private_key(self.alipay_private_key_pem), sign_content(params, notify=True).encode())
        self.outbox.append((url, params))
        if self.auto_notify:
            asyncio.get_running_loop().create_task(self.deliver())

    async def deliver(self, *, times: int = 1, reverse: bool = False) -> list[httpx.Response]:
        """Send the queued notifications; one not answered `success` stays queued (Alipay retries)."""
        batch, self.outbox = self.outbox, []
        if reverse:
            batch.reverse()
        answers = []
        async with httpx.AsyncClient(timeout=10) as http:
            for url, params in batch:
                acked = False
                for _ in range(times):
                    answer = await http.post(url, content=urlencode(params).encode(),
                                             headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
                    self.acks.append(answer.text)
                    answers.append(answer)
                    acked = acked or answer.text == "success"
                if not acked:
                    self.outbox.append((url, params))
        return answers

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/gateway.do", self.gateway, methods=["POST"]),
                                 Route("/sim/pay", self.handle_pay, methods=["POST"])])
