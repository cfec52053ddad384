"""What the real (HTTP) providers share: answers of query/refund, and their failures.

A remote provider (WeChat Pay, Alipay) is asynchronous and resolves the tenant's merchant
account itself (payments.merchants). payments.service tells it from the sandbox by
`remote = True`. Every state it reports is in integer fen.
"""
from __future__ import annotations

from dataclasses import dataclass


class ProviderUnavailable(Exception):
    """Timeout, connection error, 5xx, or an answer whose signature does not hold: the outcome
    is unknown. Query before retrying; retries reuse the same out_trade_no / out_refund_no."""


class ProviderRefused(Exception):
    """The provider answered and said no (`code`: its error code)."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(f"{code}: {message}")
        self.code = code


class MerchantNotConfigured(ProviderRefused):
    def __init__(self, provider: str):
        super().__init__("MERCHANT_NOT_CONFIGURED", f"no {provider} merchant account for this brand")


class MerchantUrlRefused(ProviderUnavailable):
    """The merchant's saved base/gateway URL fails the URL rule now (DNS re-pointed inward
    since it was saved, or a row saved under a laxer rule): nothing was sent. Unavailable, not
    refused: a payment or refund stays as it is and is retried once the URL is fixed."""


async def check_merchant_url(provider: str, url: str, production: bool) -> None:
    """The rule merchant URLs are saved under (webhooks.urls.check_url: in production https and
    public addresses only; development allows the loopback simulators), again before each
    connection. It resolves the host, so a host pointed inward after it was saved is refused;
    a re-point between this check and httpx's own resolution is not (httpx has no resolver hook)."""
    from core.errors import DomainError
    from webhooks.urls import check_url

    try:
        await check_url(url, production)
    except DomainError as exc:
        raise MerchantUrlRefused(f"{provider} merchant URL refused: {exc.message}") from None


@dataclass(frozen=True)
class TradeState:
    """PENDING (not paid yet), SUCCEEDED (paid; refunds may follow), CLOSED (never paid),
    NOT_FOUND (the provider never saw it)."""

    state: str
    amount_fen: int | None = None
    transaction_id: str | None = None


@dataclass(frozen=True)
class RefundState:
    """SUCCEEDED, PENDING (accepted, the callback or a query says more), FAILED, NOT_FOUND."""

    status: str
    amount_fen: int | None = None
    refund_id: str | None = None
