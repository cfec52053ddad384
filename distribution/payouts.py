"""Payout providers: how withdrawn commission leaves the brand (WeChat Pay transfer, Alipay, bank).

A provider gets a deterministic `out_no` per withdrawal, so a retried call is the same payout
(WeChat's 分账/transfer APIs are idempotent on it). The sandbox pays everything except amounts
ending in 13 fen, which it refuses (to exercise the failure path).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PayoutResult:
    ok: bool
    reference: str
    message: str = ""


class PayoutProvider(Protocol):
    name: str

    async def pay(self, *, tenant_id: int, out_no: str, salesperson_id: int, amount_fen: int) -> PayoutResult: ...


class SandboxPayoutProvider:
    name = "sandbox"

    def __init__(self) -> None:
        self.paid: dict[str, int] = {}

    async def pay(self, *, tenant_id: int, out_no: str, salesperson_id: int, amount_fen: int) -> PayoutResult:
        if amount_fen % 100 == 13:
            return PayoutResult(False, out_no, "sandbox refuses amounts ending in 13 fen")
        self.paid.setdefault(out_no, amount_fen)
        return PayoutResult(True, f"sbx-{out_no}")


_providers: dict[str, PayoutProvider] = {"sandbox": SandboxPayoutProvider()}


def provider(name: str = "sandbox") -> PayoutProvider:
    return _providers[name]


def register_provider(p: PayoutProvider) -> None:
    _providers[p.name] = p
