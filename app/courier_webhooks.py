"""POST /webhooks/couriers/{provider}/{token}: courier partner callbacks.

The per-tenant token in the URL picks the account (and so the tenant and its sealed
credentials); an unknown token or provider is a 404. The adapter verifies the partner's
signature on the raw bytes (constant time) and any signed timestamp; a refused call is
answered 401/400 and nothing is written. Each event is persisted and applied in one
transaction before the partner's own acknowledgement goes back; duplicates, stale and
unknown events are acknowledged too (a partner retrying them would only storm). Partners whose
callbacks carry no secret have a terminal state confirmed by a status query first (the query wins;
no answer: 503, nothing recorded, the partner retries).
"""
from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.clock import utc_now
from core.money import MAX_AMOUNT_FEN
from delivery.couriers.adapters import ADAPTERS
from delivery.couriers.protocol import CallbackRejected, CallbackRequest
from delivery.couriers.service import Unconfirmed, account_for_webhook, confirm_weak_terminal, record_event

log = logging.getLogger("qiandian.couriers")


def _amounts_in_range(event) -> bool:
    """Fees a partner reports go to BIGINT columns and the ledger: 0..MAX_AMOUNT_FEN fen."""
    return all(v is None or (isinstance(v, int) and 0 <= v <= MAX_AMOUNT_FEN)
               for v in (getattr(event, "fee_fen", None), getattr(event, "deduct_fen", None)))


def courier_webhook_endpoint(services):
    async def endpoint(request: Request) -> Response:
        provider, token = request.path_params["provider"], request.path_params["token"]
        partners = services.courier_partners
        if provider not in ADAPTERS or partners is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        async with services.database.read() as session:
            account = await account_for_webhook(session, provider, token)
        if account is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        body = await request.body()
        adapter = partners.adapter(account)
        call = CallbackRequest(body=body, headers={k.lower(): v for k, v in request.headers.items()},
                               query=dict(request.query_params), path=request.url.path, now=utc_now())
        try:
            events = adapter.parse_callback(call)
        except CallbackRejected as exc:
            log.warning("%s callback refused for tenant %s: %s", provider, account.tenant_id, exc.kind)
            return JSONResponse({"error": exc.kind}, status_code=exc.http_status)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError) as exc:
            # A body of the wrong shape (a string where an object belongs, "abc" as an amount)
            # that an adapter did not foresee: malformed, answered 400, never a 500.
            log.warning("%s callback malformed for tenant %s: %s", provider, account.tenant_id, type(exc).__name__)
            return JSONResponse({"error": "MALFORMED"}, status_code=400)
        if not all(_amounts_in_range(event) for event in events):
            log.warning("%s callback amount out of range for tenant %s", provider, account.tenant_id)
            return JSONResponse({"error": "MALFORMED"}, status_code=400)
        for event in events:
            try:
                event = await confirm_weak_terminal(services.database, adapter, account, event)
            except Unconfirmed as exc:
                log.warning("%s", exc)
                return JSONResponse({"error": "UNCONFIRMED"}, status_code=503)
            await record_event(services.database, account, event, call.now)
        ack = adapter.ack()
        return Response(ack.body, status_code=ack.status, media_type=ack.media_type)

    return endpoint
