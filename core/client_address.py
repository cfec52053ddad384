"""The address of the client behind a request, for per-client budgets.

The ASGI peer is the client unless it is one of our own proxies. Only then is X-Forwarded-For
read, from the right (the entry our proxy appended) leftwards, skipping further trusted
proxies; the first untrusted address is the client. Entries further left were written by the
client and are never believed, so a forged header cannot pick someone else's budget.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(raw: str | Iterable[str]) -> tuple[Network, ...]:
    """'10.0.0.0/8, 127.0.0.1' -> networks; raises ValueError on a malformed entry."""
    items = raw.split(",") if isinstance(raw, str) else raw
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def _address(raw: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(raw.strip().strip("[]"))
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _trusted(address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == n.version and address in n for n in networks)


def client_address(peer: str | None, forwarded_for: str | None, trusted_proxies: tuple[Network, ...]) -> str | None:
    """The client's address as text, or None when the server cannot tell (no peer, e.g. a test transport)."""
    address = _address(peer) if peer else None
    if address is None:
        return peer or None
    if not trusted_proxies or not forwarded_for or not _trusted(address, trusted_proxies):
        return str(address)
    for hop in reversed(forwarded_for.split(",")):
        hop_address = _address(hop)
        if hop_address is None:  # garbage in the chain: stop at the last address we could read
            break
        address = hop_address
        if not _trusted(address, trusted_proxies):
            break
    return str(address)
