"""GraphiQL with every asset served by this app (no CDN): the page and /graphiql/assets/{name}.

The files are vendored npm releases (app/graphiql_assets/VENDORED.md); only the names listed
here are served, with long caching since each name is one fixed version.
"""
from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

ASSETS = Path(__file__).resolve().parent / "graphiql_assets"
ASSET_TYPES = {
    "react.production.min.js": "text/javascript",
    "react-dom.production.min.js": "text/javascript",
    "js.cookie.min.js": "text/javascript",
    "graphiql.min.js": "text/javascript",
    "plugin-explorer.umd.js": "text/javascript",
    "graphiql.min.css": "text/css",
    "plugin-explorer.css": "text/css",
}
ASSET_PREFIX = "/graphiql/assets/"


def graphiql_page() -> HTMLResponse:
    return HTMLResponse((ASSETS / "graphiql.html").read_text(encoding="utf-8"))


async def graphiql_asset(request: Request) -> Response:
    name = request.path_params["name"]
    media_type = ASSET_TYPES.get(name)
    if media_type is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    return FileResponse(ASSETS / name, media_type=media_type,
                        headers={"Cache-Control": "public, max-age=86400"})


def graphiql_routes() -> list[Route]:
    return [Route(ASSET_PREFIX + "{name}", graphiql_asset, methods=["GET", "HEAD"])]
