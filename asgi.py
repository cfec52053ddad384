"""The Starlette application: /graphql, health checks, payment callbacks, the expiry sweeper.

Run with `qiandian serve` (or `uvicorn asgi:app`). Processes are stateless; run several
behind uvicorn workers, all pointing at the same PostgreSQL.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL

from commerce.orders import expire_unpaid_orders
from core.clock import utc_now
from core.settings import Settings, load_settings
from core.signing import SignatureError, verify
from payments.provider import CallbackEvent, SandboxProvider, parse_callback_body
from payments.service import apply_callback, refund_late_payments
from resolvers.context import authenticate_connection, build_context
from resolvers.response_cache import AnonymousQueryCache
from resolvers.services import Services, build_services
from schema.root import build_schema

log = logging.getLogger("qiandian")


class QiandianGraphQL(GraphQL):
    def __init__(self, schema, services: Services, **kwargs: Any):
        super().__init__(schema, **kwargs)
        self.services = services

    async def get_context(self, request, response):
        return await build_context(request, self.services)

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


class BodySizeLimit:
    """Refuse oversized request bodies before anything parses them."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await _too_large(self.max_bytes)(scope, receive, send)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _too_large(self.max_bytes)(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


def _too_large(limit: int) -> Response:
    return JSONResponse({"errors": [{"message": f"request body larger than {limit} bytes"}]}, status_code=413)


def create_app(settings: Settings | None = None, services: Services | None = None) -> Starlette:
    settings = settings or load_settings()
    services = services or build_services(settings)
    schema = build_schema(settings)
    graphql_app = QiandianGraphQL(
        schema, services, graphql_ide="graphiql" if settings.graphiql else None, allow_queries_via_get=False
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

    async def sandbox_callback(request: Request) -> Response:
        body = await request.body()
        try:
            verify(
                request.headers.get("qiandian-signature"),
                body,
                [settings.payment_callback_secret.encode()],
                now=time.time(),
                tolerance_s=settings.payment_callback_tolerance_s,
            )
        except SignatureError as exc:
            return JSONResponse({"error": "signature", "code": exc.code.value}, status_code=401)
        try:
            event = parse_callback_body(body)
        except ValueError as exc:
            return JSONResponse({"error": "malformed", "field": str(exc)}, status_code=400)
        outcome = await apply_callback(services.database, SandboxProvider.name, event, utc_now())
        return JSONResponse({"received": True, "outcome": outcome})

    async def sandbox_simulate(request: Request) -> Response:
        """Development only: pretend the customer paid, by sending ourselves a signed callback."""
        try:
            data = await request.json()
            event = CallbackEvent(
                event_id=f"sim_{data['providerRef']}", provider_ref=str(data["providerRef"]),
                status="SUCCEEDED", amount_fen=int(data["amountFen"]),
            )
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": "send {providerRef, amountFen}"}, status_code=400)
        outcome = await apply_callback(services.database, SandboxProvider.name, event, utc_now())
        return JSONResponse({"outcome": outcome})

    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/payments/sandbox/callback", sandbox_callback, methods=["POST"]),
        Route("/graphql", graphql_app, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql_app),  # subscriptions (graphql-transport-ws)
    ]
    if not settings.is_production:
        routes.append(Route("/payments/sandbox/simulate", sandbox_simulate, methods=["POST"]))

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        sweeper = asyncio.create_task(_sweep_forever(services)) if settings.sweeper_interval_s > 0 else None
        dispatcher = None
        if settings.dispatch_interval_s > 0:
            from delivery.board.loop import dispatch_forever

            dispatcher = asyncio.create_task(dispatch_forever(services.database, services.tracking, settings.dispatch_interval_s,
                                                              couriers=services.couriers))
        try:
            yield
        finally:
            for task in (sweeper, dispatcher):
                if task:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            if services.tracking is not None:
                await services.tracking.close()
            await services.database.dispose()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.services = services
    app.add_middleware(AnonymousQueryCache, ttl_s=settings.anonymous_cache_ttl_ms / 1000)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)  # outermost: before any body is read
    return app


async def sweep_once(services: Services) -> int:
    """Expire unpaid orders past their TTL; then refund payments that arrived too late."""
    async with services.database.write() as session:
        cancelled = await expire_unpaid_orders(session, utc_now())
    refunded = await refund_late_payments(services.database, services.payments, utc_now())
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


def __getattr__(name: str):
    # `uvicorn asgi:app` builds the app on first access, so importing this module is cheap.
    if name == "app":
        global app
        app = create_app()
        return app
    raise AttributeError(name)
