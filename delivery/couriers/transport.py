"""The HTTP transport adapters speak through (httpx.AsyncClient), swappable in tests."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

from delivery.couriers.protocol import CourierTimeout


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes


class Transport(Protocol):
    async def send(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> HttpResponse:
        """Raise CourierTimeout when the partner did not answer (the request may have landed)."""
        ...


class HttpxTransport:
    def __init__(self, timeout_s: float = 8.0, client: httpx.AsyncClient | None = None):
        self._client = client or httpx.AsyncClient(timeout=timeout_s)

    async def send(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> HttpResponse:
        try:
            response = await self._client.request(method, url, headers=dict(headers), content=body)
        except (httpx.TimeoutException, httpx.NetworkError) as exc:
            raise CourierTimeout(f"{method} {url}: {type(exc).__name__}") from exc
        return HttpResponse(response.status_code, response.content)

    async def aclose(self) -> None:
        await self._client.aclose()
