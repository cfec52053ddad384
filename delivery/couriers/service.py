"""Courier deliveries: accounts, booking, callbacks, cancel and reconciliation.

State changes go through `_transition`, a compare-and-set on `courier_delivery.version`
deciding with the pure machine in delivery.couriers.states: concurrent callbacks for one
delivery never lose an update, terminal states are sticky and nothing moves backwards.
Every callback is written to `courier_delivery_event` (unique per partner event key) in the
same transaction as its effect, before the partner is acknowledged; a duplicate is a no-op.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from core.secret_box import SecretBox
from db.session import Database
from delivery.couriers.adapters import ADAPTERS
from delivery.couriers.models import CourierAccount, CourierDelivery, CourierDeliveryEvent
from delivery.couriers.protocol import (
    CourierAdapter, CourierError, CourierEvent, CourierRefused, CourierTimeout, DeliveryRequest, StatusReport,
)
from delivery.couriers.states import RANK, TERMINAL, CancelledBy, Decision, DeliveryState, Outcome, decide
from delivery.couriers.tokens import TokenCache
from delivery.couriers.transport import HttpxTransport, Transport
from delivery.tracking import publish_after_commit

log = logging.getLogger("qiandian.couriers")

MAX_CAS_ATTEMPTS = 8


class CourierUnsupported(CourierRefused):
    code = "TIP_UNSUPPORTED"

WEBHOOK_TOKEN_KEY = "_webhook_token"  # sealed with the credentials: per-order callback URLs need it


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class CourierPartners:
    """What the app needs to talk to partners: the sealing box, the HTTP transport, base-URL
    overrides (sandbox / simulator), where partners call us back, and the replay window."""

    box: SecretBox
    transport: Transport = field(default_factory=HttpxTransport)
    base_urls: Mapping[str, str] = field(default_factory=dict)
    callback_base_url: str = "http://127.0.0.1:8000"
    max_age_s: int = 900
    tokens: TokenCache = field(default_factory=TokenCache)  # partner access tokens, per account, until expiry
    handoff_cursor: int = 0  # policy.call_handed_off's place in the hand-offs (fair paging)

    def adapter(self, account: CourierAccount) -> CourierAdapter:
        cls = ADAPTERS[account.provider]
        adapter = cls(self.box.open(account.sealed_credentials).values, self.transport, self.base_urls.get(account.provider))
        adapter.max_age_s = self.max_age_s
        adapter.tokens = self.tokens
        return adapter

    def callback_url(self, provider: str, token: str) -> str:
        return f"{self.callback_base_url.rstrip('/')}/webhooks/couriers/{provider}/{token}"


# --- accounts ---------------------------------------------------------------------------------

async def add_account(session, box: SecretBox, tenant_id: int, provider: str, credentials: Mapping[str, str],
                      store_id: int | None = None) -> tuple[CourierAccount, str]:
    """Seal `credentials` for `provider` (brand-wide, or one store's own). Returns the account and
    its webhook token, shown once (only its hash is kept)."""
    cls = ADAPTERS.get(provider)
    if cls is None:
        raise CourierRefused(f"unknown courier provider {provider!r}")
    missing = [key for key in cls.required if not credentials.get(key)]
    if missing:
        raise CourierRefused(f"{provider} credentials need {', '.join(missing)}")
    token = secrets.token_urlsafe(24)
    account = CourierAccount(tenant_id=tenant_id, provider=provider, store_id=store_id,
                             sealed_credentials=box.seal({**credentials, WEBHOOK_TOKEN_KEY: token}),
                             webhook_token_hash=token_hash(token))
    session.add(account)
    await session.flush()
    return account, token


async def account_for_webhook(session, provider: str, token: str) -> CourierAccount | None:
    if not token or len(token) > 128:
        return None
    account = await session.scalar(select(CourierAccount).where(CourierAccount.webhook_token_hash == token_hash(token)))
    # The hash lookup is the secret comparison; the provider must match the URL too.
    if account is None or account.provider != provider or not account.enabled:
        return None
    return account


async def account_for_store(session, tenant_id: int, store_id: int, provider: str) -> CourierAccount | None:
    """The store's own contract with `provider`, else the brand-wide one."""
    rows = (await session.scalars(select(CourierAccount).where(
        CourierAccount.tenant_id == tenant_id, CourierAccount.provider == provider, CourierAccount.enabled.is_(True),
        or_(CourierAccount.store_id == store_id, CourierAccount.store_id.is_(None)),
    ))).all()
    rows = sorted(rows, key=lambda a: a.store_id is None)
    return rows[0] if rows else None


# --- state changes ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Applied:
    outcome: str  # APPLIED, SAME, STALE, TERMINAL, ILLEGAL, INFO, UNKNOWN_STATUS, UNKNOWN_DELIVERY, DUPLICATE
    delivery_id: int | None = None
    state: str | None = None


async def _find_delivery(session, tenant_id: int, provider: str, event: CourierEvent) -> CourierDelivery | None:
    if event.merchant_order_id:
        row = await session.scalar(select(CourierDelivery).where(
            CourierDelivery.merchant_order_id == event.merchant_order_id, CourierDelivery.tenant_id == tenant_id))
        if row is not None:
            return row
    if event.partner_order_id:
        return await session.scalar(select(CourierDelivery).where(
            CourierDelivery.tenant_id == tenant_id, CourierDelivery.provider == provider,
            CourierDelivery.partner_order_id == event.partner_order_id).limit(1))
    return None


async def _transition(session, delivery_id: int, event: CourierEvent, now: datetime) -> Applied:
    """Compare-and-set one event onto the delivery; retried on a concurrent change."""
    for _ in range(MAX_CAS_ATTEMPTS):
        row = (await session.execute(select(CourierDelivery).where(CourierDelivery.id == delivery_id)
                                     .execution_options(populate_existing=True))).scalar_one()
        current = DeliveryState(row.state)
        values: dict = {}
        outcome = "INFO"
        newer = row.last_event_at is None or event.occurred_at is None or event.occurred_at >= row.last_event_at
        if event.state is not None:
            decision = decide(current, event.state, last_event_at=row.last_event_at, event_at=event.occurred_at)
            if event.advance_only and decision.moves and RANK[decision.state] < RANK[current]:
                decision = Decision(Outcome.STALE, current)
            outcome = decision.outcome.value
            if decision.moves:
                values["state"] = decision.state.value
                if decision.state is DeliveryState.CANCELLED:
                    values["cancelled_by"] = (event.cancelled_by or CancelledBy.PARTNER).value
                    if decision.cancelled_after_pickup:  # flagged for staff: goods may be out with the rider
                        values["cancelled_after_pickup"] = True
                        values["exception"] = True
                if event.reason:
                    values["reason"] = event.reason[:255]
            elif decision.outcome is Outcome.ILLEGAL:
                values["exception"] = True  # e.g. reassignment after pickup: staff look
        elif current in TERMINAL:
            outcome = "TERMINAL"
        if outcome in ("APPLIED", "SAME", "INFO") and newer:
            if event.occurred_at is not None:
                values["last_event_at"] = event.occurred_at
            if event.rider.name:
                values["rider_name"] = event.rider.name[:64]
            if event.rider.phone:
                values["rider_phone"] = event.rider.phone[:32]
            if event.rider.position is not None and current not in TERMINAL:
                values["rider_lon"], values["rider_lat"] = event.rider.position.lon, event.rider.position.lat
                publish_after_commit(session, row.tenant_id, row.order_id, {
                    "type": "POSITION", "orderId": row.order_id, "riderId": None, "courier": row.provider,
                    "lon": event.rider.position.lon, "lat": event.rider.position.lat,
                    "at": (event.occurred_at or now).isoformat()})
        if event.exception and current not in TERMINAL:
            values["exception"] = True
            if event.reason and "reason" not in values:
                values["reason"] = event.reason[:255]
        if event.partner_order_id and not row.partner_order_id:
            values["partner_order_id"] = event.partner_order_id[:128]
        if event.fee_fen is not None and outcome in ("APPLIED", "SAME", "INFO"):
            values["fee_fen"] = event.fee_fen
        if event.deduct_fen is not None and values.get("state") == DeliveryState.CANCELLED.value:
            values["deduct_fen"] = event.deduct_fen
        if not values:
            return Applied(outcome, row.id, row.state)
        values.update(version=row.version + 1, updated_at=now)
        result = await session.execute(update(CourierDelivery).where(
            CourierDelivery.id == row.id, CourierDelivery.version == row.version).values(**values))
        if result.rowcount == 1:
            if "state" in values:
                await _post_fees(session, row, values, now)
                await _publish_status(session, row, DeliveryState(values["state"]), event, now)
            return Applied(outcome, row.id, values.get("state", row.state))
    raise RuntimeError(f"courier delivery {delivery_id}: too many concurrent changes")


# The courier state as the board's task state, so orderTracking clients read partner riders'
# STATUS events like our own riders' (the partner's own state rides along as `courierState`).
TASK_STATE = {
    DeliveryState.CREATED: "HANDED_TO_COURIER", DeliveryState.DISPATCHING: "HANDED_TO_COURIER",
    DeliveryState.RIDER_ASSIGNED: "ACCEPTED", DeliveryState.AT_PICKUP: "AT_STORE", DeliveryState.PICKED_UP: "PICKED_UP",
    DeliveryState.AT_DROPOFF: "PICKED_UP", DeliveryState.RETURNING: "PICKED_UP", DeliveryState.DELIVERED: "DELIVERED",
    DeliveryState.RETURNED: "CANCELLED", DeliveryState.CANCELLED: "CANCELLED", DeliveryState.EXPIRED: "CANCELLED",
    DeliveryState.CREATE_FAILED: "CANCELLED",
}


async def _publish_status(session, row: CourierDelivery, state: DeliveryState, event: CourierEvent, now: datetime) -> None:
    """One STATUS message on the order's tracking channel once this state change commits, shaped
    like own riders' (delivery.order_listeners.publish_status). `final` (a terminal state, unless
    the cascade is about to call the next partner) completes the orderTracking subscription."""
    from commerce.models import Order

    order = await session.get(Order, row.order_id)
    if order is None:
        return
    publish_after_commit(session, row.tenant_id, row.order_id, {
        "type": "STATUS", "orderId": row.order_id, "orderStatus": order.status, "taskState": TASK_STATE[state],
        "riderId": None, "courier": row.provider, "courierState": state.value,
        "final": state in TERMINAL and state is not DeliveryState.CREATE_FAILED and not event.keeps_tracking,
        "at": (event.occurred_at or now).isoformat()})
    from delivery import store_feed

    await store_feed.publish_courier_state(session, row.tenant_id, row.store_id, row.order_id, row.provider, state.value,
                                           event.occurred_at or now)


async def _post_fees(session, row: CourierDelivery, values: dict, now: datetime) -> None:
    """What we now owe the partner, in the shared ledger (same transaction as the state change):
    the final fee (or the quote) plus tips once DELIVERED/RETURNED, the deducted fee once CANCELLED."""
    from ledger import Leg, account, post

    state = values["state"]
    if state in (DeliveryState.DELIVERED.value, DeliveryState.RETURNED.value):
        fee = values.get("fee_fen", row.fee_fen)
        amount, kind = (fee if fee is not None else (row.quote_fen or 0)) + (row.tip_fen or 0), "courier.fee"
    elif state == DeliveryState.CANCELLED.value:
        amount, kind = values.get("deduct_fen", row.deduct_fen) or 0, "courier.cancellation_fee"
    else:
        return
    if amount <= 0:
        return
    payable = await account(session, row.tenant_id, "courier.payable", "courier_account", row.account_id,
                            currency=row.currency, allow_negative=True)
    expense = await account(session, row.tenant_id, "courier.expense", "brand", row.tenant_id,
                            currency=row.currency, allow_negative=True)
    await post(session, row.tenant_id, kind, [Leg(expense, -amount), Leg(payable, amount)],
               idempotency_key=f"courier-delivery:{row.id}:{kind}", reference=("courier_delivery", row.id),
               memo=f"{row.provider} {row.merchant_order_id}", now=now)


async def record_event(database: Database, account: CourierAccount, event: CourierEvent, now: datetime,
                       source: str = "CALLBACK") -> Applied:
    """Persist one authenticated event and apply it, in one transaction (committed before the ack)."""
    async with database.write() as session:
        delivery = await _find_delivery(session, account.tenant_id, account.provider, event)
        record = CourierDeliveryEvent(
            tenant_id=account.tenant_id, provider=account.provider, event_key=event.event_key[:255],
            delivery_id=delivery.id if delivery else None, source=source, raw_code=event.raw_code[:64],
            state=event.state.value if event.state else None, occurred_at=event.occurred_at, received_at=now,
            detail={"exception": event.exception, "reason": event.reason[:255],
                    "cancelledBy": event.cancelled_by.value if event.cancelled_by else None,
                    "deductFen": event.deduct_fen, "feeFen": event.fee_fen},
        )
        try:
            async with session.begin_nested():
                session.add(record)
                await session.flush()
        except IntegrityError:
            return Applied("DUPLICATE", delivery.id if delivery else None)
        if delivery is None:
            log.warning("%s callback for an unknown delivery (merchant id %r): recorded, acknowledged",
                        account.provider, event.merchant_order_id)
            record.outcome = "UNKNOWN_DELIVERY"
            return Applied("UNKNOWN_DELIVERY")
        if not event.known:
            log.warning("%s sent unknown status %r for delivery %s: recorded, acknowledged",
                        account.provider, event.raw_code, delivery.id)
            record.outcome = "UNKNOWN_STATUS"
            return Applied("UNKNOWN_STATUS", delivery.id, delivery.state)
        applied = await _transition(session, delivery.id, event, now)
        record.outcome = applied.outcome
        return applied


class Unconfirmed(CourierError):
    """A weak-auth terminal callback whose status query got no answer: not recorded, not acknowledged."""

    code = "COURIER_UNCONFIRMED"


async def confirm_weak_terminal(database: Database, adapter: CourierAdapter, account: CourierAccount,
                                event: CourierEvent) -> CourierEvent:
    """For partners whose callbacks carry no secret (Dada, Shansong, DoorDash: the URL token is
    all), a TERMINAL state is asked back of the partner before it is applied, and the query's
    answer wins: a forged "delivered" (or "cancelled") by whoever learnt the URL moves the
    delivery only to where the partner says it is. Raises Unconfirmed when the query fails
    (the endpoint answers 503: the partner retries, reconciliation re-queries meanwhile)."""
    if not getattr(adapter, "weak_callback_auth", False) or event.state not in TERMINAL:
        return event
    async with database.read() as session:
        row = await _find_delivery(session, account.tenant_id, account.provider, event)
    if row is None or DeliveryState(row.state) in TERMINAL:
        return event  # nothing it could move
    try:
        report = await adapter.query(row.merchant_order_id, row.partner_order_id)
    except CourierError as exc:
        raise Unconfirmed(f"{account.provider} status query for {row.merchant_order_id} failed: {exc}") from exc
    if report.state is event.state:
        return event
    log.warning("%s callback said %s for %s, its status query says %s: the query wins", account.provider,
                event.state.value, row.merchant_order_id, report.state.value if report.state else "unknown order")
    # The callback's own time is not trusted either (a forged future stamp would make later events stale).
    return replace(event, state=report.state, occurred_at=None, rider=report.rider, fee_fen=report.fee_fen,
                   deduct_fen=None, cancelled_by=None, exception=False,
                   reason=f"callback said {event.state.value}; the partner's status query said "
                          f"{report.state.value if report.state else 'unknown'}")


# --- booking, cancel, reconciliation ----------------------------------------------------------

def merchant_order_id(tenant_id: int, order_id: int, attempt: int) -> str:
    """Our id for one booking attempt: the partner's merchant/origin order id (idempotency key)."""
    return f"qd{tenant_id}o{order_id}a{attempt}"


async def book(database: Database, partners: CourierPartners, account: CourierAccount, webhook_token: str | None,
               *, order_id: int, store_id: int, request: DeliveryRequest, quote_fen: int | None, now: datetime
               ) -> CourierDelivery:
    """Create the delivery row (CREATED), then ask the partner. A refusal ends it CREATE_FAILED; a
    timeout is followed by a status query with the same merchant order id -- never by a second
    create -- and an unanswered query leaves it CREATED for reconciliation."""
    async with database.write() as session:
        delivery = CourierDelivery(
            tenant_id=account.tenant_id, order_id=order_id, store_id=store_id, account_id=account.id,
            provider=account.provider, merchant_order_id=request.merchant_order_id, state=DeliveryState.CREATED.value,
            quote_fen=quote_fen, tip_fen=request.tip_fen, currency=request.currency, created_at=now, updated_at=now)
        session.add(delivery)
        await session.flush()
        delivery_id = delivery.id
    adapter = partners.adapter(account)
    webhook_token = webhook_token or partners.box.open(account.sealed_credentials).get(WEBHOOK_TOKEN_KEY)
    if webhook_token and not request.callback_url:
        request = replace(request, callback_url=partners.callback_url(account.provider, webhook_token))
    try:
        created = await adapter.create(request)
    except CourierTimeout:
        log.warning("%s create for %s timed out: querying, not re-creating", account.provider, request.merchant_order_id)
        await _poll(database, adapter, account, delivery_id, now, label="create-timeout")
    except CourierError as exc:
        await _merchant_event(database, account, delivery_id, DeliveryState.CREATE_FAILED, now, reason=str(exc)[:255])
    else:
        await _merchant_event(database, account, delivery_id, DeliveryState.DISPATCHING, now,
                              partner_order_id=created.partner_order_id or None, fee_fen=created.fee_fen,
                              advance_only=True)
    return await get_delivery(database, delivery_id)


async def _merchant_event(database: Database, account: CourierAccount, delivery_id: int, state: DeliveryState | None,
                          now: datetime, *, reason: str = "", partner_order_id: str | None = None,
                          fee_fen: int | None = None, deduct_fen: int | None = None,
                          cancelled_by: CancelledBy | None = None, advance_only: bool = False,
                          keeps_tracking: bool = False) -> Applied:
    async with database.write() as session:
        merchant_id = (await session.get(CourierDelivery, delivery_id)).merchant_order_id
    event = CourierEvent(f"merchant:{delivery_id}:{state.value if state else 'info'}:{secrets.token_hex(4)}", merchant_id,
                         partner_order_id, "merchant", state, None, reason=reason, fee_fen=fee_fen,
                         deduct_fen=deduct_fen, cancelled_by=cancelled_by, advance_only=advance_only,
                         keeps_tracking=keeps_tracking)
    return await record_event(database, account, event, now, source="MERCHANT")


async def _poll(database: Database, adapter: CourierAdapter, account: CourierAccount, delivery_id: int, now: datetime,
                label: str = "poll") -> Applied | None:
    row = await get_delivery(database, delivery_id)
    try:
        report: StatusReport = await adapter.query(row.merchant_order_id, row.partner_order_id)
    except CourierError as exc:
        log.warning("%s status query for %s failed: %s", account.provider, row.merchant_order_id, exc)
        return None
    if report.state is None:
        return None
    event = CourierEvent(f"{label}:{report.raw_code}:{report.rider.name or ''}:{report.partner_order_id or ''}",
                         row.merchant_order_id, report.partner_order_id or None, report.raw_code, report.state, None,
                         report.rider, fee_fen=report.fee_fen)
    applied = await record_event(database, account, event, now, source="POLL")
    if applied.outcome == "DUPLICATE":  # nothing new: still mark it checked
        async with database.write() as session:
            await session.execute(update(CourierDelivery).where(CourierDelivery.id == delivery_id).values(updated_at=now))
    return applied


async def cancel(database: Database, partners: CourierPartners, delivery_id: int, tenant_id: int, reason: str,
                 now: datetime, *, keeps_tracking: bool = False) -> CourierDelivery:
    """Cancel with the partner and record the fee it deducted. Raises CourierRefused when the
    partner will not (e.g. after pickup), leaving the delivery as it was. `keeps_tracking`: the
    caller calls another partner next (the cascade), so orderTracking subscriptions stay open."""
    row = await get_delivery(database, delivery_id)
    if row is None or row.tenant_id != tenant_id:
        raise CourierRefused("delivery not found")
    if row.state in {s.value for s in TERMINAL}:
        raise CourierRefused(f"delivery already {row.state}")
    account = await _account(database, row.account_id)
    result = await partners.adapter(account).cancel(row.merchant_order_id, row.partner_order_id, reason)
    await _merchant_event(database, account, delivery_id, DeliveryState.CANCELLED, now, reason=reason,
                          deduct_fen=result.deduct_fen, cancelled_by=CancelledBy.MERCHANT, keeps_tracking=keeps_tracking)
    return await get_delivery(database, delivery_id)


async def add_tip(database: Database, partners: CourierPartners, delivery_id: int, tenant_id: int, tip_fen: int,
                  idempotency_key: str, now: datetime) -> CourierDelivery:
    """Add `tip_fen` to a live delivery (partners with a tip API: Dada, SF, Fengniao), once per
    `idempotency_key`, at the partner too: the key is CLAIMED first (a TIP_PENDING timeline row,
    unique per tenant/provider/key, committed) and only the request that claimed it calls the
    partner; a concurrent or retried duplicate finds the claim and calls nobody. Accepted: the
    row becomes TIP and the tip is added (conditional on the row still being TIP_PENDING, so
    once). Refused: the claim is released (the same key may be tried again). Timed out: it stays
    TIP_UNKNOWN (the partner may have taken it; never re-sent under that key)."""
    row = await get_delivery(database, delivery_id)
    if row is None or row.tenant_id != tenant_id:
        raise CourierRefused("delivery not found")
    if row.state in {s.value for s in TERMINAL}:
        raise CourierRefused(f"delivery already {row.state}")
    if tip_fen <= 0:
        raise CourierRefused("a tip must be positive")
    account = await _account(database, row.account_id)
    adapter = partners.adapter(account)
    if not hasattr(adapter, "add_tip"):
        raise CourierUnsupported(f"{row.provider} has no tip API")
    key = f"tip:{idempotency_key}"[:255]
    try:
        async with database.write() as session:
            claim = CourierDeliveryEvent(tenant_id=tenant_id, provider=row.provider, event_key=key, delivery_id=row.id,
                                         source="MERCHANT", raw_code="tip", outcome="TIP_PENDING", received_at=now,
                                         detail={"tipFen": tip_fen})
            session.add(claim)
            await session.flush()
            claim_id = claim.id
    except IntegrityError:
        return await get_delivery(database, delivery_id)  # claimed before: that request calls (called) the partner
    try:
        await adapter.add_tip(row.merchant_order_id, row.partner_order_id, tip_fen)
    except CourierRefused:
        async with database.write() as session:  # the partner said no: release the key
            await session.execute(delete(CourierDeliveryEvent).where(CourierDeliveryEvent.id == claim_id,
                                                                     CourierDeliveryEvent.outcome == "TIP_PENDING"))
        raise
    except BaseException:  # timeout or anything else: the partner may have taken it
        await _settle_tip(database, claim_id, "TIP_UNKNOWN")
        raise
    async with database.write() as session:
        settled = await session.execute(update(CourierDeliveryEvent).where(
            CourierDeliveryEvent.id == claim_id, CourierDeliveryEvent.outcome == "TIP_PENDING").values(outcome="TIP"))
        if settled.rowcount == 1:
            await session.execute(update(CourierDelivery).where(CourierDelivery.id == row.id).values(
                tip_fen=CourierDelivery.tip_fen + tip_fen, version=CourierDelivery.version + 1, updated_at=now))
    return await get_delivery(database, delivery_id)


async def _settle_tip(database: Database, claim_id: int, outcome: str) -> None:
    async with database.write() as session:
        await session.execute(update(CourierDeliveryEvent).where(
            CourierDeliveryEvent.id == claim_id, CourierDeliveryEvent.outcome == "TIP_PENDING").values(outcome=outcome))


async def reconcile(database: Database, partners: CourierPartners, now: datetime, quiet_for: timedelta,
                    limit: int = 200) -> int:
    """Re-query deliveries whose callbacks stopped (non-final, untouched for `quiet_for`)."""
    async with database.read() as session:
        rows = (await session.execute(select(CourierDelivery.id, CourierDelivery.account_id).where(
            CourierDelivery.state.not_in([s.value for s in TERMINAL]), CourierDelivery.updated_at < now - quiet_for,
        ).order_by(CourierDelivery.updated_at).limit(limit))).all()
    for delivery_id, account_id in rows:
        account = await _account(database, account_id)
        await _poll(database, partners.adapter(account), account, delivery_id, now)
    return len(rows)


TRACKED = (DeliveryState.RIDER_ASSIGNED.value, DeliveryState.AT_PICKUP.value, DeliveryState.PICKED_UP.value,
           DeliveryState.AT_DROPOFF.value, DeliveryState.RETURNING.value)
POSITION_POLLED = frozenset({"dada", "uu", "lalamove", "meituan"})  # their callbacks carry no rider position


async def poll_positions(database: Database, partners: CourierPartners, now: datetime, limit: int = 100) -> int:
    """Ask partners whose callbacks carry no rider position where their riders are; store it
    (WGS-84) and send it to the order's tracking channel like our own riders' positions."""
    async with database.read() as session:
        rows = (await session.scalars(select(CourierDelivery).where(
            CourierDelivery.state.in_(TRACKED), CourierDelivery.provider.in_(sorted(POSITION_POLLED)),
        ).order_by(CourierDelivery.updated_at).limit(limit))).all()
    moved = 0
    for row in rows:
        account = await _account(database, row.account_id)
        try:
            info = await partners.adapter(account).rider_position(row.merchant_order_id, row.partner_order_id)
        except CourierError as exc:
            log.info("%s rider position for %s: %s", row.provider, row.merchant_order_id, exc)
            continue
        if info.position is None:
            continue
        async with database.write() as session:
            result = await session.execute(update(CourierDelivery).where(
                CourierDelivery.id == row.id, CourierDelivery.state.in_(TRACKED)).values(
                rider_lon=info.position.lon, rider_lat=info.position.lat))
            if result.rowcount:
                publish_after_commit(session, row.tenant_id, row.order_id, {
                    "type": "POSITION", "orderId": row.order_id, "riderId": None, "courier": row.provider,
                    "lon": info.position.lon, "lat": info.position.lat, "at": now.isoformat()})
                moved += 1
    return moved


async def get_delivery(database: Database, delivery_id: int) -> CourierDelivery | None:
    async with database.read() as session:
        return await session.get(CourierDelivery, delivery_id)


async def _account(database: Database, account_id: int) -> CourierAccount:
    async with database.read() as session:
        return await session.get(CourierAccount, account_id)


async def timeline(database: Database, tenant_id: int, delivery_id: int) -> list[CourierDeliveryEvent]:
    async with database.read() as session:
        return list((await session.scalars(select(CourierDeliveryEvent).where(
            CourierDeliveryEvent.tenant_id == tenant_id, CourierDeliveryEvent.delivery_id == delivery_id,
        ).order_by(CourierDeliveryEvent.id))).all())
