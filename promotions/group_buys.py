"""Group buys (拼团): a group price for N buyers who all pay within T hours.

Flow (a state machine, research note B.7):
- A customer STARTS a group (groupBuyStart) or JOINS an open one by its share token
  (groupBuyJoin). Either places a one-line order of the campaign's SKU at the group price and
  takes a place in the group: `seats + 1 <= size` as one conditional UPDATE, so of concurrent
  joiners on the last place exactly one gets it; the others get GROUP_FULL (and may start a
  new group). The per-customer limit is a second conditional UPDATE (GroupBuyBuyer.places).
- The order's PAYMENT holds the place (listener on OrderPaid): `paid + 1 <= size` on an OPEN,
  unexpired group. The size-th payment FORMS the group (`paid = size`, compare-and-set on
  OPEN). A payment that arrives after the group closed raises, so the payment service marks it
  REFUND_REQUIRED and gives the money back.
- HOLD: while its group is not FORMED a paid member's order stays PAID: a listener refuses
  any move out of PAID except a refund (GROUP_BUY_NOT_FORMED), so the store cannot pick or
  dispatch it. Staff boards still list it as PAID; `groupBuyGroup` shows why it waits.
- An unpaid member order that is cancelled or expires gives its place and limit back.
- EXPIRY (expire_groups, run by the sweeper): an OPEN group past `expires_at` becomes FAILED;
  each paid member's order is REFUNDED by the system (stock released by the transition) and
  its payment marked REFUND_REQUIRED, which the payment service's refund sweep
  (payments.service.refund_late_payments, same sweeper run) sends back through the provider
  that took it, once, named by the payment's refund id. Unpaid members' orders are cancelled.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Principal
from commerce import ports, stock
from commerce.cart import require_customer
from commerce.checkout import delivery_fee_fen
from commerce.errors import OrderErrorCode
from commerce.models import Address, Order, OrderEvent, OrderLine, Product, Sku
from commerce.order_status import ActorType, FulfilmentType, OrderStatus, StockState
from commerce.orders import apply_transition
from core.errors import DomainError
from events import OrderCancelled, OrderCreated, OrderPaid, OrderRefunded, OrderStatusChanged, emit, register
from geo.coordinates import LonLat
from payments.models import Payment
from promotions.errors import PromotionErrorCode as Codes
from promotions.models import GroupBuy, GroupBuyBuyer, GroupBuyGroup, GroupBuyMember
from store_network.access import load_node, load_store, require_tenant
from store_network.models import Tenant

log = logging.getLogger(__name__)
_NO_SYNC = {"synchronize_session": False}
MAX_GROUP_SIZE = 100
MAX_WINDOW_HOURS = 24 * 7


# ---------------------------------------------------------------- share tokens

def _mac(secret: str, tenant_id: int, group_id: int) -> str:
    digest = hmac.new(f"group-buy-share:{secret}".encode(), f"{tenant_id}.{group_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def share_token(secret: str, group: GroupBuyGroup) -> str:
    """`<tenant>.<group>.<mac>`: carries the group, signed with the server key (cannot be forged or retargeted)."""
    return f"{group.tenant_id}.{group.id}.{_mac(secret, group.tenant_id, group.id)}"


def group_of_token(secret: str, token: str, tenant_id: int) -> int:
    """The group id a share token names; another tenant's token is NOT_FOUND, a forged one SHARE_TOKEN_INVALID."""
    parts = (token or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(token) > 100:
        raise DomainError(Codes.SHARE_TOKEN_INVALID, "not a group-buy share token", "shareToken")
    token_tenant, group_id = int(parts[0]), int(parts[1])
    if not hmac.compare_digest(parts[2], _mac(secret, token_tenant, group_id)):
        raise DomainError(Codes.SHARE_TOKEN_INVALID, "not a group-buy share token", "shareToken")
    if token_tenant != tenant_id:
        raise DomainError(Codes.NOT_FOUND, "group not found", "shareToken")
    return group_id


# ---------------------------------------------------------------- campaigns (staff)

@dataclass(frozen=True)
class GroupBuyDraft:
    node_id: int
    name: str
    sku_id: int
    store_id: int | None
    price_fen: int
    group_size: int
    window_hours: int
    per_customer_limit: int
    starts_at: datetime
    ends_at: datetime


async def create_group_buy(session: AsyncSession, principal: Principal, draft: GroupBuyDraft) -> GroupBuy:
    from promotions import service  # the same control rules as flash sales

    tenant_id = require_tenant(principal, Codes)
    node = await load_node(session, principal, draft.node_id, Codes, "nodeId")
    await service._require_control(session, principal, node, "nodeId")
    sku = await session.scalar(select(Sku).where(Sku.id == draft.sku_id, Sku.tenant_id == tenant_id))
    if sku is None:
        raise DomainError(Codes.NOT_FOUND, "SKU not found", "skuId")
    if draft.store_id is not None:
        _store, path = await load_store(session, principal, draft.store_id, Codes)
        if not path.startswith(node.path):
            raise DomainError(Codes.INVALID, "the store is not under this node", "storeId")
    if draft.ends_at.tzinfo is None or draft.starts_at.tzinfo is None or draft.ends_at <= draft.starts_at:
        raise DomainError(Codes.INVALID, "endsAt must be after startsAt", "endsAt")
    if not 2 <= draft.group_size <= MAX_GROUP_SIZE:
        raise DomainError(Codes.INVALID, f"groupSize is 2 to {MAX_GROUP_SIZE}", "groupSize")
    if not 1 <= draft.window_hours <= MAX_WINDOW_HOURS:
        raise DomainError(Codes.INVALID, f"windowHours is 1 to {MAX_WINDOW_HOURS}", "windowHours")
    if not 1 <= draft.per_customer_limit <= 100:
        raise DomainError(Codes.INVALID, "perCustomerLimit is 1 to 100", "perCustomerLimit")
    if not draft.name.strip() or len(draft.name) > 200:
        raise DomainError(Codes.INVALID, "a name of 1 to 200 characters", "name")
    if not 0 <= draft.price_fen < sku.base_price_fen:
        raise DomainError(Codes.INVALID, "a group price is below the SKU's HQ price", "price")
    if not service.is_hq_path(node.path):
        cap = await service.max_partner_percent(session, tenant_id)
        if (sku.base_price_fen - draft.price_fen) * 100 > cap * sku.base_price_fen:
            raise DomainError(Codes.DISCOUNT_ABOVE_HQ_LIMIT, f"HQ allows at most {cap}% off", "price")
    row = GroupBuy(
        tenant_id=tenant_id, node_id=node.id, node_path=node.path, name=draft.name.strip(), sku_id=sku.id, store_id=draft.store_id,
        price_fen=draft.price_fen, group_size=draft.group_size, window_hours=draft.window_hours,
        per_customer_limit=draft.per_customer_limit, starts_at=draft.starts_at, ends_at=draft.ends_at,
    )
    session.add(row)
    await session.flush()
    return row


# ---------------------------------------------------------------- start / join (customers)

@dataclass(frozen=True)
class Placement:
    fulfilment_type: FulfilmentType
    address_id: int | None = None
    note: str = ""


async def start(session: AsyncSession, principal: Principal, group_buy_id: int, store_id: int, placement: Placement,
                *, now: datetime, unpaid_ttl: timedelta) -> GroupBuyMember:
    """Open a new group of the campaign at this store; the caller's order holds the first place."""
    customer_id = require_customer(principal, Codes)
    campaign = await session.scalar(select(GroupBuy).where(GroupBuy.id == group_buy_id, GroupBuy.tenant_id == principal.tenant_id))
    if campaign is None:
        raise DomainError(Codes.NOT_FOUND, "group buy not found", "groupBuyId")
    if not campaign.starts_at <= now < campaign.ends_at:
        raise DomainError(Codes.GROUP_BUY_NOT_RUNNING, "this group buy is not running now", "groupBuyId")
    store, path = await load_store(session, principal, store_id, Codes)
    if (campaign.store_id is not None and campaign.store_id != store.id) or not path.startswith(campaign.node_path):
        raise DomainError(Codes.INVALID, "this group buy does not run at that store", "storeId")
    group = GroupBuyGroup(
        tenant_id=campaign.tenant_id, group_buy_id=campaign.id, store_id=store.id, leader_customer_id=customer_id, status="OPEN",
        size=campaign.group_size, seats=1, paid=0, expires_at=now + timedelta(hours=campaign.window_hours), created_at=now,
    )
    session.add(group)
    await session.flush()
    return await _place(session, principal, campaign, group, customer_id, placement, now, unpaid_ttl)


async def join(session: AsyncSession, principal: Principal, group_id: int, placement: Placement,
               *, now: datetime, unpaid_ttl: timedelta) -> GroupBuyMember:
    """Take a place in an open group (found by its share token); GROUP_FULL if none is left."""
    customer_id = require_customer(principal, Codes)
    group = await session.scalar(select(GroupBuyGroup).where(GroupBuyGroup.id == group_id, GroupBuyGroup.tenant_id == principal.tenant_id))
    if group is None:
        raise DomainError(Codes.NOT_FOUND, "group not found", "shareToken")
    campaign = await session.get(GroupBuy, group.group_buy_id)
    if group.status != "OPEN" or group.expires_at <= now:
        raise DomainError(Codes.GROUP_CLOSED, "this group has closed; start a new one", "shareToken")
    mine = await session.scalar(select(GroupBuyMember.id).where(GroupBuyMember.group_id == group.id, GroupBuyMember.customer_id == customer_id))
    if mine is not None:
        raise DomainError(Codes.INVALID, "you are already in this group", "shareToken")
    taken = await session.execute(
        update(GroupBuyGroup)
        .where(GroupBuyGroup.id == group.id, GroupBuyGroup.status == "OPEN", GroupBuyGroup.expires_at > now,
               GroupBuyGroup.seats < GroupBuyGroup.size)
        .values(seats=GroupBuyGroup.seats + 1),
        execution_options=_NO_SYNC,
    )
    if taken.rowcount != 1:
        raise DomainError(Codes.GROUP_FULL, "every place in this group is taken; start a new group", "shareToken")
    return await _place(session, principal, campaign, group, customer_id, placement, now, unpaid_ttl)


async def _take_limit(session: AsyncSession, campaign: GroupBuy, customer_id: int) -> None:
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(GroupBuyBuyer).values(group_buy_id=campaign.id, customer_id=customer_id, places=0)
        .on_conflict_do_nothing(index_elements=["group_buy_id", "customer_id"])
    )
    mine = await session.execute(
        update(GroupBuyBuyer)
        .where(GroupBuyBuyer.group_buy_id == campaign.id, GroupBuyBuyer.customer_id == customer_id,
               GroupBuyBuyer.places + 1 <= campaign.per_customer_limit)
        .values(places=GroupBuyBuyer.places + 1),
        execution_options=_NO_SYNC,
    )
    if mine.rowcount != 1:
        raise DomainError(Codes.GROUP_BUY_LIMIT_REACHED, f"at most {campaign.per_customer_limit} places per customer in this group buy", "groupBuyId")


async def _place(session, principal, campaign: GroupBuy, group: GroupBuyGroup, customer_id: int, placement: Placement,
                 now: datetime, unpaid_ttl: timedelta) -> GroupBuyMember:
    """The member's one-line order at the group price: stock reserved, unpaid until it expires
    (no later than the group does)."""
    await _take_limit(session, campaign, customer_id)
    store, store_path = await load_store(session, principal, group.store_id, Codes)
    if store.status != "OPEN":
        raise DomainError(Codes.INVALID, "this store is not taking orders", "storeId")
    if placement.fulfilment_type.value not in store.fulfilment_types:
        raise DomainError(Codes.INVALID, f"this store does not offer {placement.fulfilment_type.value}", "fulfilmentType")
    if len(placement.note) > 500:
        raise DomainError(Codes.INVALID, "note is longer than 500 characters", "note")
    address = None
    if placement.address_id is not None:
        address = await session.scalar(select(Address).where(Address.id == placement.address_id, Address.customer_id == customer_id))
        if address is None:
            raise DomainError(Codes.NOT_FOUND, "address not found", "addressId")
    fee = await delivery_fee_fen(session, store, placement.fulfilment_type, address)
    point = LonLat(address.lon, address.lat) if address is not None else None
    hold = await ports.hold_slot(session, store, store_path, placement.fulfilment_type.value, None, point, now)
    sku, product = (await session.execute(
        select(Sku, Product).join(Product, Product.id == Sku.product_id).where(Sku.id == campaign.sku_id)
    )).one()
    if product.status != "ACTIVE":
        raise DomainError(Codes.INVALID, f"{product.name} is no longer sold", "groupBuyId")
    currency = await session.scalar(select(Tenant.currency).where(Tenant.id == store.tenant_id))
    from commerce.checkout import _address_snapshot, _new_order_number

    order = Order(
        tenant_id=store.tenant_id, number=_new_order_number(now), customer_id=customer_id, store_id=store.id,
        status=OrderStatus.UNPAID.value, fulfilment_type=placement.fulfilment_type.value, currency=currency,
        subtotal_fen=campaign.price_fen, delivery_fee_fen=fee, total_fen=campaign.price_fen + fee,
        stock_state=StockState.RESERVED.value, shipping_address=_address_snapshot(address), note=placement.note,
        expires_at=min(now + unpaid_ttl, group.expires_at), **(hold.order_fields() if hold else {}), created_at=now, updated_at=now,
    )
    session.add(order)
    await session.flush()
    session.add(OrderLine(
        order_id=order.id, sku_id=sku.id, product_name=product.name, sku_code=sku.code, quantity=1,
        unit_price_fen=campaign.price_fen, price_per_quantity=sku.price_per_quantity,
        line_total_fen=campaign.price_fen,
    ))
    if not await stock.reserve(session, store.id, sku.id, 1):
        raise DomainError(Codes.INSUFFICIENT_STOCK, f"not enough {product.name} in stock at this store", "groupBuyId")
    session.add(OrderEvent(order_id=order.id, from_status=None, to_status=OrderStatus.UNPAID.value, actor_type=ActorType.CUSTOMER.value,
                           actor_id=customer_id, reason=f"group buy {group.id}", created_at=now))
    member = GroupBuyMember(group_id=group.id, group_buy_id=campaign.id, customer_id=customer_id, order_id=order.id, status="PENDING", created_at=now)
    session.add(member)
    await session.flush()
    await emit(session, OrderCreated(
        tenant_id=order.tenant_id, at=now, order_id=order.id, number=order.number, store_id=order.store_id,
        customer_id=customer_id, fulfilment_type=order.fulfilment_type, total_fen=order.total_fen, currency=order.currency,
    ))
    return member


# ---------------------------------------------------------------- listeners on order events

async def _member_of(session: AsyncSession, order_id: int, status: str) -> GroupBuyMember | None:
    return await session.scalar(select(GroupBuyMember).where(GroupBuyMember.order_id == order_id, GroupBuyMember.status == status))


async def on_paid(session: AsyncSession, event: OrderPaid) -> None:
    """The payment holds the place; the size-th payment forms the group."""
    member = await _member_of(session, event.order_id, "PENDING")
    if member is None:
        return
    counted = await session.execute(
        update(GroupBuyGroup)
        .where(GroupBuyGroup.id == member.group_id, GroupBuyGroup.status == "OPEN", GroupBuyGroup.expires_at > event.at,
               GroupBuyGroup.paid < GroupBuyGroup.seats)
        .values(paid=GroupBuyGroup.paid + 1),
        execution_options=_NO_SYNC,
    )
    if counted.rowcount != 1:
        # Raising rolls the payment's transition back: the payment service refunds the money.
        raise DomainError(Codes.GROUP_CLOSED, "this group closed before the payment arrived", "orderId")
    await session.execute(update(GroupBuyMember).where(GroupBuyMember.id == member.id).values(status="PAID"), execution_options=_NO_SYNC)
    formed = await session.execute(
        update(GroupBuyGroup)
        .where(GroupBuyGroup.id == member.group_id, GroupBuyGroup.status == "OPEN", GroupBuyGroup.paid == GroupBuyGroup.size)
        .values(status="FORMED", formed_at=event.at),
        execution_options=_NO_SYNC,
    )
    if formed.rowcount == 1:
        log.info("group buy group %s formed", member.group_id)


async def _give_back(session: AsyncSession, member: GroupBuyMember, paid: bool) -> None:
    values = {"seats": GroupBuyGroup.seats - 1}
    if paid:
        values["paid"] = GroupBuyGroup.paid - 1
    await session.execute(
        update(GroupBuyGroup).where(GroupBuyGroup.id == member.group_id, GroupBuyGroup.status == "OPEN", GroupBuyGroup.seats > 0,
                                    *( [GroupBuyGroup.paid > 0] if paid else [] )).values(**values),
        execution_options=_NO_SYNC,
    )
    await session.execute(
        update(GroupBuyBuyer).where(GroupBuyBuyer.group_buy_id == member.group_buy_id, GroupBuyBuyer.customer_id == member.customer_id,
                                    GroupBuyBuyer.places > 0).values(places=GroupBuyBuyer.places - 1),
        execution_options=_NO_SYNC,
    )


async def on_cancelled(session: AsyncSession, event: OrderCancelled) -> None:
    """An unpaid member order was cancelled or expired: its place and limit come back."""
    member = await _member_of(session, event.order_id, "PENDING")
    if member is None:
        return
    done = await session.execute(
        update(GroupBuyMember).where(GroupBuyMember.id == member.id, GroupBuyMember.status == "PENDING").values(status="RELEASED"),
        execution_options=_NO_SYNC,
    )
    if done.rowcount == 1:
        await _give_back(session, member, paid=False)


async def on_refunded(session: AsyncSession, event: OrderRefunded) -> None:
    """A paid member's order was refunded (the customer before the group formed, or expiry)."""
    member = await _member_of(session, event.order_id, "PAID")
    if member is None:
        return
    done = await session.execute(
        update(GroupBuyMember).where(GroupBuyMember.id == member.id, GroupBuyMember.status == "PAID").values(status="REFUNDED"),
        execution_options=_NO_SYNC,
    )
    if done.rowcount == 1:
        await _give_back(session, member, paid=True)  # only changes the group while it is still OPEN


async def hold_until_formed(session: AsyncSession, event: OrderStatusChanged) -> None:
    """A paid group-buy order cannot be picked, packed or dispatched before its group forms."""
    if event.from_status != OrderStatus.PAID.value or event.to_status in (OrderStatus.REFUNDED.value, OrderStatus.CANCELLED.value):
        return
    waiting = await session.scalar(
        select(GroupBuyGroup.id).join(GroupBuyMember, GroupBuyMember.group_id == GroupBuyGroup.id)
        .where(GroupBuyMember.order_id == event.order_id, GroupBuyGroup.status != "FORMED")
    )
    if waiting is not None:
        raise DomainError(OrderErrorCode.GROUP_BUY_NOT_FORMED, "this order waits until its group buy forms", "orderId")


def register_listeners() -> None:
    register(OrderPaid, on_paid)
    register(OrderCancelled, on_cancelled)
    register(OrderRefunded, on_refunded)
    register(OrderStatusChanged, hold_until_formed)


# ---------------------------------------------------------------- expiry (the sweeper)

async def expire_groups(database, now: datetime, batch: int = 100) -> int:
    """Fail OPEN groups past their window: refund every paid member (order REFUNDED, stock
    released, payment REFUND_REQUIRED for the refund sweep), cancel unpaid members' orders.
    One transaction per group; the status compare-and-set makes a re-run or a second process a no-op."""
    async with database.read() as session:
        due = list(await session.scalars(
            select(GroupBuyGroup.id).where(GroupBuyGroup.status == "OPEN", GroupBuyGroup.expires_at <= now).order_by(GroupBuyGroup.id).limit(batch)
        ))
    failed = 0
    for group_id in due:
        try:
            failed += await _fail_group(database, group_id, now)
        except DomainError as exc:  # an order changed meanwhile: this group's work rolled back, retried next run
            log.warning("group buy group %s: expiry retried on the next run (%s)", group_id, exc)
    return failed


async def _fail_group(database, group_id: int, now: datetime) -> int:
    """One expired group, in one transaction: FAILED, then its members' orders refunded or cancelled."""
    async with database.write() as session:
        closed = await session.execute(
            update(GroupBuyGroup).where(GroupBuyGroup.id == group_id, GroupBuyGroup.status == "OPEN", GroupBuyGroup.expires_at <= now)
            .values(status="FAILED"),
            execution_options=_NO_SYNC,
        )
        if closed.rowcount != 1:
            return 0  # formed or failed meanwhile
        members = (await session.scalars(
            select(GroupBuyMember).where(GroupBuyMember.group_id == group_id, GroupBuyMember.status.in_(("PENDING", "PAID")))
            .order_by(GroupBuyMember.id)
        )).all()
        for member in members:
            order = await session.scalar(select(Order).where(Order.id == member.order_id).with_for_update())
            if order.status == OrderStatus.UNPAID.value:
                await apply_transition(session, order, OrderStatus.CANCELLED, actor=ActorType.SYSTEM, actor_id=None, now=now,
                                       reason="group buy did not form")
            elif order.status == OrderStatus.PAID.value:
                await apply_transition(session, order, OrderStatus.REFUNDED, actor=ActorType.SYSTEM, actor_id=None, now=now,
                                       reason="group buy did not form")
                await session.execute(
                    update(Payment).where(Payment.order_id == order.id, Payment.status == "SUCCEEDED")
                    .values(status="REFUND_REQUIRED", updated_at=now),
                    execution_options=_NO_SYNC,
                )
    return 1
