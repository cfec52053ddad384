"""Which URLs an endpoint may have. In production: https only, and no host that is or resolves to
a loopback, private, link-local or otherwise non-public address (a webhook URL must not let a
brand make the server call into its own network: SSRF). Development allows http and loopback so
a receiver on the developer's machine works."""
from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from core.errors import DomainError
from webhooks.errors import WebhookErrorCode as Codes

MAX_URL = 2000


def check_shape(url: str, production: bool) -> tuple[str, int]:
    """Syntax and scheme; returns (host, port)."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL or any(c.isspace() for c in url):
        raise DomainError(Codes.INVALID_URL, "give an absolute http(s) URL of at most 2000 characters", "url")
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[zz]/": not an IPv6 literal
        raise DomainError(Codes.INVALID_URL, "give an absolute http(s) URL", "url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DomainError(Codes.INVALID_URL, "give an absolute http(s) URL", "url")
    if parts.username or parts.password:
        raise DomainError(Codes.INVALID_URL, "credentials in the URL are not allowed; use the signing secret", "url")
    if production and parts.scheme != "https":
        raise DomainError(Codes.INSECURE_URL, "webhook URLs must use https", "url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise DomainError(Codes.INVALID_URL, "bad port", "url") from None
    return parts.hostname, port


NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known NAT64 prefix: the low 32 bits are an IPv4 address
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d form


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64, IPv4-compatible): a
    translator or tunnel may deliver to them, so each must be public too."""
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo:
        found.extend(ip.teredo)
    if ip in NAT64 or ip in IPV4_COMPATIBLE:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if not all(a.is_global and not a.is_multicast for a in embedded):
            return False
    return ip.is_global and not ip.is_multicast


async def check_url(url: str, production: bool) -> str:
    """The URL if it may be called; DomainError otherwise. Resolves the host in production."""
    host, port = check_shape(url, production)
    if not production:
        return url
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise DomainError(Codes.INVALID_URL, "the host does not resolve", "url") from None
    if not infos or not all(is_public(info[4][0]) for info in infos):
        raise DomainError(Codes.PRIVATE_ADDRESS, "the host resolves to a private or loopback address", "url")
    return url


class PublicOnlyResolver(AbstractResolver):
    """The resolver the production delivery client connects with: the addresses it connects to
    are the ones checked, so a host re-pointed inward between check_url and the connect (DNS
    rebinding, a zero TTL) is refused instead of called."""

    def __init__(self, inner: AbstractResolver | None = None):
        self._inner = inner or DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if not results or not all(is_public(r["host"]) for r in results):
            raise OSError(f"{host} resolves to a private or loopback address")
        return results

    async def close(self) -> None:
        await self._inner.close()
