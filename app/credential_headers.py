"""Refuse requests whose tenant or credential headers are ambiguous.

HTTP lets a header repeat, and each layer picks its own copy: Starlette's `headers.get`
takes the first, `dict(scope["headers"])` the last. A request with two `X-Tenant` headers
therefore ran under one brand and was cached under the other. Rather than agree on a copy
everywhere, a request that names its brand or its identity more than once is refused with
400 before anything reads it (app/front_door.py applies this; a WebSocket handshake is refused).

One credential per request: `Authorization` and `X-Api-Key` together are refused too, even
when they carry the same key, because a bearer token and an API key can name different
principals and no rule for choosing between them would be obvious to the caller.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

# Every header that selects the tenant or the caller's identity (app/context.py).
SELECTING_HEADERS = ("x-tenant", "authorization", "x-api-key")
# At most one of these per request.
CREDENTIAL_HEADERS = ("authorization", "x-api-key")
SELECTING_HEADER_BYTES = frozenset(name.encode() for name in SELECTING_HEADERS)


def scope_ambiguity(headers) -> str | None:
    """`ambiguity` over an ASGI scope's raw (name, value) header pairs, without decoding every
    name: one selecting header (the usual X-Tenant alone) can never be ambiguous."""
    selecting = [name for name, _ in headers if name.lower() in SELECTING_HEADER_BYTES]
    if len(selecting) < 2:
        return None
    return ambiguity(name.decode("latin-1").lower() for name in selecting)


def ambiguity(names: Iterable[str]) -> str | None:
    """Why a request carrying these (lower-case) header names is ambiguous, or None."""
    counts = Counter(name for name in names if name in SELECTING_HEADERS)
    repeated = sorted(name for name, n in counts.items() if n > 1)
    if repeated:
        return f"header {', '.join(repeated)} sent more than once; send each at most once"
    if all(counts[name] for name in CREDENTIAL_HEADERS):
        return "send one credential: Authorization or X-Api-Key, not both"
    return None
