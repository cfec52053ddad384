"""Partner access tokens cached per account until shortly before they expire.

Adapters are built per call (`CourierPartners.adapter`), so a token kept on the adapter lived
one call: Uber's OAuth token was fetched on every request and Fengniao's stored token was never
refreshed. The cache lives on `CourierPartners` (one per process), keyed by provider and account
identity; a token is refreshed `margin_s` before its expiry, and concurrent callers needing a
refresh wait for one fetch (a lock per key) instead of each fetching. `clock` returns epoch
seconds (injectable for tests).
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: float  # epoch seconds
    refresh: str | None = None  # the refresh token to use next (rotated by partners that rotate it)


class TokenCache:
    def __init__(self, clock: Callable[[], float] = time.time, margin_s: float = 300.0) -> None:
        self.clock = clock
        self.margin_s = margin_s
        self._tokens: dict[str, Token] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def peek(self, key: str) -> Token | None:
        return self._tokens.get(key)

    def fresh(self, key: str) -> Token | None:
        token = self._tokens.get(key)
        if token is not None and token.expires_at - self.margin_s > self.clock():
            return token
        return None

    async def get(self, key: str, fetch: Callable[[Token | None], Awaitable[Token]]) -> Token:
        """The cached token, or `fetch(previous)`'s (previous: the expiring one, for its refresh token)."""
        token = self.fresh(key)
        if token is not None:
            return token
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            token = self.fresh(key)  # another caller refreshed it while we waited
            if token is None:
                token = await fetch(self._tokens.get(key))
                self._tokens[key] = token
        return token

    def drop(self, key: str) -> None:
        """Forget a token the partner refused (it is fetched again next time)."""
        self._tokens.pop(key, None)
