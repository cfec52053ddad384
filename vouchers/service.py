"""Voucher products, issuing on payment, redemption at the counter, expiry and refund.

The ledger (ledger/) holds the money, per brand in integer fen:

  sold      voucher.sales (brand, what customers paid)  -X      voucher.discount (brand) -(Y-X)
            voucher.liability (the voucher)             +Y
  redeemed  voucher.liability (the voucher)             -a      voucher.redeemed (the store: owed by the brand for goods given) +a
  expired   voucher.liability (the voucher)             -rest   voucher.breakage (brand)  +rest
  refunded  voucher.liability (the voucher)             -Y      voucher.discount +(Y-X)   voucher.sales +X

so a voucher's liability balance always equals its `remaining_fen` (checked in tests), and the
liability account may not go negative: the ledger refuses an over-redemption even if a bug
let one through the voucher row's conditional UPDATE.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from commerce.models import Order, OrderLine, Sku
from core.attempts import take_attempt
from core.clock import utc_now
from core.errors import DomainError
from core.money import MAX_AMOUNT_FEN
from db.session import Database
from events import OrderPaid, OrderRefunded, VoucherRedeemed, emit
from ledger import Leg, account, post
from store_network.access import load_store
from store_network.models import NetworkNode, Store
from vouchers import codes
from vouchers.errors import VoucherErrorCode as Codes
from vouchers.models import Voucher, VoucherGuessBudget, VoucherProduct, VoucherRedemption

_NO_SYNC = {"synchronize_session": False}
log = logging.getLogger(__name__)
_REQUEST_NO = re.compile(r"^[A-Za-z0-9._:-]{6,64}$")
MAX_VALID_DAYS = 3 * 366
MAX_ACCEPTING_STORES = 500
GUESS_LIMIT = 30  # redemption attempts per store per window
GUESS_WINDOW = timedelta(minutes=10)


def _insert(session: AsyncSession, model):
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


async def _brand_accounts(session: AsyncSession, tenant_id: int) -> tuple[int, int]:
    sales = await account(session, tenant_id, "voucher.sales", "tenant", tenant_id, allow_negative=True)
    discount = await account(session, tenant_id, "voucher.discount", "tenant", tenant_id, allow_negative=True)
    return sales, discount


async def create_product(
    session: AsyncSession, principal: Principal, *, sku_id: int, face_value_fen: int, valid_days: int,
    accepted_store_ids: list[int], partial_use: bool,
) -> VoucherProduct:
    """HQ turns a SKU into a voucher product (MANAGE_CATALOG on the brand's HQ node)."""
    if principal.tenant_id is None or not principal.is_authenticated:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in first", None)
    tenant_id = principal.tenant_id
    hq_path = await session.scalar(select(NetworkNode.path).where(NetworkNode.tenant_id == tenant_id, NetworkNode.parent_id.is_(None)))
    if hq_path is None or not principal.can(Permission.MANAGE_CATALOG, hq_path):
        raise DomainError(Codes.PERMISSION_DENIED, "only HQ catalog managers create voucher products", None)
    if await session.scalar(select(Sku.id).where(Sku.id == sku_id, Sku.tenant_id == tenant_id)) is None:
        raise DomainError(Codes.NOT_FOUND, "SKU not found", "skuId")
    if not 0 < face_value_fen <= MAX_AMOUNT_FEN:
        raise DomainError(Codes.AMOUNT_OUT_OF_RANGE, "face value is out of range", "faceValue")
    if not 0 < valid_days <= MAX_VALID_DAYS:
        raise DomainError(Codes.INVALID, f"validity is 1..{MAX_VALID_DAYS} days", "validDays")
    stores = sorted(set(accepted_store_ids))
    if len(stores) > MAX_ACCEPTING_STORES:
        raise DomainError(Codes.INVALID, f"at most {MAX_ACCEPTING_STORES} stores", "acceptedStoreIds")
    if stores:
        found = set(await session.scalars(select(Store.id).where(Store.tenant_id == tenant_id, Store.id.in_(stores))))
        if found != set(stores):
            raise DomainError(Codes.NOT_FOUND, "store not found", "acceptedStoreIds")
    if await session.scalar(select(VoucherProduct.id).where(VoucherProduct.sku_id == sku_id)) is not None:
        raise DomainError(Codes.DUPLICATE, "this SKU is already a voucher product", "skuId")
    row = VoucherProduct(tenant_id=tenant_id, sku_id=sku_id, face_value_fen=face_value_fen, valid_days=valid_days,
                         accepted_store_ids=stores, partial_use=partial_use, created_at=utc_now())
    session.add(row)
    await session.flush()
    return row


async def issue_for_paid_order(session: AsyncSession, event: OrderPaid) -> None:
    """Listener: one voucher per unit of each voucher SKU in the paid order. The line's total is
    split over its units to the fen (the first units take the remainder)."""
    lines = (await session.execute(
        select(OrderLine, VoucherProduct).join(VoucherProduct, VoucherProduct.sku_id == OrderLine.sku_id)
        .where(OrderLine.order_id == event.order_id, VoucherProduct.tenant_id == event.tenant_id)
    )).all()
    if not lines:
        return
    if await session.scalar(select(Voucher.id).where(Voucher.order_id == event.order_id).limit(1)) is not None:
        return  # issued already (an event handled twice)
    customer_id = (await session.get(Order, event.order_id)).customer_id
    sales, discount = await _brand_accounts(session, event.tenant_id)
    for line, product in lines:
        share, remainder = divmod(line.line_total_fen, line.quantity)
        for unit in range(line.quantity):
            paid = share + (1 if unit < remainder else 0)
            code = codes.new_code()
            voucher = Voucher(
                tenant_id=event.tenant_id, product_id=product.id, customer_id=customer_id, order_id=event.order_id,
                order_line_id=line.id, unit_index=unit, code_digest=codes.digest(code), code_sealed=codes.seal(code),
                status="ACTIVE", paid_fen=paid, face_value_fen=product.face_value_fen, remaining_fen=product.face_value_fen,
                partial_use=product.partial_use, accepted_store_ids=list(product.accepted_store_ids),
                expires_at=event.at + timedelta(days=product.valid_days), created_at=event.at,
            )
            session.add(voucher)
            await session.flush()
            liability = await account(session, event.tenant_id, "voucher.liability", "voucher", voucher.id)
            await post(session, event.tenant_id, "voucher.sold", [
                Leg(sales, -paid), Leg(discount, paid - product.face_value_fen), Leg(liability, product.face_value_fen),
            ], idempotency_key=f"voucher-sold:{voucher.id}", reference=("voucher", voucher.id), now=event.at)


async def refund_for_refunded_order(session: AsyncSession, event: OrderRefunded) -> None:
    """Listener: an order's vouchers are refunded with it, only if none has been used (otherwise
    the refund is refused and rolls back: the goods were partly given already). Vouchers that a
    partial refund already refunded are skipped."""
    vouchers = list(await session.scalars(select(Voucher).where(Voucher.order_id == event.order_id, Voucher.status != "REFUNDED")
                                          .with_for_update()))
    if not vouchers:
        return
    if any(v.status != "ACTIVE" or v.remaining_fen != v.face_value_fen for v in vouchers):
        raise DomainError(Codes.VOUCHER_USED, "a voucher of this order was used or has expired: refund it by hand", "orderId")
    sales, discount = await _brand_accounts(session, event.tenant_id)
    for v in vouchers:
        if not await _void(session, event.tenant_id, v, sales, discount, event.at):
            raise DomainError(Codes.VOUCHER_USED, "a voucher of this order was just used", "orderId")


async def _void(session: AsyncSession, tenant_id: int, v: Voucher, sales: int, discount: int, at: datetime) -> bool:
    """An unused voucher becomes REFUNDED and its liability goes back (compare-and-set)."""
    result = await session.execute(
        update(Voucher).where(Voucher.id == v.id, Voucher.status == "ACTIVE", Voucher.remaining_fen == Voucher.face_value_fen)
        .values(status="REFUNDED", remaining_fen=0), execution_options=_NO_SYNC)
    if result.rowcount != 1:
        return False
    liability = await account(session, tenant_id, "voucher.liability", "voucher", v.id)
    await post(session, tenant_id, "voucher.refunded", [
        Leg(liability, -v.face_value_fen), Leg(discount, v.face_value_fen - v.paid_fen), Leg(sales, v.paid_fen),
    ], idempotency_key=f"voucher-refunded:{v.id}", reference=("voucher", v.id), now=at)
    return True


async def _refunded_units(session: AsyncSession, order_id: int, status: str) -> dict[int, int]:
    from payments.models import PaymentRefund  # local: only the refund paths reach into payments

    units: dict[int, int] = {}
    for lines in await session.scalars(select(PaymentRefund.lines).where(PaymentRefund.order_id == order_id, PaymentRefund.status == status)):
        for line in lines or []:
            units[line["line_id"]] = units.get(line["line_id"], 0) + int(line["quantity"])
    return units


async def check_line_refund(session: AsyncSession, order_id: int, lines: list[dict]) -> None:
    """payments.refunds line check: refunding N units of a voucher line needs N unused vouchers
    of that line not already claimed by a pending refund; otherwise VOUCHER_USED, before any money moves."""
    pending = None
    for index, line in enumerate(lines):
        rows = list(await session.scalars(select(Voucher).where(Voucher.order_line_id == line["line_id"])))
        if not rows:
            continue
        if pending is None:
            pending = await _refunded_units(session, order_id, "PENDING")
        unused = sum(1 for v in rows if v.status == "ACTIVE" and v.remaining_fen == v.face_value_fen)
        free = unused - pending.get(line["line_id"], 0)
        if line["quantity"] > free:
            raise DomainError(Codes.VOUCHER_USED, f"only {max(free, 0)} unused vouchers of this line can be refunded", f"lines.{index}.quantity")


async def void_for_partial_refund(session: AsyncSession, event) -> None:
    """Listener on RefundSucceeded: a refund of N units of a voucher line voids N unused vouchers
    of it (the last issued first). Cumulative, so a redelivered event voids nothing more: each
    line ends with as many REFUNDED vouchers as its succeeded refunds returned units. A voucher
    used between the check and the provider's answer stays used (logged: settle it by hand)."""
    line_ids = sorted({int(line["line_id"]) for line in event.lines or []})
    if not line_ids:
        return
    vouchers = list(await session.scalars(select(Voucher).where(Voucher.order_id == event.order_id, Voucher.order_line_id.in_(line_ids))
                                          .order_by(Voucher.unit_index.desc()).with_for_update()))
    if not vouchers:
        return
    refunded = await _refunded_units(session, event.order_id, "SUCCEEDED")
    sales, discount = await _brand_accounts(session, event.tenant_id)
    for line_id in line_ids:
        mine = [v for v in vouchers if v.order_line_id == line_id]
        want = refunded.get(line_id, 0) - sum(1 for v in mine if v.status == "REFUNDED")
        for v in mine:
            if want <= 0:
                break
            if v.status == "ACTIVE" and v.remaining_fen == v.face_value_fen and await _void(session, event.tenant_id, v, sales, discount, event.at):
                want -= 1
        if want > 0:
            log.warning("order %s line %s: %s refunded vouchers were already used; settle by hand", event.order_id, line_id, want)


async def expire_due(session: AsyncSession, now: datetime, limit: int = 500) -> int:
    """Expire ACTIVE vouchers past their date; what was left on them goes to breakage."""
    due = list(await session.scalars(
        select(Voucher).where(Voucher.status == "ACTIVE", Voucher.expires_at <= now).order_by(Voucher.id).limit(limit)))
    expired = 0
    for v in due:
        row = (await session.execute(
            update(Voucher).where(Voucher.id == v.id, Voucher.status == "ACTIVE", Voucher.expires_at <= now)
            .values(status="EXPIRED", remaining_fen=0).returning(Voucher.id), execution_options=_NO_SYNC)).first()
        if row is None:
            continue
        rest = v.remaining_fen  # read before the UPDATE; redemptions need expires_at > now, so none raced it
        if rest:
            liability = await account(session, v.tenant_id, "voucher.liability", "voucher", v.id)
            breakage = await account(session, v.tenant_id, "voucher.breakage", "tenant", v.tenant_id)
            await post(session, v.tenant_id, "voucher.expired", [Leg(liability, -rest), Leg(breakage, rest)],
                       idempotency_key=f"voucher-expired:{v.id}", reference=("voucher", v.id), now=now)
        expired += 1
    return expired


def _actor(principal: Principal) -> tuple[str, int | None]:
    if principal.api_key_id is not None:
        return "api_key", principal.api_key_id
    return "staff", principal.staff_id


async def redeem(
    database: Database, principal: Principal, *, store_id: int, code: str | None, qr_payload: str | None,
    amount_fen: int | None, request_no: str, now: datetime | None = None,
    guess_limit: int = GUESS_LIMIT, guess_window: timedelta = GUESS_WINDOW,
) -> tuple[VoucherRedemption, Voucher, bool]:
    """Redeem at a counter: (redemption, voucher, replayed). Staff or an API key with MANAGE_ORDERS
    at the store. `request_no` is the counter's id for this attempt: a retry with the same one
    returns the first result and never redeems twice.

    Two transactions: the first takes an attempt from the store's guess budget and commits it
    (a wrong code must still count), the second redeems with one conditional UPDATE."""
    now = now or utc_now()
    if not isinstance(request_no, str) or not _REQUEST_NO.match(request_no):
        raise DomainError(Codes.INVALID, "requestNo: 6-64 letters, digits or . _ : -", "requestNo")
    if (code is None) == (qr_payload is None):
        raise DomainError(Codes.INVALID, "give exactly one of code or qrPayload", "code")
    if amount_fen is not None and not 0 < amount_fen <= MAX_AMOUNT_FEN:
        raise DomainError(Codes.AMOUNT_OUT_OF_RANGE, "amount must be positive", "amount")
    async with database.write() as session:
        store, _ = await load_store(session, principal, store_id, Codes, Permission.MANAGE_ORDERS)
        tenant_id = store.tenant_id
        previous = await _previous(session, tenant_id, request_no)
        if previous is None:
            await session.execute(_insert(session, VoucherGuessBudget).values(store_id=store.id, tenant_id=tenant_id, attempts=0)
                                  .on_conflict_do_nothing(index_elements=["store_id"]))
            taken = await take_attempt(session, VoucherGuessBudget.attempts, [VoucherGuessBudget.store_id == store.id],
                                       limit=guess_limit, window_start=VoucherGuessBudget.window_start, window=guess_window, now=now)
    if previous is not None:
        return _replay(previous, code, qr_payload, amount_fen, tenant_id)
    if not taken:
        raise DomainError(Codes.TOO_MANY_ATTEMPTS, "too many voucher attempts at this store; wait a few minutes", "code")
    plain = codes.normalise(code) if code is not None else codes.code_from_qr(qr_payload, tenant_id)
    try:
        async with database.write() as session:
            return await _redeem(session, principal, tenant_id, store.id, plain, amount_fen, request_no, now)
    except IntegrityError:
        async with database.read() as session:  # the same requestNo won a race: replay it
            previous = await _previous(session, tenant_id, request_no)
        if previous is None:
            raise
        return _replay(previous, code, qr_payload, amount_fen, tenant_id)


async def _previous(session, tenant_id: int, request_no: str):
    return (await session.execute(
        select(VoucherRedemption, Voucher).join(Voucher, Voucher.id == VoucherRedemption.voucher_id)
        .where(VoucherRedemption.tenant_id == tenant_id, VoucherRedemption.request_no == request_no)
    )).first()


def _replay(previous, code, qr_payload, amount_fen, tenant_id):
    redemption, voucher = previous
    plain = codes.normalise(code) if code is not None else codes.code_from_qr(qr_payload, tenant_id)
    if plain is None or codes.digest(plain) != voucher.code_digest or (amount_fen is not None and amount_fen != redemption.amount_fen):
        raise DomainError(Codes.REQUEST_NO_REUSED, "this requestNo was already used for another redemption", "requestNo")
    return redemption, voucher, True


async def _redeem(session, principal, tenant_id, store_id, plain, amount_fen, request_no, now):
    voucher = None
    if plain is not None:
        voucher = await session.scalar(select(Voucher).where(Voucher.tenant_id == tenant_id, Voucher.code_digest == codes.digest(plain)))
    if voucher is None:
        raise DomainError(Codes.INVALID_CODE, "no voucher with this code", "code")
    if voucher.accepted_store_ids and store_id not in voucher.accepted_store_ids:
        raise DomainError(Codes.STORE_NOT_ACCEPTED, "this voucher is not accepted at this store", "storeId")
    if voucher.status in ("USED", "REFUNDED"):
        raise DomainError(Codes.ALREADY_USED, "this voucher has been used", "code")
    if voucher.status == "EXPIRED" or voucher.expires_at <= now:
        raise DomainError(Codes.EXPIRED, "this voucher has expired", "code")
    amount = voucher.remaining_fen if amount_fen is None else amount_fen
    if not voucher.partial_use and amount != voucher.face_value_fen:
        raise DomainError(Codes.PARTIAL_USE_NOT_ALLOWED, "this voucher is used whole", "amount")
    after = (await session.execute(
        update(Voucher)
        .where(Voucher.id == voucher.id, Voucher.status == "ACTIVE", Voucher.remaining_fen >= amount, Voucher.expires_at > now)
        .values(remaining_fen=Voucher.remaining_fen - amount,
                status=case((Voucher.remaining_fen - amount == 0, "USED"), else_="ACTIVE"))
        .returning(Voucher.remaining_fen),
        execution_options=_NO_SYNC,
    )).scalar_one_or_none()
    if after is None:
        # Another counter got there first (or spent part of it): tell which.
        current = await session.scalar(select(Voucher).where(Voucher.id == voucher.id).execution_options(populate_existing=True))
        if current.status != "ACTIVE":
            raise DomainError(Codes.ALREADY_USED, "this voucher has just been used", "code")
        raise DomainError(Codes.INSUFFICIENT_BALANCE, f"only {current.remaining_fen} fen left on this voucher", "amount")
    actor_type, actor_id = _actor(principal)
    redemption = VoucherRedemption(tenant_id=tenant_id, voucher_id=voucher.id, store_id=store_id, amount_fen=amount,
                                   remaining_after_fen=after, request_no=request_no, actor_type=actor_type, actor_id=actor_id, created_at=now)
    session.add(redemption)
    await session.flush()
    liability = await account(session, tenant_id, "voucher.liability", "voucher", voucher.id)
    store_account = await account(session, tenant_id, "voucher.redeemed", "store", store_id)
    await post(session, tenant_id, "voucher.redeemed", [Leg(liability, -amount), Leg(store_account, amount)],
               idempotency_key=f"voucher-redeem:{request_no}", reference=("voucher_redemption", redemption.id),
               actor=(actor_type, actor_id), now=now)
    await emit(session, VoucherRedeemed(tenant_id=tenant_id, at=now, voucher_id=voucher.id, store_id=store_id, amount_fen=amount,
                                        remaining_fen=after, request_no=request_no, actor_type=actor_type, actor_id=actor_id))
    voucher.remaining_fen, voucher.status = after, "USED" if after == 0 else "ACTIVE"
    return redemption, voucher, False


async def customer_vouchers(session: AsyncSession, principal: Principal, limit: int = 100) -> list[Voucher]:
    if principal.customer_id is None:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in as a customer", None)
    return list(await session.scalars(
        select(Voucher).where(Voucher.customer_id == principal.customer_id, Voucher.tenant_id == principal.tenant_id)
        .order_by(Voucher.id.desc()).limit(limit)))


def register_listeners() -> None:
    from events import register

    register(OrderPaid, issue_for_paid_order)
    register(OrderRefunded, refund_for_refunded_order)
    from events.types import RefundSucceeded
    from payments.refunds import add_line_check

    register(RefundSucceeded, void_for_partial_refund)
    add_line_check(check_line_refund)
