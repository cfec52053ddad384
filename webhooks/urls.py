"""Which URLs an endpoint may have. In production: https only, and no host that is or resolves to
a loopback, private, link-local or otherwise non-public address (a webhook URL must not let a
brand make the server call into its own network: SSRF). Development allows http and loopback so
a receiver on the developer's machine works."""
from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from core.errors import DomainError
from webhooks.errors import WebhookErrorCode as Codes

MAX_URL = 2000


def check_shape(url: str, production: bool) -> tuple[str, int]:
    """Syntax and scheme; returns (host, port)."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL or any(c.isspace() for c in url):
        raise DomainError(Codes.INVALID_URL, "give an absolute http(s) URL of at most 2000 characters", "url")
    parts = urlsplit(url)
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


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
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
