"""The Starlette application: /graphql, health checks, payment callbacks, the expiry sweeper.

Run with `qiandian serve` (or `uvicorn asgi:app`). Processes are stateless; run several
behind uvicorn workers, all pointing at the same PostgreSQL.
"""
from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import re
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from cross_web import HTTPException

from commerce.orders import expire_unpaid_orders
from promotions.group_buys import expire_groups
from vouchers.service import expire_due as expire_due_vouchers
from core.clock import utc_now
from core.settings import Settings, load_settings
from payments.errors import CallbackRejected, CallbackSignatureInvalid
from payments.provider import CallbackEvent, SandboxProvider
from aftersales.service import auto_confirm_receipts
from payments.refunds import retry_pending_refunds
from payments.service import apply_callback, reconcile_payments, refund_late_payments
from app.context import authenticate_connection, build_context, tenant_for_slug
from app.courier_webhooks import courier_webhook_endpoint
from app.front_door import FrontDoor
from app.graphiql import graphiql_page, graphiql_routes
from app.request_log import configure_logging
from app.response_cache import AnonymousQueryCache
from app.services import Services, build_services
from app.store_sync_http import store_sync_upload
from app.media_http import media_file, media_upload
from console.routes import console_routes
from schema.root import build_schema

log = logging.getLogger("qiandian")


class QiandianGraphQL(GraphQL):
    def __init__(self, schema, services: Services, **kwargs: Any):
        super().__init__(schema, **kwargs)
        self.services = services

    async def get_context(self, request, response):
        context = await build_context(request, self.services)
        if isinstance(response, Response):
            # Headers the extensions set (Cache-Control on responses with tokens) go straight
            # onto the HTTP response.
            context.response_headers = response.headers
        return context

    def decode_json(self, data: str | bytes) -> object:
        # json.loads raises RecursionError (not a JSONDecodeError) on 100k nested `[`, and a
        # value nested a few hundred deep would reach it later in variable coercion: both are 400.
        try:
            value = json.loads(data)
        except RecursionError:
            value = None
        else:
            if json_depth_within(value, MAX_JSON_DEPTH):
                refuse_unstorable_text(value)
                return value
        raise HTTPException(400, f"request JSON nests deeper than {MAX_JSON_DEPTH} levels")

    def parse_query_params(self, params):
        parsed = super().parse_query_params(params)  # variables go through decode_json
        refuse_unstorable_text(parsed.get("query"))
        return parsed

    async def render_graphql_ide(self, request):
        return graphiql_page()  # the IDE's assets come from this app (app/graphiql.py), not a CDN

    async def on_ws_connect(self, context):
        # Browsers cannot send headers on a WebSocket: accept them in connection_init's payload too.
        await authenticate_connection(context, context.connection_params or {})
        return await super().on_ws_connect(context)

    async def execute_operation(self, *args: Any, **kwargs: Any):
        try:
            return await super().execute_operation(*args, **kwargs)
        finally:
            # Close the request's read session once every resolver has finished.
            context = kwargs.get("context")
            if context is not None:
                await context.reader.close()


MAX_JSON_DEPTH = 64  # GeoJSON polygons in variables need 6
# Operations one websocket may run at once (strawberry answers "Subscription limit reached" past
# it): the staff console runs storeBoardEvents plus up to 25 orderTracking streams.
WS_MAX_OPERATIONS = 64


def json_depth_within(value: object, limit: int) -> bool:
    """Whether a parsed JSON value nests at most `limit` containers deep (iterative, linear)."""
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict):
            current = list(current.values())
        elif not isinstance(current, list):
            continue
        if depth > limit:
            return False
        stack.extend((item, depth + 1) for item in current if isinstance(item, (dict, list)))
    return True


# A GraphQL string escape that decodes to NUL (\u0000, \u{0}); the parser refuses lone surrogates itself.
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|\{0+\})")
_UNSTORABLE_CHAR = re.compile("[\x00\ud800-\udfff]")


def refuse_unstorable_text(value: object) -> None:
    """400 for a NUL or a lone surrogate in any string of the request (JSON strings or GraphQL
    escapes in the document): PostgreSQL text cannot hold them, so they would otherwise reach a
    resolver and fail as an internal error on write (or compare differently on the two backends)."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            if _UNSTORABLE_CHAR.search(current) or ("\\u" in current and _UNSTORABLE_ESCAPE.search(current)):
                raise HTTPException(400, "strings must not contain NUL characters or unpaired surrogates")
        elif isinstance(current, dict):
            stack.extend(current.keys())
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def create_app(settings: Settings | None = None, services: Services | None = None) -> Starlette:
    settings = settings or load_settings()
    services = services or build_services(settings)
    schema = build_schema(settings)
    graphql_app = QiandianGraphQL(
        schema, services, graphql_ide="graphiql" if settings.graphiql else None, allow_queries_via_get=False,
        max_subscriptions_per_connection=WS_MAX_OPERATIONS,
    )

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        try:
            async with services.database.read() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any DB failure means not ready
            return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ready"})

    async def payment_callback(request: Request) -> Response:
        # One route for every provider; one this process does not run does not exist (404),
        # so the sandbox cannot be reached in production unless QIANDIAN_SANDBOX_PAYMENTS is on.
        provider = services.payments.for_url(request.path_params["provider"])
        if provider is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        body = await request.body()
        try:
            events = provider.parse_callback(request.headers, body, time.time())
            if inspect.isawaitable(events):  # remote providers look the merchant up first
                events = await events
        except CallbackRejected as exc:
            if hasattr(provider, "ACK_FAIL"):  # the provider's own failure answer; it retries
                media_type, content = provider.ACK_FAIL
                return Response(content, status_code=exc.http_status, media_type=media_type)
            detail = "code" if isinstance(exc, CallbackSignatureInvalid) else "field"
            return JSONResponse({"error": exc.kind, detail: exc.detail}, status_code=exc.http_status)
        outcomes = [await apply_callback(services.database, provider.name, event, utc_now()) for event in events]
        if hasattr(provider, "ACK_OK"):  # exactly what the provider expects (Alipay: "success")
            status, media_type, content = provider.ACK_OK
            return Response(content, status_code=status, media_type=media_type)
        return JSONResponse({"received": True, "outcome": outcomes[-1] if outcomes else None, "outcomes": outcomes})

    async def sandbox_simulate(request: Request) -> Response:
        """Development only: pretend the customer paid, by sending ourselves a signed callback."""
        try:
            data = await request.json()
            event = CallbackEvent(
                event_id=f"sim_{data['providerRef']}", provider_ref=str(data["providerRef"]),
                status="SUCCEEDED", amount_fen=int(data["amountFen"]),
            )
        except (ValueError, KeyError, TypeError, RecursionError):
            return JSONResponse({"error": "send {providerRef, amountFen}"}, status_code=400)
        outcome = await apply_callback(services.database, SandboxProvider.name, event, utc_now())
        return JSONResponse({"outcome": outcome})

    async def pos_stock_upload(request: Request) -> Response:  # app/store_sync_http.py
        return await store_sync_upload(request, services, "stock")

    async def pos_price_upload(request: Request) -> Response:
        return await store_sync_upload(request, services, "price")

    async def pos_listing_upload(request: Request) -> Response:
        return await store_sync_upload(request, services, "listing")

    async def media_upload_route(request: Request) -> Response:  # app/media_http.py
        return await media_upload(request, services)

    async def media_file_route(request: Request) -> Response:
        return await media_file(request, services)

    routes = [
        Route("/healthz", healthz),
        Route("/media/upload", media_upload_route, methods=["POST"]),
        Route("/media/{key:path}", media_file_route, methods=["GET", "HEAD"]),
        Route("/readyz", readyz),
        Route("/payments/{provider}/callback", payment_callback, methods=["POST"]),
        Route("/webhooks/couriers/{provider}/{token}", courier_webhook_endpoint(services), methods=["POST"]),
        Route("/graphql", graphql_app, methods=["GET", "POST"]),
        Route("/pos/stores/{store_id}/stock", pos_stock_upload, methods=["POST"]),
        Route("/pos/stores/{store_id}/prices", pos_price_upload, methods=["POST"]),
        Route("/pos/stores/{store_id}/listing", pos_listing_upload, methods=["POST"]),
        WebSocketRoute("/graphql", graphql_app),  # subscriptions (graphql-transport-ws)
    ]
    if settings.graphiql:
        routes += graphiql_routes()
    routes += console_routes()  # the staff console: static files over the public API (console/)
    if settings.sandbox_enabled and services.payments.get(SandboxProvider.name) is not None:
        # Marks sandbox payments paid without a signature: development, or a deployment that
        # explicitly runs the sandbox (fake money).
        routes.append(Route("/payments/sandbox/simulate", sandbox_simulate, methods=["POST"]))

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        sweeper = asyncio.create_task(_sweep_forever(services)) if settings.sweeper_interval_s > 0 else None
        dispatcher = None
        if settings.dispatch_interval_s > 0:
            from delivery.board.loop import dispatch_forever

            dispatcher = asyncio.create_task(dispatch_forever(services.database, services.tracking, settings.dispatch_interval_s,
                                                              couriers=services.couriers))
        couriers = (asyncio.create_task(_courier_jobs_forever(services))
                    if settings.courier_loop_interval_s > 0 and services.courier_partners is not None else None)
        try:
            yield
        finally:
            for task in (sweeper, dispatcher, couriers):
                if task:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            if services.tracking is not None:
                await services.tracking.close()
            await services.database.dispose()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.services = services
    app.add_middleware(
        AnonymousQueryCache,
        ttl_s=settings.anonymous_cache_ttl_ms / 1000,
        resolve_tenant=lambda slug: tenant_for_slug(slug, services),  # keyed on the brand the request runs in
    )
    # Outermost, before the cache: request ids, nosniff and size limits reach every response (413s
    # and cache hits included), and an ambiguous request is neither served from cache nor run.
    app.add_middleware(FrontDoor, max_body_bytes=settings.max_body_bytes,
                       per_path_prefix={"/pos/": settings.sync_max_body_bytes,  # POS/ERP sync files
                                        # an image plus a multipart envelope; media_upload checks the image itself
                                        "/media/upload": settings.media_max_upload_bytes + 16 * 1024})
    return app


async def sweep_once(services: Services) -> int:
    """Expire unpaid orders past their TTL; then refund payments that arrived too late."""
    async with services.database.write() as session:
        cancelled = await expire_unpaid_orders(session, utc_now())
    await expire_groups(services.database, utc_now())  # group buys past their window: refund (paid back just below)
    refunded = await refund_late_payments(services.database, services.payments, utc_now())
    # Real providers: payments whose callback never came, refunds whose outcome is unknown (issue 20).
    await reconcile_payments(services.database, services.payments, utc_now(),
                             timedelta(seconds=services.settings.payment_reconcile_after_s))
    await retry_pending_refunds(services.database, services.payments, utc_now())
    async with services.database.write() as session:  # after-sales: receipt confirmed after the configured time
        await auto_confirm_receipts(session, utc_now(), timedelta(seconds=services.settings.after_sales_auto_confirm_s))
    async with services.database.write() as session:  # vouchers past their date: the rest goes to breakage
        expired = await expire_due_vouchers(session, utc_now())
    if expired:
        log.info("expired %d vouchers", expired)
    if refunded:
        log.info("refunded %d payments that arrived after their order expired or was cancelled", refunded)
    return cancelled


async def _sweep_forever(services: Services) -> None:
    while True:
        await asyncio.sleep(services.settings.sweeper_interval_s)
        try:
            cancelled = await sweep_once(services)
            if cancelled:
                log.info("expired %d unpaid orders", cancelled)
        except Exception:  # noqa: BLE001 - the sweeper must outlive a bad cycle
            log.exception("expiry sweep failed")
        try:  # distribution: settle due commission, level upgrades (distribution/jobs.py)
            from distribution import jobs as distribution_jobs

            done = await distribution_jobs.run_once(services.database)
            if any(done.values()):
                log.info("distribution jobs: %s", done)
        except Exception:  # noqa: BLE001
            log.exception("distribution jobs failed")


async def _courier_jobs_forever(services: Services) -> None:
    from delivery.couriers.policy import courier_jobs

    while True:
        await asyncio.sleep(services.settings.courier_loop_interval_s)
        try:
            await courier_jobs(services.database, services.courier_partners, utc_now(),
                               services.settings.courier_reconcile_after_s)
        except Exception:  # noqa: BLE001 - the loop must outlive a bad cycle
            log.exception("courier jobs failed")


def __getattr__(name: str):
    # `uvicorn asgi:app` builds the app on first access, so importing this module is cheap.
    if name == "app":
        global app
        settings = load_settings()
        configure_logging(settings.log_format)  # here too: each uvicorn worker process imports this
        app = create_app(settings)
        return app
    raise AttributeError(name)
