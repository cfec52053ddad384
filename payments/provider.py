"""What the rest of the system needs from a payment provider, and the sandbox one.

A real provider (WeChat Pay, Alipay) implements the same protocol: `parse_callback`
verifies the provider's own signature scheme and produces the same `CallbackEvent`s, so
`/payments/{provider}/callback` and payments/service.py never know which provider spoke.
Providers are registered by name in payments/registry.py.
"""
from __future__ import annotations

import inspect
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from core.signing import SignatureError, sign, verify
from payments.errors import CallbackMalformed, CallbackSignatureInvalid


@dataclass(frozen=True)
class PaymentIntent:
    provider_ref: str
    client_payload: dict  # what the app hands to the provider's SDK to show the payment sheet


@dataclass(frozen=True)
class CallbackEvent:
    event_id: str
    provider_ref: str
    status: str  # SUCCEEDED or FAILED
    amount_fen: int
    # A refund's result (WeChat REFUND.*, Alipay refund notify): our out_refund_no; status is the refund's.
    refund_ref: str | None = None


class PaymentProvider(Protocol):
    name: str  # stored on Payment.provider; its lower case is the callback URL segment

    def create_intent(self, *, order_number: str, amount_fen: int, currency: str) -> PaymentIntent: ...

    def refund(self, *, provider_ref: str, amount_fen: int, refund_id: str) -> None:
        """Give `amount_fen` of the payment back. `refund_id` is ours and stable per refund
        (WeChat Pay's out_refund_no, Alipay's out_request_no): a retry after a lost answer
        must not refund twice. Raises on failure; the caller retries later."""
        ...

    def parse_callback(self, headers: Mapping[str, str], body: bytes, now: float) -> list[CallbackEvent]:
        """Verify the provider's signature over the raw body (`now`: unix seconds) and return
        the events it reports. Raises CallbackSignatureInvalid or CallbackMalformed."""
        ...


class SandboxProvider:
    """Confirms nothing by itself: a signed callback (from tests or the dev simulator) does."""

    name = "SANDBOX"
    SIGNATURE_HEADER = "qiandian-signature"

    def __init__(self, callback_secret: str, tolerance_s: int = 300):
        self._secret = callback_secret.encode()
        self._tolerance_s = tolerance_s
        self.refunds: dict[str, tuple[str, int]] = {}  # refund_id -> (provider_ref, amount_fen)

    def create_intent(self, *, order_number: str, amount_fen: int, currency: str) -> PaymentIntent:
        ref = "sbx_" + secrets.token_urlsafe(12)
        return PaymentIntent(ref, {"provider": self.name, "providerRef": ref, "amount": amount_fen, "currency": currency})

    def refund(self, *, provider_ref: str, amount_fen: int, refund_id: str) -> None:
        # The sandbox refunds instantly and, like a real provider, once per refund_id.
        self.refunds.setdefault(refund_id, (provider_ref, amount_fen))

    def signed_callback(self, event: CallbackEvent, timestamp: int) -> tuple[bytes, str]:
        """Body and signature header exactly as the sandbox would POST them."""
        body = json.dumps(
            {
                "eventId": event.event_id,
                "providerRef": event.provider_ref,
                "status": event.status,
                "amountFen": event.amount_fen,
            }
        ).encode()
        return body, sign(self._secret, body, timestamp)

    def parse_callback(self, headers: Mapping[str, str], body: bytes, now: float) -> list[CallbackEvent]:
        try:
            verify(headers.get(self.SIGNATURE_HEADER), body, [self._secret], now=now, tolerance_s=self._tolerance_s)
        except SignatureError as exc:
            raise CallbackSignatureInvalid(exc.code.value) from exc
        try:
            return [parse_callback_body(body)]
        except ValueError as exc:
            raise CallbackMalformed(str(exc)) from exc


def parse_callback_body(body: bytes) -> CallbackEvent:
    """Raises ValueError on anything malformed; the endpoint answers 400."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("body") from None
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    event_id, ref, status, amount = (data.get(k) for k in ("eventId", "providerRef", "status", "amountFen"))
    if not (isinstance(event_id, str) and 0 < len(event_id) <= 128):
        raise ValueError("eventId")
    if not (isinstance(ref, str) and 0 < len(ref) <= 64):
        raise ValueError("providerRef")
    if status not in ("SUCCEEDED", "FAILED"):
        raise ValueError("status")
    if not (isinstance(amount, int) and not isinstance(amount, bool) and 0 <= amount <= 10**12):
        raise ValueError("amountFen")
    return CallbackEvent(event_id, ref, status, amount)


async def request_refund(provider, *, tenant_id: int, provider_ref: str, refund_id: str, amount_fen: int,
                         total_fen: int, reason: str) -> str:
    """Ask `provider` to give `amount_fen` of the payment `provider_ref` back, named `refund_id`
    (the provider recognises a retry by it). Remote providers (WeChat Pay, Alipay) answer
    SUCCEEDED, PENDING or FAILED and may raise ProviderUnavailable / ProviderRefused; a
    provider in this process (the sandbox) refunds at once: SUCCEEDED. The one place that
    knows the two calling conventions (every refund path goes through it)."""
    if getattr(provider, "remote", False):
        answer = await provider.refund(tenant_id=tenant_id, out_trade_no=provider_ref, out_refund_no=refund_id,
                                       amount_fen=amount_fen, total_fen=total_fen, reason=reason)
        return answer.status
    done = provider.refund(provider_ref=provider_ref, amount_fen=amount_fen, refund_id=refund_id)
    if inspect.isawaitable(done):
        await done
    return "SUCCEEDED"
