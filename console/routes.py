"""Serve the staff console: /console (the page) and /console/assets/{path} (its files).

The page talks to nothing but the public API (POST /graphql, subscriptions on the /graphql
websocket). Only files listed in ASSETS are served, so nothing else under the package leaks.
Map tiles are off unless QIANDIAN_CONSOLE_TILE_URL is set (e.g. an intranet tile server); the
page then reads the template from a <meta> tag, because the CSP forbids inline scripts.
"""
from __future__ import annotations

import html
import os
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parent / "assets"
ASSETS = {
    "app.js": "text/javascript",
    "gql.js": "text/javascript",
    "i18n.js": "text/javascript",
    "map.js": "text/javascript",
    "console.css": "text/css",
    "vendor/preact.min.js": "text/javascript",
    "vendor/preact-hooks.umd.js": "text/javascript",
    "vendor/htm.umd.js": "text/javascript",
    "vendor/leaflet.js": "text/javascript",
    "vendor/leaflet.css": "text/css",
}
PREFIX = "/console/assets/"
TILE_URL_ENV = "QIANDIAN_CONSOLE_TILE_URL"


def tile_url() -> str:
    value = os.environ.get(TILE_URL_ENV, "").strip()
    return value if value.startswith(("https://", "http://")) else ""


def security_headers(tiles: str) -> dict[str, str]:
    """Strict by default: own scripts and styles only, no framing, no referrer, and fetch/ws to
    this origin only. A configured tile server is the one extra image origin."""
    img = "'self' data:"
    if tiles:
        parts = urlsplit(tiles)
        img += f" {parts.scheme}://{parts.netloc.replace('{s}', '*')}"  # {s}.tile.host -> *.tile.host
    csp = "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {img}",
        "connect-src 'self'",  # CSP3: 'self' covers ws:/wss: to the same host
        "font-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ])
    return {
        "Content-Security-Policy": csp,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cache-Control": "no-store",
    }


async def console_page(_request: Request) -> Response:
    tiles = tile_url()
    page = (ROOT / "index.html").read_text(encoding="utf-8")
    page = page.replace("{{TILE_URL}}", html.escape(tiles, quote=True))
    return HTMLResponse(page, headers=security_headers(tiles))


async def console_asset(request: Request) -> Response:
    name = request.path_params["path"]
    media_type = ASSETS.get(name)
    if media_type is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    # Own files change with the code: revalidate. Vendored ones are fixed versions.
    cache = "public, max-age=86400" if name.startswith("vendor/") else "no-cache"
    return FileResponse(ROOT / name, media_type=media_type, headers={"Cache-Control": cache})


async def console_redirect(_request: Request) -> Response:
    return RedirectResponse("/console", status_code=308)


def console_routes() -> list[Route]:
    return [
        Route("/console", console_page, methods=["GET", "HEAD"]),
        Route("/console/", console_redirect, methods=["GET", "HEAD"]),
        Route(PREFIX + "{path:path}", console_asset, methods=["GET", "HEAD"]),
    ]
