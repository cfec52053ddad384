"""Tenant A's credentials never read or change tenant B's data.

Every mutation of the schema has an entry in CASES: it is called with tenant A's most powerful
relevant principal against tenant B's ids (X-Tenant names B too), must answer the precise payload
error, and every row of tenant B must be byte-for-byte unchanged afterwards. The same call aimed
at A's own ids must then succeed, so an entry cannot pass because of a broken document.
test_every_mutation_has_a_cross_tenant_case makes a new mutation without an entry fail the suite.
"""
from __future__ import annotations

import uuid
from datetime import timedelta
from collections.abc import Callable
from dataclasses import dataclass, field

from graphql import build_schema as build_graphql_schema
from sqlalchemy import select

import auth.models  # noqa: F401  (register every table on the metadata)
import commerce.models  # noqa: F401
import delivery.models  # noqa: F401
import delivery.dispatch_models  # noqa: F401
import payments.models  # noqa: F401
import store_network.models  # noqa: F401
from core.clock import utc_now
from core.errors import CommonErrorCode
from core.settings import Settings
from db.base import Base
from schema.root import build_schema
from store_network import provisioning
from auth.api_keys import generate_api_key
from store_network.models import ApiKey, NetworkNode
from geo.models import DeliveryZoneRow
from tests.api import gql_documents as docs
from tests.api.helpers import pay, place_order
from tests.worlds import CHEAP_HASH, PASSWORD, World, build_world

from payments.simulators.test_keys import MERCHANT_PRIVATE_PEM, PLATFORM_PUBLIC_PEM  # noqa: E402

MOBILE = "+8613800000001"  # alice's mobile, in both tenants


def child_link(table) -> tuple[str, str]:
    """(foreign key column, parent table) of a table without tenant_id: its first foreign key to a
    table that has one. Every table must belong to a tenant one way or the other; a table with
    neither fails here, so a new table cannot silently escape the isolation checks."""
    for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
        if "tenant_id" in fk.column.table.c:
            return fk.parent.name, fk.column.table.name
    raise AssertionError(f"table {table.name} has no tenant_id and no foreign key to a table with one")


async def tenant_rows(database, tenant_id: int) -> dict[str, list[tuple]]:
    """Every row that belongs to one tenant, in every table (children through their parent)."""
    tables = Base.metadata.tables
    dump: dict[str, list[tuple]] = {}
    async with database.read() as session:
        for table in Base.metadata.sorted_tables:
            if table.name == "tenant":
                query = select(table).where(table.c.id == tenant_id)
            elif "tenant_id" in table.c:
                query = select(table).where(table.c.tenant_id == tenant_id)
            else:
                column, parent = child_link(table)
                owned = select(tables[parent].c.id).where(tables[parent].c.tenant_id == tenant_id)
                query = select(table).where(table.c[column].in_(owned))
            dump[table.name] = sorted(tuple(map(repr, row)) for row in (await session.execute(query)).all())
    return dump


@dataclass
class Pair:
    a: World
    b: World
    unpaid: dict[str, str] = field(default_factory=dict)  # slug -> Order gid (alice, store a)
    paid: dict[str, str] = field(default_factory=dict)
    a_only_user: str = ""
    a_refresh: str = ""
    login_code: str = ""
    riders: dict[str, str] = field(default_factory=dict)  # slug -> Rider gid
    shifts: dict[str, str] = field(default_factory=dict)  # slug -> RiderShift gid
    pickup: dict[str, tuple[str, str]] = field(default_factory=dict)  # slug -> (Order gid awaiting pickup, its code)
    awaiting: dict[str, str] = field(default_factory=dict)  # slug -> another Order gid awaiting pickup (orderComplete)
    api_keys: dict[str, str] = field(default_factory=dict)  # slug -> ApiKey gid (HQ_ADMIN at HQ)
    zones: dict[str, str] = field(default_factory=dict)  # slug -> DeliveryZone gid (store a)
    distribution: dict[str, dict] = field(default_factory=dict)  # slug -> invite token, bob's salesperson, share token, withdrawal
    webhooks: dict[str, str] = field(default_factory=dict)  # slug -> WebhookEndpoint gid (store systems)
    members: dict[str, dict] = field(default_factory=dict)  # slug -> membership fixtures (issue #14)
    dispatch: dict[str, dict] = field(default_factory=dict)  # slug -> dispatch fixtures (issue 5), see _dispatch_fixtures
    paid_line: dict[str, str] = field(default_factory=dict)  # slug -> OrderLine gid of the paid order (issue 20)
    after_sales: dict[str, str] = field(default_factory=dict)  # slug -> AfterSales gid on the awaiting order (issue 20)
    promotions: dict[str, str] = field(default_factory=dict)  # slug -> Promotion gid (a coupon template at HQ)
    group_buys: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # slug -> (GroupBuy gid, share token of bob's group, his Order gid)
    storefronts: dict[str, str] = field(default_factory=dict)  # slug -> StorefrontVersion gid of HQ's draft (version 1 is published)
    time_prices: dict[str, str] = field(default_factory=dict)  # slug -> TimePrice gid (store a, bread; store-network pricing)
    images: dict[str, list[str]] = field(default_factory=dict)  # slug -> two ProductImage gids of bread (issue 12 item 4)


async def post(client, query: str, variables: dict, *, token: str | None, tenant: str | None) -> dict:
    headers = {"X-Tenant": tenant} if tenant else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def build_pair(client, database, services) -> Pair:
    pair = Pair(await build_world(database, services), await build_world(database, services))
    for world in (pair.a, pair.b):
        await _delivery_fixtures(client, pair, world)  # first: its checkout empties alice's cart
        await _dispatch_fixtures(client, pair, world)
        await _promotion_fixtures(client, pair, world)
        await _group_buy_fixtures(client, pair, world)
        await _storefront_fixtures(client, pair, world)
        pair.time_prices[world.slug] = await _time_price_fixture(world)
        pair.unpaid[world.slug] = (await place_order(client, world, {"milk": 1}, fulfilment="STORE_PICKUP"))["order"]["id"]
        paid = (await place_order(client, world, {"bread": 1}, fulfilment="STORE_PICKUP"))["order"]["id"]
        await pay(client, world, paid)
        pair.paid[world.slug] = paid
        await _after_sales_fixtures(client, pair, world)
        await _membership_fixtures(client, pair, world)  # before the cart below: its checkout takes alice's cart
        added = await world.gql(client, docs.ADD_LINES, {"store": world.store("a"), "lines": [{"skuId": world.sku("milk"), "quantity": 2}]},
                                token=world.customer_token())
        assert added["data"]["cartLinesAdd"]["errors"] == []
    pair.a_only_user = f"only-{pair.a.slug}"
    async with database.write() as session:
        hq = await session.get(NetworkNode, pair.a.hq_node_id)
        await provisioning.add_staff(session, pair.a.tenant_id, pair.a_only_user, "", [("HQ_ADMIN", hq)], password_hash=CHEAP_HASH)
    login = await post(client, STAFF_LOGIN, {"u": pair.a_only_user, "p": PASSWORD}, token=None, tenant=pair.a.slug)
    pair.a_refresh = login["data"]["staffLogin"]["tokens"]["refreshToken"]
    sent = await post(client, REQUEST_CODE, {"m": MOBILE}, token=None, tenant=pair.a.slug)
    assert sent["data"]["requestLoginCode"] == {"sent": True, "errors": []}
    pair.login_code = services.sms.last_code(MOBILE)
    for world in (pair.a, pair.b):
        async with database.write() as session:
            hq = await session.get(NetworkNode, world.hq_node_id)
            plain, prefix, key_hash = generate_api_key()
            key = ApiKey(tenant_id=world.tenant_id, name="pos", prefix=prefix, key_hash=key_hash, role="HQ_ADMIN", node_id=hq.id)
            session.add(key)
            await session.flush()
            pair.api_keys[world.slug] = world.gid("ApiKey", key.id)
            zone = DeliveryZoneRow(tenant_id=world.tenant_id, store_id=world.store_ids["a"], tier=1, name="3 km", kind="RADIUS",
                                   radius_m=3000.0, fee_rule={"type": "DISTANCE_BANDS", "bands": [[None, 400]]}, express_allowed=True)
            session.add(zone)
            await session.flush()
            pair.zones[world.slug] = world.gid("DeliveryZone", zone.id)
            from webhooks.endpoints import create_endpoint as create_webhook
            from auth.service import principal_from_access_token

            staff = await principal_from_access_token(session, world.services.signer, world.staff_token("hq"))
            hook, _ = await create_webhook(session, staff, world.services.secret_box, url="http://127.0.0.1:9/h",
                                           event_types=[], description="", production=False)
            pair.webhooks[world.slug] = world.gid("WebhookEndpoint", hook.id)
        pair.distribution[world.slug] = await _distribution_fixtures(world)
        pair.images[world.slug] = await _media_fixtures(world)
    return pair


async def _time_price_fixture(world: World) -> str:
    """A time price (store a, bread -10%, a day a month ahead: it never prices this test's orders)
    whose end another tenant must not reach."""
    from network_pricing import time_prices
    from tests.distribution.helpers import hq_principal

    async with world.services.database.write() as session:
        spec = time_prices.TimePriceSpec(sku_id=world.sku_ids["bread"], store_id=world.store_ids["a"], percent_off=10,
                                         starts_at=utc_now() + timedelta(days=30), ends_at=utc_now() + timedelta(days=31))
        row = await time_prices.create_time_price(session, await hq_principal(session, world), spec)
        return world.gid("TimePrice", row.id)
async def _media_fixtures(world: World) -> list[str]:
    """Two images in bread's gallery (product media, issue 12 item 4)."""
    from media.models import ProductImage

    async with world.services.database.write() as session:
        rows = [ProductImage(tenant_id=world.tenant_id, product_id=world.product_ids["bread"], url=f"https://cdn.example.com/{i}.jpg",
                             width=10, height=10, alt_text="", position=i) for i in range(2)]
        session.add_all(rows)
        await session.flush()
        return [world.gid("ProductImage", row.id) for row in rows]


async def _distribution_fixtures(world: World) -> dict:
    """An open invite, bob as a salesperson with a share token and a withdrawal awaiting review (issue 15)."""
    from distribution import attribution, commission, enrolment, withdrawals
    from ledger import Leg, account, post
    from tests.distribution.helpers import hq_principal

    async with world.services.database.write() as session:
        hq = await hq_principal(session, world)
        _, invite = await enrolment.create_invite(session, hq, store_id=world.store_ids["a"], kind="EMPLOYEE", uses=5, ttl_hours=1)
        _, bobs = await enrolment.create_invite(session, hq, store_id=world.store_ids["a"], kind="EMPLOYEE", uses=1, ttl_hours=1)
        bob = await enrolment.accept_invite(session, world.tenant_id, world.customer_ids["bob"], bobs)
        expense = await commission.expense_account(session, world.tenant_id)
        wallet = await account(session, world.tenant_id, commission.WITHDRAWABLE, "salesperson", bob.id)
        await post(session, world.tenant_id, "test.seed", [Leg(expense, -500), Leg(wallet, 500)], idempotency_key="seed-bob")
        withdrawal = await withdrawals.request_withdrawal(session, bob, 200, "w-bob")
        share, _ = attribution.share_token(world.services.settings.secret_key, world.tenant_id, bob.id)
        from distribution.models import PickupPoint  # a pending pickup point of bob's (issue 15 item 3)

        point = PickupPoint(tenant_id=world.tenant_id, salesperson_id=bob.id, store_id=world.store_ids["a"], name="iso", address="iso",
                            lon=120.0, lat=30.0, hours="daily", status="PENDING")
        session.add(point)
        await session.flush()
        return {"invite": invite, "bob": world.gid("Salesperson", bob.id), "share": share, "point": world.gid("PickupPoint", point.id),
                "withdrawal": world.gid("CommissionWithdrawal", withdrawal.id), "product": world.gid("Product", world.product_ids["bread"])}


async def _after_sales_fixtures(client, pair: Pair, world: World) -> None:
    """The paid order's line, and an after-sales request of alice's on the awaiting order (issue 20)."""
    from commerce.models import OrderLine
    from schema.ids import decode

    async def line_of(order: str) -> str:
        async with world.services.database.read() as session:
            line = await session.scalar(select(OrderLine.id).where(OrderLine.order_id == decode(order, "Order", CommonErrorCode, "id")))
        return world.gid("OrderLine", line)

    pair.paid_line[world.slug] = await line_of(pair.paid[world.slug])
    asked = await post(client, AFTER_SALES_REQUEST, {"id": pair.awaiting[world.slug], "line": await line_of(pair.awaiting[world.slug]),
                                                     "key": f"as-{uuid.uuid4()}"}, token=world.customer_token(), tenant=world.slug)
    assert asked["data"]["afterSalesRequest"]["errors"] == [], asked
    pair.after_sales[world.slug] = asked["data"]["afterSalesRequest"]["afterSales"]["id"]


async def _membership_fixtures(client, pair: Pair, world: World) -> None:
    """Alice is a member with 100.00 stored value and 100 points, a top-up plan, and an unpaid
    order of her own for the membership payment cases (issue #14)."""
    from membership import points
    from membership.models import Member, TopUpPlan
    from tests.membership.helpers import join, top_up

    member_id = await join(world)
    await top_up(world, member_id, 10000, 0)
    async with world.services.database.write() as session:
        await points.credit(session, await session.get(Member, member_id), 100, source="test", reference="iso", now=utc_now())
        plan = TopUpPlan(tenant_id=world.tenant_id, name="iso", pay_fen=5000, bonus_fen=500, active=True)
        session.add(plan)
        await session.flush()
        plan_id = plan.id
    order = (await place_order(client, world, {"bread": 1}, fulfilment="STORE_PICKUP"))["order"]["id"]
    pair.members[world.slug] = {"member": world.gid("Member", member_id), "member_pk": member_id,
                                "plan": world.gid("TopUpPlan", plan_id), "order": order}


async def _no_errors(pair: Pair, payload: dict, database) -> None:
    """A mutation that names no id and acts on the caller's own tenant (B's rows are compared by the caller)."""
    assert payload["errors"] == [], payload


async def _delivery_fixtures(client, pair: Pair, world: World) -> None:
    """A rider with a shift, and a pickup order awaiting collection with its code (issue 4)."""
    from delivery.models import PickupCode, RiderShift
    from delivery.pickup_codes import code_for, pickup_key
    from schema.ids import decode
    from tests.slots.helpers import roster

    (rider,) = await roster(world, "a", start=utc_now() + timedelta(days=2), hours=4)
    pair.riders[world.slug] = world.gid("Rider", rider)
    async with world.services.database.read() as session:
        shift = await session.scalar(select(RiderShift.id).where(RiderShift.rider_id == rider))
    pair.shifts[world.slug] = world.gid("RiderShift", shift)
    for _ in range(2):
        order = (await place_order(client, world, {"bread": 1}, fulfilment="STORE_PICKUP"))["order"]["id"]
        await pay(client, world, order)
        for status in ("PICKING", "READY", "AWAITING_PICKUP"):
            moved = await world.gql(client, docs.TRANSITION, {"order": order, "status": status}, token=world.staff_token("hq"))
            assert moved["data"]["orderTransition"]["errors"] == []
        pair.awaiting.setdefault(world.slug, order)
    async with world.services.database.read() as session:
        nonce = await session.scalar(select(PickupCode.nonce).where(PickupCode.order_id == decode(order, "Order", CommonErrorCode, "id")))
    pair.pickup[world.slug] = (order, code_for(pickup_key(world.services.settings.secret_key), nonce))


async def _dispatch_fixtures(client, pair: Pair, world: World) -> None:
    """Four READY delivery orders of bob's; a rider on shift holding o3 and o4 (o1, o2 free); a
    second rider on shift with no tasks (shift and position cases); a rider login code in A."""
    from auth.roles import Principal
    from delivery.board import assignments
    from delivery.board.events import Outbox
    from delivery.board.proof import code_for, proof_key
    from delivery.models import Rider
    from tests.dispatch_api.helpers import add_rider, delivery_order, order_row, pk
    from tests.slots.helpers import roster

    await roster(world, "a", riders=1, hours=10)  # a rider on shift now: today's slots are bookable
    orders = {f"o{i}": await delivery_order(client, world, customer="bob") for i in range(1, 5)}
    rider, idle = await add_rider(world), await add_rider(world)
    async with world.services.database.write() as session:
        hq = Principal.staff(world.tenant_id, world.staff_ids["hq"], (await _grants(session, world)))
        for key in ("o3", "o4"):
            await assignments.assign(session, hq, pk(orders[key]), rider, utc_now(), Outbox())
        mobile = (await session.get(Rider, rider)).mobile
    code = code_for(proof_key(world.services.settings.secret_key), await order_row(world, orders["o3"]))
    pair.dispatch[world.slug] = {**orders, "rider": world.gid("Rider", rider), "rider_pk": rider, "idle_pk": idle,
                                 "mobile": mobile, "code": code}
    from tests.couriers.kit import book as book_courier  # a courier delivery per tenant (issue 11)

    pair.dispatch[world.slug]["courier"] = world.gid("CourierDelivery", (await book_courier(world, "dada")).delivery_id)
    if world is pair.a:
        sent = await post(client, REQUEST_CODE, {"m": mobile}, token=None, tenant=world.slug)
        assert sent["data"]["requestLoginCode"]["sent"] is True
        pair.dispatch[world.slug]["login_code"] = world.services.sms.last_code(mobile)


async def _grants(session, world: World):
    from auth.service import staff_grants

    return await staff_grants(session, world.staff_ids["hq"])


def _rider_of_a(status: str | None) -> Callable:
    """A rider mutation that names no foreign id acts on the caller's own rider, in tenant A."""

    async def check(pair: Pair, payload: dict, database) -> None:
        assert payload["errors"] == [], payload
        if status is not None:
            assert payload["rider"] == {"id": pair.a.gid("Rider", pair.dispatch[pair.a.slug]["idle_pk"]), "status": status}, payload
        rows = await tenant_rows(database, pair.a.tenant_id)
        if status is None:  # a position report: stored for A's rider
            index = [c.name for c in Base.metadata.tables["rider_position"].columns].index("rider_id")
            assert any(row[index] == repr(pair.dispatch[pair.a.slug]["idle_pk"]) for row in rows["rider_position"])

    return check


def _slot(world: World) -> str:
    from delivery.errors import SlotKind
    from delivery.slots.slot_id import encode

    start = (utc_now() + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    return encode(world.store_ids["a"], SlotKind.SLOT_60, start)


E = "errors { code field message }"
REQUEST_CODE = f"mutation($m: String!) {{ requestLoginCode(input: {{mobile: $m}}) {{ sent {E} }} }}"
AFTER_SALES_REQUEST = f"""mutation($id: ID!, $line: ID!, $key: String!) {{ afterSalesRequest(input: {{orderId: $id, idempotencyKey: $key,
    kind: REFUND, reason: "bruised", photos: ["https://img.example.com/1.jpg"], lines: [{{lineId: $line, quantity: 1}}]}}) {{
    afterSales {{ id }} {E} }} }}"""
STAFF_LOGIN = f"mutation($u: String!, $p: String!) {{ staffLogin(input: {{username: $u, password: $p}}) {{ tokens {{ accessToken refreshToken }} {E} }} }}"
AUTH_TOKENS = f"tokens {{ accessToken refreshToken }} {E}"


@dataclass(frozen=True)
class Case:
    doc: str
    variables: Callable[[Pair, World], dict]  # built for a target world: B for the attack, A for the control
    principals: tuple[str, ...]  # tenant A's principals that try: "hq", "alice" or "anon"
    expect: str | Callable  # the exact payload error code, or a check that the effect stayed in tenant A
    tenant: Callable[[Pair, World], str | None] = lambda pair, target: target.slug  # the X-Tenant header sent


async def _only_not_found(payload: dict) -> None:
    assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"] and payload.get("delivery") is None, payload


def _order_doc(name: str) -> str:
    return f"mutation($id: ID!) {{ {name}(input: {{orderId: $id}}) {{ order {{ status }} {E} }} }}"


def own_tenant(table: str, column: str, value_of: Callable[[Pair], str]) -> Callable:
    """A mutation that names no foreign id can only act in the caller's own tenant A."""

    async def check(pair: Pair, payload: dict, database) -> None:
        assert payload["errors"] == [], payload
        rows = await tenant_rows(database, pair.a.tenant_id)
        index = [c.name for c in Base.metadata.tables[table].columns].index(column)
        assert any(row[index] == repr(value_of(pair)) for row in rows[table]), f"{table} row not in tenant A"

    return check


async def _refresh_bound_to_a(pair: Pair, payload: dict, database) -> None:
    assert payload["errors"] == [], payload
    claims = pair.a.services.signer.verify_access(payload["tokens"]["accessToken"])
    assert claims.tenant_id == pair.a.tenant_id != pair.b.tenant_id


async def _logout_ends_only_as_session(pair: Pair, payload: dict, database) -> None:
    """Presented under X-Tenant B, A's refresh token ends A's session (the token names it), and no other."""
    from auth.models import RefreshToken, RefreshTokenFamily

    assert payload == {"loggedOut": True, "errors": []}, payload
    jti = pair.a.services.signer.verify_refresh(pair.a_refresh).jti
    async with database.read() as session:
        family = await session.scalar(
            select(RefreshTokenFamily).join(RefreshToken, RefreshToken.family_id == RefreshTokenFamily.id).where(RefreshToken.jti == jti)
        )
    assert family.tenant_id == pair.a.tenant_id and family.revoked_reason == "LOGOUT"


async def _not_a_salesperson_in_b(pair: Pair, payload: dict, database) -> None:
    """alice of A withdraws under X-Tenant B: her token's tenant A counts, where she sells nothing."""
    assert [e["code"] for e in payload["errors"]] == ["NOT_A_SALESPERSON"] and payload["withdrawal"] is None, payload


async def _settles_own_tenant(pair: Pair, payload: dict, database) -> None:
    assert payload == {"settled": 0, "errors": []}, payload


def _errors_are(code: str) -> Callable:
    """For a mutation whose control needs a secret tenant A cannot reuse (a voucher code)."""

    async def check(pair: Pair, payload: dict, database) -> None:
        assert [e["code"] for e in payload["errors"]] == [code] and not any(v for k, v in payload.items() if k not in ("errors", "replayed")), payload

    return check


PROMOTION_WINDOW = 'startsAt: "2026-01-01T00:00:00Z", endsAt: "2036-01-01T00:00:00Z"'


async def _promotion_fixtures(client, pair: Pair, world: World) -> None:
    doc = f"""mutation($n: ID!) {{ promotionCreate(input: {{nodeId: $n, kind: COUPON, name: "iso", perCustomerLimit: 50, {PROMOTION_WINDOW},
        actions: [{{code: "amount_off", arguments: [{{name: "amount", value: "1.00"}}]}}]}}) {{ promotion {{ id }} {E} }} }}"""
    made = await world.gql(client, doc, {"n": world.gid("NetworkNode", world.hq_node_id)}, token=world.staff_token("hq"))
    assert made["data"]["promotionCreate"]["errors"] == [], made
    pair.promotions[world.slug] = made["data"]["promotionCreate"]["promotion"]["id"]


async def _group_buy_fixtures(client, pair: Pair, world: World) -> None:
    """A group buy at HQ and a group bob opened at store a (alice may join it in the control)."""
    doc = f"""mutation($n: ID!, $k: ID!) {{ groupBuyCreate(input: {{nodeId: $n, skuId: $k, name: "iso", price: "1.00", groupSize: 3,
        windowHours: 24, perCustomerLimit: 5, {PROMOTION_WINDOW}}}) {{ groupBuy {{ id }} {E} }} }}"""
    made = await world.gql(client, doc, {"n": world.gid("NetworkNode", world.hq_node_id), "k": world.sku("bread")}, token=world.staff_token("hq"))
    assert made["data"]["groupBuyCreate"]["errors"] == [], made
    campaign = made["data"]["groupBuyCreate"]["groupBuy"]["id"]
    start = f"""mutation($g: ID!, $s: ID!) {{ groupBuyStart(input: {{groupBuyId: $g, storeId: $s, fulfilmentType: STORE_PICKUP}})
        {{ group {{ shareToken }} orderId {E} }} }}"""
    opened = await world.gql(client, start, {"g": campaign, "s": world.store("a")}, token=world.customer_token("bob"))
    assert opened["data"]["groupBuyStart"]["errors"] == [], opened
    started = opened["data"]["groupBuyStart"]
    pair.group_buys[world.slug] = (campaign, started["group"]["shareToken"], started["orderId"])


STOREFRONT_SAVE = f"""mutation($n: ID!) {{ storefrontDraftSave(input: {{nodeId: $n, document: {{sections: [
    {{key: "notice", type: NOTICE_BAR, text: "iso"}}]}}}}) {{ storefrontVersion {{ id }} {E} }} }}"""


async def _storefront_fixtures(client, pair: Pair, world: World) -> None:
    """HQ's storefront: version 1 published, version 2 a draft."""
    node = world.gid("NetworkNode", world.hq_node_id)
    publish = f"mutation($v: ID!) {{ storefrontPublish(input: {{versionId: $v}}) {{ storefrontVersion {{ id }} {E} }} }}"
    for step in (1, 2):
        saved = await world.gql(client, STOREFRONT_SAVE, {"n": node}, token=world.staff_token("hq"))
        assert saved["data"]["storefrontDraftSave"]["errors"] == [], saved
        version = saved["data"]["storefrontDraftSave"]["storefrontVersion"]["id"]
        if step == 1:
            published = await world.gql(client, publish, {"v": version}, token=world.staff_token("hq"))
            assert published["data"]["storefrontPublish"]["errors"] == [], published
    pair.storefronts[world.slug] = version


CASES: dict[str, Case] = {
    # requestLoginCode names no tenant-B object; its tenant is the X-Tenant selector, and one that
    # names no tenant is refused (a code is then usable only in its tenant: see customerLogin).
    "requestLoginCode": Case(REQUEST_CODE, lambda p, t: {"m": "+8613800000009"}, ("anon",), "UNKNOWN_TENANT",
                             tenant=lambda p, t: t.slug if t is p.a else f"{p.b.slug}-gone"),
    "customerLogin": Case(
        f"mutation($m: String!, $c: String!) {{ customerLogin(input: {{mobile: $m, code: $c}}) {{ {AUTH_TOKENS} }} }}",
        lambda p, t: {"m": MOBILE, "c": p.login_code}, ("anon",), "CODE_INVALID"),
    "staffLogin": Case(STAFF_LOGIN, lambda p, t: {"u": p.a_only_user, "p": PASSWORD}, ("anon",), "INVALID_CREDENTIALS"),
    "tokenRefresh": Case(
        f"mutation($r: String!) {{ tokenRefresh(input: {{refreshToken: $r}}) {{ {AUTH_TOKENS} }} }}",
        lambda p, t: {"r": p.a_refresh}, ("anon",), _refresh_bound_to_a),
    "logout": Case(
        f"mutation($r: String) {{ logout(input: {{refreshToken: $r}}) {{ loggedOut {E} }} }}",
        lambda p, t: {"r": p.a_refresh}, ("anon",), _logout_ends_only_as_session),
    "addressCreate": Case(
        f"""mutation($r: String!) {{ addressCreate(input: {{recipient: $r, mobile: "{MOBILE}", line: "2 Road",
            longitude: 120.16, latitude: 30.28}}) {{ address {{ id }} {E} }} }}""",
        lambda p, t: {"r": f"cross-{p.b.slug}"}, ("alice",), own_tenant("address", "recipient", lambda p: f"cross-{p.b.slug}")),
    "addressUpdate": Case(
        f"""mutation($id: ID!) {{ addressUpdate(input: {{id: $id, recipient: "Moved", longitude: 121.0, latitude: 31.0}}) {{
            address {{ id }} {E} }} }}""",
        lambda p, t: {"id": t.gid("Address", t.address_ids["alice"])}, ("alice",), "NOT_FOUND"),
    "addressDelete": Case(
        f"mutation($id: ID!) {{ addressDelete(input: {{id: $id}}) {{ deletedId {E} }} }}",
        lambda p, t: {"id": t.gid("Address", t.address_ids["alice"])}, ("alice",), "NOT_FOUND"),
    "categoryCreate": Case(
        f"mutation($s: String!) {{ categoryCreate(input: {{slug: $s, name: \"Veg\"}}) {{ category {{ id }} {E} }} }}",
        lambda p, t: {"s": f"veg-{p.b.slug}"}, ("hq",), own_tenant("category", "slug", lambda p: f"veg-{p.b.slug}")),
    "productCreate": Case(
        f"""mutation($c: ID!) {{ productCreate(input: {{categoryId: $c, slug: "pear", name: "Pear",
            skus: [{{code: "SKU-pear", basePrice: "3.00"}}]}}) {{ product {{ id }} {E} }} }}""",
        lambda p, t: {"c": t.gid("Category", t.category_id)}, ("hq",), "NOT_FOUND"),
    "productUpdate": Case(
        f"mutation($id: ID!) {{ productUpdate(input: {{id: $id, name: \"Hacked\"}}) {{ product {{ name }} {E} }} }}",
        lambda p, t: {"id": t.gid("Product", t.product_ids["milk"])}, ("hq",), "NOT_FOUND"),
    "storePriceSet": Case(
        f"mutation($s: ID!, $k: ID!) {{ storePriceSet(input: {{storeId: $s, skuId: $k, price: \"0.01\"}}) {{ price {{ amount }} {E} }} }}",
        lambda p, t: {"s": t.store("a"), "k": t.sku("milk")}, ("hq",), "NOT_FOUND"),
    "stockSet": Case(
        f"mutation($s: ID!, $k: ID!) {{ stockSet(input: {{storeId: $s, skuId: $k, onHand: 2500}}) {{ onHand {E} }} }}",
        lambda p, t: {"s": t.store("a"), "k": t.sku("apple")}, ("hq",), "NOT_FOUND"),
    "storeUpdate": Case(
        f"mutation($id: ID!) {{ storeUpdate(input: {{id: $id, name: \"Hacked\", prepMinutes: 99}}) {{ store {{ name }} {E} }} }}",
        lambda p, t: {"id": t.store("a")}, ("hq",), "NOT_FOUND"),
    "networkNodeControlSet": Case(
        f"mutation($id: ID!) {{ networkNodeControlSet(input: {{nodeId: $id, prices: STRONG}}) {{ node {{ id }} {E} }} }}",
        lambda p, t: {"id": t.gid("NetworkNode", t.hq_node_id)}, ("hq",), "NOT_FOUND"),
    "cartLinesAdd": Case(
        f"mutation($s: ID!, $k: ID!) {{ cartLinesAdd(input: {{storeId: $s, lines: [{{skuId: $k, quantity: 1}}]}}) {{ cart {{ id }} {E} }} }}",
        lambda p, t: {"s": t.store("a"), "k": t.sku("milk")}, ("alice",), "NOT_FOUND"),
    "cartLinesUpdate": Case(
        f"mutation($s: ID!, $k: ID!) {{ cartLinesUpdate(input: {{storeId: $s, lines: [{{skuId: $k, quantity: 5}}]}}) {{ cart {{ id }} {E} }} }}",
        lambda p, t: {"s": t.store("a"), "k": t.sku("milk")}, ("alice",), "NOT_FOUND"),
    "checkoutComplete": Case(
        f"""mutation($s: ID!, $key: String!) {{ checkoutComplete(input: {{storeId: $s, fulfilmentType: STORE_PICKUP,
            idempotencyKey: $key}}) {{ order {{ id }} {E} }} }}""",
        lambda p, t: {"s": t.store("a"), "key": f"iso-{uuid.uuid4()}"}, ("alice",), "NOT_FOUND"),
    "cartLinesRemove": Case(
        f"mutation($s: ID!, $k: ID!) {{ cartLinesRemove(input: {{storeId: $s, skuIds: [$k]}}) {{ cart {{ id }} {E} }} }}",
        lambda p, t: {"s": t.store("a"), "k": t.sku("milk")}, ("alice",), "NOT_FOUND"),
    "orderTransition": Case(
        f"mutation($id: ID!) {{ orderTransition(input: {{orderId: $id, status: PICKING}}) {{ order {{ status }} {E} }} }}",
        lambda p, t: {"id": p.paid[t.slug]}, ("hq",), "NOT_FOUND"),
    "orderComplete": Case(
        f"mutation($id: ID!) {{ orderComplete(input: {{orderId: $id, reason: \"cross-tenant\"}}) {{ order {{ status }} {E} }} }}",
        lambda p, t: {"id": p.awaiting[t.slug]}, ("hq",), "NOT_FOUND"),
    # Real payments and after-sales (issue 20): before orderRefund, whose control refunds the paid order.
    "orderRefundPartial": Case(
        f"""mutation($id: ID!, $key: String!) {{ orderRefundPartial(input: {{orderId: $id, idempotencyKey: $key,
            amount: {{amount: "0.01", currency: "CNY"}}}}) {{ refund {{ id }} refundedTotal {{ amount }} {E} }} }}""",
        lambda p, t: {"id": p.paid[t.slug], "key": f"rf-{uuid.uuid4()}"}, ("hq",), "NOT_FOUND"),
    "afterSalesRequest": Case(AFTER_SALES_REQUEST, lambda p, t: {"id": p.paid[t.slug], "line": p.paid_line[t.slug],
                                                                 "key": f"as-{uuid.uuid4()}"}, ("alice",), "NOT_FOUND"),
    "afterSalesDecide": Case(
        f"mutation($id: ID!) {{ afterSalesDecide(input: {{requestId: $id, approve: true}}) {{ afterSales {{ id }} {E} }} }}",
        lambda p, t: {"id": p.after_sales[t.slug]}, ("hq",), "NOT_FOUND"),
    "orderConfirmReceipt": Case(
        f"mutation($id: ID!) {{ orderConfirmReceipt(input: {{orderId: $id}}) {{ confirmed {E} }} }}",
        lambda p, t: {"id": p.awaiting[t.slug]}, ("alice",), "NOT_FOUND"),
    "paymentMerchantSet": Case(
        f"""mutation($k: String!, $priv: String!, $pub: String!) {{ paymentMerchantSet(input: {{wechatPay: {{mchid: "1900000001",
            appid: "wx1", serialNo: "S1", privateKeyPem: $priv, platformKeyId: $k, platformPublicKeyPem: $pub,
            apiV3Key: "0123456789abcdef0123456789abcdef", notifyUrl: "https://x.example/cb"}}}}) {{ configured {E} }} }}""",
        lambda p, t: {"k": f"PUB_KEY_ID_{p.b.slug}", "priv": MERCHANT_PRIVATE_PEM, "pub": PLATFORM_PUBLIC_PEM}, ("hq",),
        own_tenant("payment_merchant", "lookup_key", lambda p: f"PUB_KEY_ID_{p.b.slug}")),
    "orderRefund": Case(_order_doc("orderRefund"), lambda p, t: {"id": p.paid[t.slug]}, ("hq",), "NOT_FOUND"),
    "orderPay": Case(
        f"mutation($id: ID!, $key: String!) {{ orderPay(input: {{orderId: $id, idempotencyKey: $key}}) {{ payment {{ id }} {E} }} }}",
        lambda p, t: {"id": p.unpaid[t.slug], "key": f"pay-{uuid.uuid4()}"}, ("hq", "alice"), "NOT_FOUND"),
    "orderCancel": Case(_order_doc("orderCancel"), lambda p, t: {"id": p.unpaid[t.slug]}, ("hq", "alice"), "NOT_FOUND"),
    # Delivery promise (issue 4).
    "deliverySettingsSet": Case(
        f"mutation($id: ID!) {{ deliverySettingsSet(input: {{nodeId: $id, expressEnabled: false, cutoffMinutes: 45}}) {{ settings {{ nodeId }} {E} }} }}",
        lambda p, t: {"id": t.gid("NetworkNode", t.hq_node_id)}, ("hq",), "NOT_FOUND"),
    "riderCreate": Case(
        f"""mutation($s: ID!, $m: String!) {{ riderCreate(input: {{homeStoreId: $s, name: "Intruder", mobile: $m}}) {{
            rider {{ id }} {E} }} }}""",
        lambda p, t: {"s": t.store("a"), "m": f"1390000{uuid.uuid4().int % 10**4:04d}"}, ("hq",), "NOT_FOUND"),
    "riderUpdate": Case(
        f"""mutation($r: ID!) {{ riderUpdate(input: {{id: $r, name: "Renamed", capacity: 2, suspended: true}}) {{
            rider {{ id }} {E} }} }}""",
        lambda p, t: {"r": p.riders[t.slug]}, ("hq",), "NOT_FOUND"),
    "riderShiftAdd": Case(
        f"""mutation($r: ID!, $s: ID!, $a: DateTime!, $b: DateTime!) {{ riderShiftAdd(input: {{riderId: $r, storeId: $s,
            startsAt: $a, endsAt: $b}}) {{ shift {{ id }} {E} }} }}""",
        lambda p, t: {"r": p.riders[t.slug], "s": t.store("a"), "a": (utc_now() + timedelta(hours=1)).isoformat(),
                      "b": (utc_now() + timedelta(hours=5)).isoformat()}, ("hq",), "NOT_FOUND"),
    "riderShiftRemove": Case(
        f"mutation($id: ID!) {{ riderShiftRemove(input: {{shiftId: $id}}) {{ shift {{ id }} {E} }} }}",
        lambda p, t: {"id": p.shifts[t.slug]}, ("hq",), "NOT_FOUND"),
    "slotCapSet": Case(
        f"mutation($id: ID!) {{ slotCapSet(input: {{slotId: $id, maxUnits: 1}}) {{ slotId maxUnits {E} }} }}",
        lambda p, t: {"id": _slot(t)}, ("hq",), "SLOT_NOT_FOUND"),
    "pickupCodeVerify": Case(
        f"""mutation($s: ID!, $o: ID!, $c: String!) {{ pickupCodeVerify(input: {{storeId: $s, orderId: $o, code: $c}}) {{
            order {{ status }} {E} }} }}""",
        lambda p, t: {"s": t.store("a"), "o": p.pickup[t.slug][0], "c": p.pickup[t.slug][1]}, ("hq",), "NOT_FOUND"),
    "staffCreate": Case(
        f"""mutation($n: ID!, $u: String!) {{ staffCreate(input: {{username: $u, password: "long enough pw", role: HQ_ADMIN,
            nodeId: $n}}) {{ staff {{ id }} {E} }} }}""",
        lambda p, t: {"n": t.gid("NetworkNode", t.hq_node_id), "u": f"x{uuid.uuid4().hex[:12]}"}, ("hq",), "NOT_FOUND"),
    "apiKeyCreate": Case(
        f"mutation($n: ID!) {{ apiKeyCreate(input: {{name: \"pos\", role: HQ_ADMIN, nodeId: $n}}) {{ key {E} }} }}",
        lambda p, t: {"n": t.gid("NetworkNode", t.hq_node_id)}, ("hq",), "NOT_FOUND"),
    "apiKeyRevoke": Case(
        f"mutation($id: ID!) {{ apiKeyRevoke(input: {{id: $id}}) {{ apiKey {{ revokedAt }} {E} }} }}",
        lambda p, t: {"id": p.api_keys[t.slug]}, ("hq",), "NOT_FOUND"),
    "deliveryZoneCreate": Case(
        f"""mutation($s: ID!) {{ deliveryZoneCreate(input: {{storeId: $s, tier: 2, radiusMeters: 5000,
            feeRule: {{bands: [{{fee: "8.00"}}]}}}}) {{ zone {{ id }} {E} }} }}""",
        lambda p, t: {"s": t.store("a")}, ("hq",), "NOT_FOUND"),
    "deliveryZoneUpdate": Case(
        f"mutation($id: ID!) {{ deliveryZoneUpdate(input: {{id: $id, radiusMeters: 4000}}) {{ zone {{ id }} {E} }} }}",
        lambda p, t: {"id": p.zones[t.slug]}, ("hq",), "NOT_FOUND"),
    "deliveryZoneDelete": Case(
        f"mutation($id: ID!) {{ deliveryZoneDelete(input: {{id: $id}}) {{ deletedId {E} }} }}",
        lambda p, t: {"id": p.zones[t.slug]}, ("hq",), "NOT_FOUND"),
    # Dispatch (issue 5). Controls run in this order: each leaves what the next one needs.
    "courierAccountAdd": Case(
        f"""mutation($s: ID!) {{ courierAccountAdd(input: {{provider: DADA, storeId: $s, credentials: [{{key: "app_key", value: "k"}},
            {{key: "app_secret", value: "s"}}, {{key: "source_id", value: "1"}}, {{key: "shop_no", value: "1"}}]}}) {{ accountId {E} }} }}""",
        lambda p, t: {"s": t.store("a")}, ("hq",), "NOT_FOUND"),
    "courierPolicySet": Case(
        f"mutation($id: ID!) {{ courierPolicySet(input: {{nodeId: $id, feeCapFen: 2000}}) {{ policy {{ choose }} {E} }} }}",
        lambda p, t: {"id": t.gid("NetworkNode", t.hq_node_id)}, ("hq",), "NOT_FOUND"),
    # Calling, cancelling and tipping reach the partner: checked here only against tenant B (no control).
    "courierCall": Case(
        f"mutation($o: ID!) {{ courierCall(input: {{orderId: $o, provider: DADA}}) {{ delivery {{ id }} {E} }} }}",
        lambda p, t: {"o": p.dispatch[t.slug]["o2"]}, ("hq",), lambda p, payload, db: _only_not_found(payload)),
    "courierCancel": Case(
        f"mutation($d: ID!) {{ courierCancel(input: {{deliveryId: $d}}) {{ delivery {{ id }} {E} }} }}",
        lambda p, t: {"d": p.dispatch[t.slug]["courier"]}, ("hq",), lambda p, payload, db: _only_not_found(payload)),
    "courierTip": Case(
        f"mutation($d: ID!) {{ courierTip(input: {{deliveryId: $d, tipFen: 100, idempotencyKey: \"x\"}}) {{ delivery {{ id }} {E} }} }}",
        lambda p, t: {"d": p.dispatch[t.slug]["courier"]}, ("hq",), lambda p, payload, db: _only_not_found(payload)),
    "dispatchNow": Case(
        f"mutation($o: ID!) {{ dispatchNow(input: {{orderId: $o}}) {{ task {{ id }} {E} }} }}",
        lambda p, t: {"o": p.dispatch[t.slug]["o2"]}, ("hq",), "NOT_FOUND"),
    "dispatchAssign": Case(
        f"mutation($o: ID!, $r: ID!) {{ dispatchAssign(input: {{orderId: $o, riderId: $r}}) {{ task {{ id }} {E} }} }}",
        lambda p, t: {"o": p.dispatch[t.slug]["o1"], "r": p.dispatch[t.slug]["rider"]}, ("hq",), "NOT_FOUND"),
    "dispatchUnassign": Case(
        f"mutation($o: ID!) {{ dispatchUnassign(input: {{orderId: $o}}) {{ task {{ id }} {E} }} }}",
        lambda p, t: {"o": p.dispatch[t.slug]["o1"]}, ("hq",), "NOT_FOUND"),
    "riderLogin": Case(
        f"mutation($m: String!, $c: String!) {{ riderLogin(input: {{mobile: $m, code: $c}}) {{ {AUTH_TOKENS} }} }}",
        lambda p, t: {"m": p.dispatch[p.a.slug]["mobile"], "c": p.dispatch[p.a.slug]["login_code"]}, ("anon",), "CODE_INVALID"),
    "riderShiftStart": Case(f"mutation {{ riderShiftStart {{ rider {{ id status }} {E} }} }}", lambda p, t: {}, ("rider2",),
                            _rider_of_a("AVAILABLE")),
    "riderPositionReport": Case(
        f"mutation {{ riderPositionReport(input: {{positions: [{{longitude: 120.16, latitude: 30.28}}]}}) {{ accepted {E} }} }}",
        lambda p, t: {}, ("rider2",), _rider_of_a(None)),
    "riderShiftEnd": Case(f"mutation {{ riderShiftEnd {{ rider {{ id status }} {E} }} }}", lambda p, t: {}, ("rider2",),
                          _rider_of_a("OFF_SHIFT")),
    "riderTaskAccept": Case(
        f"mutation($o: ID!) {{ riderTaskAccept(input: {{orderId: $o}}) {{ task {{ orderStatus }} {E} }} }}",
        lambda p, t: {"o": p.dispatch[t.slug]["o3"]}, ("rider",), "NOT_FOUND"),
    "riderArriveAtStore": Case(
        f"mutation($o: ID!) {{ riderArriveAtStore(input: {{orderId: $o}}) {{ task {{ orderStatus }} {E} }} }}",
        lambda p, t: {"o": p.dispatch[t.slug]["o3"]}, ("rider",), "NOT_FOUND"),
    "riderPickUp": Case(
        f"mutation($o: ID!) {{ riderPickUp(input: {{orderId: $o}}) {{ task {{ orderStatus }} {E} }} }}",
        lambda p, t: {"o": p.dispatch[t.slug]["o3"]}, ("rider",), "NOT_FOUND"),
    "riderDeliver": Case(
        f"mutation($o: ID!, $c: String!) {{ riderDeliver(input: {{orderId: $o, proofCode: $c}}) {{ task {{ orderStatus }} {E} }} }}",
        lambda p, t: {"o": p.dispatch[t.slug]["o3"], "c": p.dispatch[t.slug]["code"]}, ("rider",), "NOT_FOUND"),
    "riderTaskReject": Case(
        f"mutation($o: ID!) {{ riderTaskReject(input: {{orderId: $o}}) {{ task {{ orderStatus }} {E} }} }}",
        lambda p, t: {"o": p.dispatch[t.slug]["o4"]}, ("rider",), "NOT_FOUND"),
    # Distribution (issue 15): B's ids are NOT_FOUND, B's invite and share tokens mean nothing in A.
    "distributionProgramUpdate": Case(
        f"mutation {{ distributionProgramUpdate(input: {{settleDays: 5}}) {{ program {{ settleDays }} {E} }} }}", lambda p, t: {}, ("hq",),
        own_tenant("distribution_program", "tenant_id", lambda p: p.a.tenant_id)),
    "commissionRuleSet": Case(
        f"mutation($p: ID!) {{ commissionRuleSet(input: {{productId: $p, rateBp: 500}}) {{ rule {{ id }} {E} }} }}",
        lambda p, t: {"p": p.distribution[t.slug]["product"]}, ("hq",), "NOT_FOUND"),
    "distributionInviteCreate": Case(
        f"mutation($s: ID!) {{ distributionInviteCreate(input: {{kind: EMPLOYEE, storeId: $s}}) {{ token {E} }} }}",
        lambda p, t: {"s": t.store("a")}, ("hq",), "NOT_FOUND"),
    "distributionInviteAccept": Case(
        f"mutation($t: String!) {{ distributionInviteAccept(input: {{token: $t}}) {{ salesperson {{ id }} {E} }} }}",
        lambda p, t: {"t": p.distribution[t.slug]["invite"]}, ("alice",), "INVITE_INVALID"),
    "distributionBind": Case(
        f"mutation($t: String!) {{ distributionBind(input: {{shareToken: $t}}) {{ salespersonId {E} }} }}",
        lambda p, t: {"t": p.distribution[t.slug]["share"]}, ("alice",), "SHARE_TOKEN_INVALID"),
    "salespersonStatusSet": Case(
        f"mutation($id: ID!) {{ salespersonStatusSet(input: {{id: $id, active: true}}) {{ salesperson {{ id }} {E} }} }}",
        lambda p, t: {"id": p.distribution[t.slug]["bob"]}, ("hq",), "NOT_FOUND"),
    "salespersonUplineSet": Case(
        f"mutation($id: ID!) {{ salespersonUplineSet(input: {{id: $id}}) {{ salesperson {{ id }} {E} }} }}",
        lambda p, t: {"id": p.distribution[t.slug]["bob"]}, ("hq",), "NOT_FOUND"),
    "commissionWithdrawalRequest": Case(
        f"mutation {{ commissionWithdrawalRequest(input: {{amount: \"1.00\", idempotencyKey: \"x\"}}) {{ withdrawal {{ id }} {E} }} }}",
        lambda p, t: {}, ("alice",), _not_a_salesperson_in_b),
    "commissionWithdrawalDecide": Case(
        f"mutation($id: ID!) {{ commissionWithdrawalDecide(input: {{id: $id, approve: true}}) {{ withdrawal {{ state }} {E} }} }}",
        lambda p, t: {"id": p.distribution[t.slug]["withdrawal"]}, ("hq",), "NOT_FOUND"),
    "commissionSettle": Case(
        f"mutation {{ commissionSettle(input: {{}}) {{ settled {E} }} }}", lambda p, t: {}, ("hq",), _settles_own_tenant),
    # Store systems (webhooks/, store_sync/, vouchers/)
    "storeStockSync": Case(
        f"""mutation($s: ID!, $key: String!) {{ storeStockSync(input: {{storeId: $s, idempotencyKey: $key,
            rows: [{{skuCode: "SKU-milk", mode: DELTA, quantity: 1}}]}}) {{ applied {E} }} }}""",
        lambda p, t: {"s": t.store("a"), "key": f"iso-stock-{t.slug}"}, ("hq",), "NOT_FOUND"),
    "storePriceSync": Case(
        f"""mutation($s: ID!, $key: String!) {{ storePriceSync(input: {{storeId: $s, idempotencyKey: $key,
            rows: [{{skuCode: "SKU-milk", price: "9.99", version: "1"}}]}}) {{ applied {E} }} }}""",
        lambda p, t: {"s": t.store("a"), "key": f"iso-price-{t.slug}"}, ("hq",), "NOT_FOUND"),
    # Community-leader pickup points (distribution.pickup_points). alice of A is no leader: register and
    # hand-over refuse her before reading any id; choose looks the order up in her token's tenant.
    "pickupPointRegister": Case(
        f"""mutation {{ pickupPointRegister(input: {{name: "iso", address: "iso", longitude: 120, latitude: 30, hours: "daily"}}) {{
            pickupPoint {{ id }} {E} }} }}""", lambda p, t: {}, ("alice",), _errors_are("NOT_A_LEADER")),
    "pickupPointDecide": Case(
        f"mutation($id: ID!) {{ pickupPointDecide(input: {{id: $id, approve: true}}) {{ pickupPoint {{ id }} {E} }} }}",
        lambda p, t: {"id": p.distribution[t.slug]["point"]}, ("hq",), "NOT_FOUND"),
    "orderPickupPointChoose": Case(
        f"mutation($o: ID!, $p: ID!) {{ orderPickupPointChoose(input: {{orderId: $o, pickupPointId: $p}}) {{ pickupOrder {{ orderId }} {E} }} }}",
        lambda p, t: {"o": p.unpaid[t.slug], "p": p.distribution[t.slug]["point"]}, ("alice",), _errors_are("NOT_FOUND")),
    "pickupHandOver": Case(
        f'mutation($o: ID!) {{ pickupHandOver(input: {{orderId: $o, code: "123456"}}) {{ pickupOrder {{ orderId }} {E} }} }}',
        lambda p, t: {"o": p.unpaid[t.slug]}, ("alice",), _errors_are("NOT_A_LEADER")),
    "storeListingSync": Case(
        f"""mutation($s: ID!, $key: String!) {{ storeListingSync(input: {{storeId: $s, idempotencyKey: $key,
            rows: [{{skuCode: "SKU-milk", listed: false, version: "1"}}]}}) {{ applied {E} }} }}""",
        lambda p, t: {"s": t.store("a"), "key": f"iso-listing-{t.slug}"}, ("hq",), "NOT_FOUND"),
    "voucherProductCreate": Case(
        f"""mutation($k: ID!) {{ voucherProductCreate(input: {{skuId: $k, faceValue: "100.00", validDays: 30}}) {{
            voucherProduct {{ id }} {E} }} }}""",
        lambda p, t: {"k": t.sku("bread")}, ("hq",), "NOT_FOUND"),
    "voucherRedeem": Case(
        f"""mutation($s: ID!) {{ voucherRedeem(input: {{storeId: $s, code: "ABCD-EFGH-JKMN", requestNo: "iso-redeem-1"}}) {{
            redemption {{ id }} {E} }} }}""",
        lambda p, t: {"s": t.store("a")}, ("hq",), _errors_are("NOT_FOUND")),
    "webhookEndpointCreate": Case(
        f"mutation($u: String!) {{ webhookEndpointCreate(input: {{url: $u}}) {{ endpoint {{ id }} {E} }} }}",
        lambda p, t: {"u": f"http://127.0.0.1:9/{p.b.slug}"}, ("hq",),
        own_tenant("webhook_endpoint", "url", lambda p: f"http://127.0.0.1:9/{p.b.slug}")),
    "webhookEndpointReplay": Case(
        f"mutation($id: ID!) {{ webhookEndpointReplay(input: {{id: $id}}) {{ endpoint {{ id }} {E} }} }}",
        lambda p, t: {"id": p.webhooks[t.slug]}, ("hq",), "NOT_FOUND"),
    "webhookEndpointDelete": Case(
        f"mutation($id: ID!) {{ webhookEndpointDelete(input: {{id: $id}}) {{ deletedId {E} }} }}",
        lambda p, t: {"id": p.webhooks[t.slug]}, ("hq",), "NOT_FOUND"),
    # Membership (issue #14).
    "membershipJoin": Case(f"mutation {{ membershipJoin {{ membership {{ id }} {E} }} }}", lambda p, t: {}, ("alice",),
                           own_tenant("member", "customer_id", lambda p: p.a.customer_ids["alice"])),
    "memberCodeCreate": Case(f"mutation {{ memberCodeCreate {{ code {E} }} }}", lambda p, t: {}, ("alice",),
                             own_tenant("member_code", "member_id", lambda p: p.members[p.a.slug]["member_pk"])),
    "topUpStart": Case(
        f"mutation($p: ID!, $k: String!) {{ topUpStart(input: {{planId: $p, idempotencyKey: $k}}) {{ topUpId {E} }} }}",
        lambda p, t: {"p": p.members[t.slug]["plan"], "k": f"tu-{uuid.uuid4()}"[:60]}, ("alice",), "NOT_FOUND"),
    "pointsRedeem": Case(
        f"mutation($o: ID!) {{ pointsRedeem(input: {{orderId: $o, points: 1}}) {{ pointsRedeemed {E} }} }}",
        lambda p, t: {"o": p.members[t.slug]["order"]}, ("hq", "alice"), "NOT_FOUND"),
    "storedValuePay": Case(
        f"mutation($o: ID!, $k: String!) {{ storedValuePay(input: {{orderId: $o, idempotencyKey: $k}}) {{ orderStatus {E} }} }}",
        lambda p, t: {"o": p.members[t.slug]["order"], "k": f"sv-{uuid.uuid4()}"[:60]}, ("hq", "alice"), "NOT_FOUND"),
    "memberLookup": Case(
        f"mutation($s: ID!) {{ memberLookup(input: {{storeId: $s, mobile: \"{MOBILE}\"}}) {{ member {{ id }} {E} }} }}",
        lambda p, t: {"s": t.store("a")}, ("hq",), "NOT_FOUND"),
    "counterCharge": Case(
        f"""mutation($s: ID!, $m: ID!, $k: String!) {{ counterCharge(input: {{storeId: $s, memberId: $m, amount: "1.00",
            idempotencyKey: $k}}) {{ member {{ id }} {E} }} }}""",
        lambda p, t: {"s": t.store("a"), "m": p.members[t.slug]["member"], "k": f"pos-{uuid.uuid4()}"[:60]}, ("hq",), "NOT_FOUND"),
    "counterPoints": Case(
        f"""mutation($s: ID!, $m: ID!, $k: String!) {{ counterPoints(input: {{storeId: $s, memberId: $m, saleAmount: "10.00",
            idempotencyKey: $k}}) {{ points {E} }} }}""",
        lambda p, t: {"s": t.store("a"), "m": p.members[t.slug]["member"], "k": f"pos-{uuid.uuid4()}"[:60]}, ("hq",), "NOT_FOUND"),
    "memberAdjust": Case(
        f"""mutation($m: ID!, $k: String!) {{ memberAdjust(input: {{memberId: $m, part: BONUS, amount: "1.00", reason: "iso",
            idempotencyKey: $k}}) {{ id {E} }} }}""",
        lambda p, t: {"m": p.members[t.slug]["member"], "k": f"adj-{uuid.uuid4()}"[:60]}, ("hq",), "NOT_FOUND"),
    "pointsRuleCreate": Case(
        f"""mutation($c: ID!) {{ pointsRuleCreate(input: {{name: "fruit x2", multiplierPercent: 200, categoryId: $c}}) {{ id {E} }} }}""",
        lambda p, t: {"c": t.gid("Category", t.category_id)}, ("hq",), "NOT_FOUND"),
    "membershipProgramSet": Case(
        f"mutation {{ membershipProgramSet(input: {{redeemMaxPercent: 40}}) {{ id {E} }} }}", lambda p, t: {}, ("hq",),
        own_tenant("membership_program", "redeem_max_percent", lambda p: 40)),
    "memberLevelCreate": Case(
        f"mutation($c: String!) {{ memberLevelCreate(input: {{code: $c, name: \"Iso\", rank: 7}}) {{ id {E} }} }}",
        lambda p, t: {"c": f"L-{p.b.slug}"}, ("hq",), own_tenant("member_level", "code", lambda p: f"L-{p.b.slug}")),
    "topUpPlanCreate": Case(
        f"mutation($n: String!) {{ topUpPlanCreate(input: {{name: $n, pay: \"50\"}}) {{ id {E} }} }}",
        lambda p, t: {"n": f"plan-{p.b.slug}"}, ("hq",), own_tenant("top_up_plan", "name", lambda p: f"plan-{p.b.slug}")),
    "memberLevelsEvaluate": Case(f"mutation {{ memberLevelsEvaluate {{ changed {E} }} }}", lambda p, t: {}, ("hq",), _no_errors),
    "memberImport": Case(
        f"mutation($c: String!) {{ memberImport(input: {{csv: $c}}) {{ imported {E} }} }}",
        lambda p, t: {"c": "mobile,name,level,points,balance\n13900009999,Iso,,0,0\n"}, ("hq",),
        own_tenant("customer", "mobile", lambda p: "+8613900009999")),
    # promotions
    "promotionCreate": Case(
        f"""mutation($n: ID!) {{ promotionCreate(input: {{nodeId: $n, kind: AUTOMATIC, name: "iso", {PROMOTION_WINDOW},
            actions: [{{code: "amount_off", arguments: [{{name: "amount", value: "1.00"}}]}}]}}) {{ promotion {{ id }} {E} }} }}""",
        lambda p, t: {"n": t.gid("NetworkNode", t.hq_node_id)}, ("hq",), "NOT_FOUND"),
    "promotionUpdate": Case(
        f'mutation($id: ID!) {{ promotionUpdate(input: {{id: $id, name: "renamed"}}) {{ promotion {{ id }} {E} }} }}',
        lambda p, t: {"id": p.promotions[t.slug]}, ("hq",), "NOT_FOUND"),
    "promotionPolicySet": Case(
        f"mutation {{ promotionPolicySet(input: {{maxPartnerDiscountPercent: 40}}) {{ maxPartnerDiscountPercent {E} }} }}",
        lambda p, t: {}, ("hq",), own_tenant("promotion_policy", "max_partner_discount_percent", lambda p: 40)),
    "couponIssue": Case(
        f"mutation($p: ID!, $c: ID!) {{ couponIssue(input: {{promotionId: $p, customerIds: [$c]}}) {{ issued {E} }} }}",
        lambda p, t: {"p": p.promotions[t.slug], "c": t.gid("Customer", t.customer_ids["bob"])}, ("hq",), "NOT_FOUND"),
    "couponClaim": Case(
        f"mutation($p: ID!) {{ couponClaim(input: {{promotionId: $p}}) {{ coupon {{ id }} {E} }} }}",
        lambda p, t: {"p": p.promotions[t.slug]}, ("alice",), "NOT_FOUND"),
    "flashSaleCreate": Case(
        f"""mutation($n: ID!, $k: ID!) {{ flashSaleCreate(input: {{nodeId: $n, skuId: $k, name: "iso", price: "0.01", quota: 1, {PROMOTION_WINDOW}}})
            {{ flashSale {{ id }} {E} }} }}""",
        lambda p, t: {"n": t.gid("NetworkNode", t.hq_node_id), "k": t.sku("bread")}, ("hq",), "NOT_FOUND"),
    "groupBuyCreate": Case(
        f"""mutation($n: ID!, $k: ID!) {{ groupBuyCreate(input: {{nodeId: $n, skuId: $k, name: "iso", price: "0.01", groupSize: 2, windowHours: 1, {PROMOTION_WINDOW}}})
            {{ groupBuy {{ id }} {E} }} }}""",
        lambda p, t: {"n": t.gid("NetworkNode", t.hq_node_id), "k": t.sku("bread")}, ("hq",), "NOT_FOUND"),
    "groupBuyStart": Case(
        f"""mutation($g: ID!, $s: ID!) {{ groupBuyStart(input: {{groupBuyId: $g, storeId: $s, fulfilmentType: STORE_PICKUP}})
            {{ group {{ id }} orderId {E} }} }}""",
        lambda p, t: {"g": p.group_buys[t.slug][0], "s": t.store("a")}, ("alice",), "NOT_FOUND"),
    "groupBuyJoin": Case(
        f"""mutation($token: String!) {{ groupBuyJoin(input: {{shareToken: $token, fulfilmentType: STORE_PICKUP}})
            {{ group {{ id }} orderId {E} }} }}""",
        lambda p, t: {"token": p.group_buys[t.slug][1]}, ("alice",), "NOT_FOUND"),
    # storefront configuration (#12 item 5)
    "storefrontDraftSave": Case(STOREFRONT_SAVE, lambda p, t: {"n": t.gid("NetworkNode", t.hq_node_id)}, ("hq",), "NOT_FOUND"),
    "storefrontPublish": Case(
        f"mutation($v: ID!) {{ storefrontPublish(input: {{versionId: $v}}) {{ storefrontVersion {{ id }} {E} }} }}",
        lambda p, t: {"v": p.storefronts[t.slug]}, ("hq",), "NOT_FOUND"),
    "storefrontRollback": Case(
        f"mutation($n: ID!) {{ storefrontRollback(input: {{nodeId: $n, version: 1}}) {{ storefrontVersion {{ id }} {E} }} }}",
        lambda p, t: {"n": t.gid("NetworkNode", t.hq_node_id)}, ("hq",), "NOT_FOUND"),
    # store network administration (issue #12 item 1); the controls run in this order on tenant A
    "partnerCreate": Case(
        f'mutation($p: ID!) {{ partnerCreate(input: {{parentId: $p, name: "Iso"}}) {{ node {{ id }} {E} }} }}',
        lambda p, t: {"p": t.gid("NetworkNode", t.hq_node_id)}, ("hq",), "NOT_FOUND"),
    "partnerUpdate": Case(
        f'mutation($id: ID!) {{ partnerUpdate(input: {{id: $id, name: "Renamed"}}) {{ node {{ id }} {E} }} }}',
        lambda p, t: {"id": t.gid("NetworkNode", t.partner_ids["east"])}, ("hq",), "NOT_FOUND"),
    "nodeMove": Case(
        f"mutation($n: ID!, $p: ID!) {{ nodeMove(input: {{nodeId: $n, newParentId: $p}}) {{ node {{ id }} {E} }} }}",
        lambda p, t: {"n": t.gid("NetworkNode", t.partner_ids["east"]), "p": t.gid("NetworkNode", t.partner_ids["west"])}, ("hq",), "NOT_FOUND"),
    "storeCreate": Case(
        f"mutation($input: StoreCreateInput!) {{ storeCreate(input: $input) {{ store {{ id }} node {{ id }} {E} }} }}",
        lambda p, t: {"input": {"parentId": t.gid("NetworkNode", t.partner_ids["west"]), "code": "ISO-1", "name": "Iso", "city": "杭州",
                                "address": "1 Road", "location": {"longitude": 120.2, "latitude": 30.3}, "hours": "24h"}},
        ("hq",), "NOT_FOUND"),
    "storeStatusSet": Case(
        f"mutation($s: ID!) {{ storeStatusSet(input: {{storeId: $s, status: PAUSED, expectedStatus: OPEN}}) {{ store {{ status }} changed {E} }} }}",
        lambda p, t: {"s": t.store("c")}, ("hq",), "NOT_FOUND"),
    "storesImport": Case(
        f"mutation($p: ID!, $csv: String!) {{ storesImport(input: {{parentId: $p, csv: $csv}}) {{ created rowErrors {{ row }} {E} }} }}",
        lambda p, t: {"p": t.gid("NetworkNode", t.partner_ids["west"]),
                      "csv": "code,name,city,address,lon,lat,hours\nISO-2,Iso,杭州,1 Road,120.2,30.3,24h\n"},
        ("hq",), "NOT_FOUND"),
    # store-network pricing (issue #12 item 3)
    "networkNodePriceBandSet": Case(
        f"mutation($n: ID!) {{ networkNodePriceBandSet(input: {{nodeId: $n, belowPercent: 50, abovePercent: 50}}) {{ node {{ id }} {E} }} }}",
        lambda p, t: {"n": t.gid("NetworkNode", t.hq_node_id)}, ("hq",), "NOT_FOUND"),
    "partnerPriceSet": Case(
        f"""mutation($n: ID!, $k: ID!) {{ partnerPriceSet(input: {{nodeId: $n, skuId: $k, price: "9.10"}}) {{ price {{ amount }} {E} }} }}""",
        lambda p, t: {"n": t.gid("NetworkNode", t.partner_ids["west"]), "k": t.sku("bread")}, ("hq",), "NOT_FOUND"),
    "timePriceCreate": Case(
        f"""mutation($s: ID!, $k: ID!) {{ timePriceCreate(input: {{storeId: $s, skuId: $k, percentOff: 5, dailyStart: "06:00", dailyEnd: "07:00"}})
            {{ timePrice {{ id }} {E} }} }}""",
        lambda p, t: {"s": t.store("a"), "k": t.sku("milk")}, ("hq",), "NOT_FOUND"),
    "timePriceEnd": Case(
        f"mutation($id: ID!) {{ timePriceEnd(input: {{id: $id}}) {{ timePrice {{ id }} {E} }} }}",
        lambda p, t: {"id": p.time_prices[t.slug]}, ("hq",), "NOT_FOUND"),
    "pricesImport": Case(
        f"""mutation($c: String!) {{ pricesImport(input: {{csv: $c, reason: "iso"}}) {{ changed {E} }} }}""",
        lambda p, t: {"c": "store_code,sku_code,price\nB,SKU-bread,9.13\n"}, ("hq",),
        own_tenant("price_change", "new_fen", lambda p: 913)),
    # per-store assortment and product media (issue 12 item 4)
    "storeListingSet": Case(
        f"mutation($s: ID!, $k: ID!) {{ storeListingSet(input: {{storeId: $s, skuIds: [$k], listed: false}}) {{ changed {E} }} }}",
        lambda p, t: {"s": t.store("a"), "k": t.sku("apple")}, ("hq",), "NOT_FOUND"),
    "networkListingSet": Case(
        f"mutation($n: ID!, $p: ID!) {{ networkListingSet(input: {{nodeId: $n, productIds: [$p], listed: false}}) {{ changed {E} }} }}",
        lambda p, t: {"n": t.gid("NetworkNode", t.partner_ids["east"]), "p": t.gid("Product", t.product_ids["apple"])}, ("hq",), "NOT_FOUND"),
    "productMandatorySet": Case(
        f"mutation($p: ID!) {{ productMandatorySet(input: {{productIds: [$p], mandatory: true}}) {{ productIds {E} }} }}",
        lambda p, t: {"p": t.gid("Product", t.product_ids["milk"])}, ("hq",), "NOT_FOUND"),
    "productImageAdd": Case(
        f"""mutation($p: ID!) {{ productImageAdd(input: {{productId: $p, url: "https://cdn.example.com/x.jpg", width: 8, height: 8}})
            {{ image {{ id }} {E} }} }}""",
        lambda p, t: {"p": t.gid("Product", t.product_ids["milk"])}, ("hq",), "NOT_FOUND"),
    "productImageUpdate": Case(
        f'mutation($id: ID!) {{ productImageUpdate(input: {{id: $id, altText: "hacked"}}) {{ image {{ id }} {E} }} }}',
        lambda p, t: {"id": p.images[t.slug][0]}, ("hq",), "NOT_FOUND"),
    "productImagesReorder": Case(
        f"mutation($p: ID!, $i: [ID!]!) {{ productImagesReorder(input: {{productId: $p, imageIds: $i}}) {{ images {{ id }} {E} }} }}",
        lambda p, t: {"p": t.gid("Product", t.product_ids["bread"]), "i": list(reversed(p.images[t.slug]))}, ("hq",), "NOT_FOUND"),
    "productImageRemove": Case(
        f"mutation($id: ID!) {{ productImageRemove(input: {{id: $id}}) {{ removedId {E} }} }}",
        lambda p, t: {"id": p.images[t.slug][1]}, ("hq",), "NOT_FOUND"),
}


def _token(pair: Pair, principal: str) -> str | None:
    if principal in ("rider", "rider2"):
        fixtures = pair.dispatch[pair.a.slug]
        rider = fixtures["rider_pk"] if principal == "rider" else fixtures["idle_pk"]
        return pair.a.services.signer.issue_pair(f"rider:{rider}", pair.a.tenant_id).access
    return {"hq": pair.a.staff_token("hq"), "alice": pair.a.customer_token("alice"), "anon": None}[principal]


def test_every_mutation_has_a_cross_tenant_case():
    served = build_graphql_schema(build_schema(Settings()).as_str())  # the SDL of the schema the app serves
    fields = set(served.mutation_type.fields)
    assert len(fields) >= 20
    assert not fields - CASES.keys(), f"mutations without a cross-tenant case: {sorted(fields - CASES.keys())}"
    assert not CASES.keys() - fields, f"cases for mutations that no longer exist: {sorted(CASES.keys() - fields)}"


async def test_no_mutation_crosses_tenants(client, database, services):
    pair = await build_pair(client, database, services)
    failures = []
    for name, case in CASES.items():
        for principal in case.principals:
            before = await tenant_rows(database, pair.b.tenant_id)
            body = await post(client, case.doc, case.variables(pair, pair.b), token=_token(pair, principal), tenant=case.tenant(pair, pair.b))
            payload = (body.get("data") or {}).get(name)
            if payload is None:
                failures.append(f"{name} as {principal}: no payload: {body}")
                continue
            if callable(case.expect):
                try:
                    await case.expect(pair, payload, database)
                except AssertionError as exc:
                    failures.append(f"{name} as {principal}: {exc}")
            elif [e["code"] for e in payload["errors"]] != [case.expect] or any(v for k, v in payload.items() if k != "errors" and k != "replayed"):
                failures.append(f"{name} as {principal}: expected {case.expect}, got {payload}")
            if await tenant_rows(database, pair.b.tenant_id) != before:
                failures.append(f"{name} as {principal}: tenant B's rows changed")
    # Controls: the same principal and document on tenant A's own ids succeed (in an order where
    # each control leaves what the next one needs), so no entry passes on a broken document.
    for name, case in CASES.items():
        if callable(case.expect):
            continue
        principal = case.principals[-1]
        body = await post(client, case.doc, case.variables(pair, pair.a), token=_token(pair, principal), tenant=case.tenant(pair, pair.a))
        payload = (body.get("data") or {}).get(name)
        if not payload or payload["errors"]:
            failures.append(f"control {name} as {principal} on tenant A failed: {body}")
    assert not failures, "\n".join(failures)


NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"


def _b_ids(pair: Pair) -> list[str]:
    b = pair.b
    return [b.store("a"), b.gid("Product", b.product_ids["milk"]), b.sku("milk"), b.gid("Category", b.category_id),
            b.gid("NetworkNode", b.partner_ids["west"]), pair.unpaid[b.slug], pair.images[b.slug][0],
            pair.zones[b.slug]]  # a delivery zone (Store.deliveryZones shows the same rows)


async def test_global_ids_of_another_tenant_read_as_null(client, database, services):
    pair = await build_pair(client, database, services)
    a, b, ids = pair.a, pair.b, _b_ids(pair)
    # Signed-in callers send X-Tenant B too (the token's tenant must win); anonymous ones are in A.
    for token, tenant in ((a.staff_token("hq"), b.slug), (a.customer_token("alice"), b.slug), (None, a.slug)):
        for gid in ids:
            body = await post(client, NODE, {"id": gid}, token=token, tenant=tenant)
            assert body == {"data": {"node": None}}, (gid, tenant, body)
        assert await post(client, NODES, {"ids": ids}, token=token, tenant=tenant) == {"data": {"nodes": [None] * len(ids)}}
        body = await post(client, "query($s: ID!) { store(id: $s) { name } }", {"s": b.store("a")}, token=token, tenant=tenant)
        assert body == {"data": {"store": None}}
        body = await post(client, "query { stores(first: 50) { nodes { id deliveryZones { id } } } }", {}, token=token, tenant=tenant)
        zones = [z["id"] for n in body["data"]["stores"]["nodes"] for z in (n["deliveryZones"] or [])]
        assert pair.zones[b.slug] not in zones and b.store("a") not in [n["id"] for n in body["data"]["stores"]["nodes"]]
        for product, store in ((b.gid("Product", b.product_ids["milk"]), None), (a.gid("Product", a.product_ids["milk"]), b.store("a"))):
            body = await post(client, "query($p: ID!, $s: ID) { product(id: $p, storeId: $s) { name } }",
                              {"p": product, "s": store}, token=token, tenant=tenant)
            assert body == {"data": {"product": None}}
    # Tenant B's own staff and customer see all of them: the ids are real.
    body = await post(client, NODES, {"ids": ids}, token=b.staff_token("hq"), tenant=b.slug)
    assert [n and n["id"] for n in body["data"]["nodes"]] == ids
    body = await post(client, NODE, {"id": pair.unpaid[b.slug]}, token=b.customer_token("alice"), tenant=b.slug)
    assert body["data"]["node"]["id"] == pair.unpaid[b.slug]


ORDERS = "query($s: ID) { orders(first: 50, storeId: $s) { nodes { id } } }"
CART = "query($s: ID!) { cart(storeId: $s) { lines { quantity } } }"


async def test_orders_and_carts_of_another_tenant_are_invisible(client, database, services):
    pair = await build_pair(client, database, services)
    a, b = pair.a, pair.b
    own = {pair.unpaid[a.slug], pair.paid[a.slug], pair.pickup[a.slug][0], pair.awaiting[a.slug], pair.members[a.slug]["order"]}
    bobs = {v for k, v in pair.dispatch[a.slug].items() if k in ("o1", "o2", "o3", "o4")}  # bob's delivery orders
    bobs.add(pair.group_buys[a.slug][2])  # bob's group-buy order
    for token, visible in ((a.staff_token("hq"), own | bobs), (a.customer_token("alice"), own)):
        body = await post(client, ORDERS, {"s": None}, token=token, tenant=b.slug)
        assert {n["id"] for n in body["data"]["orders"]["nodes"]} == visible
        body = await post(client, ORDERS, {"s": b.store("a")}, token=token, tenant=b.slug)
        assert body == {"data": {"orders": {"nodes": []}}}
    body = await post(client, CART, {"s": b.store("a")}, token=a.customer_token("alice"), tenant=b.slug)
    assert body == {"data": {"cart": None}}
    body = await post(client, CART, {"s": b.store("a")}, token=b.customer_token("alice"), tenant=b.slug)
    assert body["data"]["cart"]["lines"] == [{"quantity": 2}]


async def test_a_customer_cannot_read_or_touch_another_customers_order(client, world):
    order = (await place_order(client, world, {"milk": 1}, fulfilment="STORE_PICKUP"))["order"]["id"]
    bob = world.customer_token("bob")
    assert (await world.gql(client, NODE, {"id": order}, token=bob)) == {"data": {"node": None}}
    assert (await world.gql(client, NODES, {"ids": [order]}, token=bob)) == {"data": {"nodes": [None]}}
    assert (await world.gql(client, ORDERS, {"s": None}, token=bob))["data"]["orders"]["nodes"] == []
    for name in ("orderCancel", "orderPay"):
        case = CASES[name]
        body = await world.gql(client, case.doc, {"id": order, "key": f"k-{uuid.uuid4()}"} if name == "orderPay" else {"id": order}, token=bob)
        assert [e["code"] for e in body["data"][name]["errors"]] == ["NOT_FOUND"]
    body = await world.gql(client, "query($id: ID!) { node(id: $id) { ... on Order { status } } }", {"id": order}, token=world.customer_token())
    assert body["data"]["node"] == {"status": "UNPAID"}


async def test_refreshed_tokens_stay_in_the_refresh_tokens_tenant(client, database, services):
    pair = await build_pair(client, database, services)
    body = await post(client, CASES["tokenRefresh"].doc, {"r": pair.a_refresh}, token=None, tenant=pair.b.slug)
    access = body["data"]["tokenRefresh"]["tokens"]["accessToken"]
    query = "query($s: ID!) { viewer { kind tenant } storeB: store(id: $s) { name } }"
    body = await post(client, query, {"s": pair.b.store("a")}, token=access, tenant=pair.b.slug)
    assert body == {"data": {"viewer": {"kind": "STAFF", "tenant": pair.a.slug}, "storeB": None}}
    # Rotation: the refresh token was spent, in whichever tenant's name it was presented.
    again = await post(client, CASES["tokenRefresh"].doc, {"r": pair.a_refresh}, token=None, tenant=pair.a.slug)
    assert [e["code"] for e in again["data"]["tokenRefresh"]["errors"]] == ["TOKEN_INVALID"]


async def test_staff_credentials_of_a_do_not_sign_in_under_b(client, database, services):
    pair = await build_pair(client, database, services)
    body = await post(client, STAFF_LOGIN, {"u": pair.a_only_user, "p": PASSWORD}, token=None, tenant=pair.b.slug)
    assert body["data"]["staffLogin"] == {"tokens": None, "errors": [
        {"code": "INVALID_CREDENTIALS", "field": None, "message": "wrong username or password"}]}
    body = await post(client, STAFF_LOGIN, {"u": pair.a_only_user, "p": PASSWORD}, token=None, tenant=pair.a.slug)
    access = body["data"]["staffLogin"]["tokens"]["accessToken"]
    assert services.signer.verify_access(access).tenant_id == pair.a.tenant_id


async def test_sign_in_goes_to_the_x_tenant_brand_even_with_a_stale_token_attached(client, database, services):
    pair = await build_pair(client, database, services)
    b_only = f"only-{pair.b.slug}"
    async with database.write() as session:
        hq = await session.get(NetworkNode, pair.b.hq_node_id)
        await provisioning.add_staff(session, pair.b.tenant_id, b_only, "", [("HQ_ADMIN", hq)], password_hash=CHEAP_HASH)
    # B's staff member signs in to B from a device that still carries a token of tenant A.
    body = await post(client, STAFF_LOGIN, {"u": b_only, "p": PASSWORD}, token=pair.a.customer_token(), tenant=pair.b.slug)
    payload = body["data"]["staffLogin"]
    assert payload["errors"] == [], payload
    assert services.signer.verify_access(payload["tokens"]["accessToken"]).tenant_id == pair.b.tenant_id


SALES_REPORT = """query($input: SalesReportInput!) { salesReport(input: $input, first: 50) {
  errors { field code } totals { orders } rows { nodes { storeId } } } }"""
SALES_REPORT_CSV = "query($input: SalesReportInput!) { salesReportCsv(input: $input) { errors { field code } csv } }"


async def test_sales_reports_never_show_another_tenants_stores(client, database, services):
    from tests.reports.scenario import move, new_order, utc

    a, b = await build_world(database, services), await build_world(database, services)
    for world, total in ((a, 1000), (b, 7000)):
        order = await new_order(database, world, "a", total, "STORE_PICKUP", created=utc(2026, 3, 1, 2, 0))
        await move(database, order, ("PAID", utc(2026, 3, 1, 2, 1)))
    window = {"from": "2026-03-01", "to": "2026-03-01", "groupBy": "STORE"}
    # A's HQ, naming B in X-Tenant: its token's tenant wins, it sees A's stores only.
    body = await post(client, SALES_REPORT, {"input": window}, token=a.staff_token("hq"), tenant=b.slug)
    report = body["data"]["salesReport"]
    assert report["totals"] == {"orders": 1} and {n["storeId"] for n in report["rows"]["nodes"]} == {a.store("a")}
    for doc, name in ((SALES_REPORT, "salesReport"), (SALES_REPORT_CSV, "salesReportCsv")):
        for extra, field in (({"storeIds": [b.store("a")]}, "storeIds.0"),
                             ({"nodeId": b.gid("NetworkNode", b.partner_ids["west"])}, "nodeId")):
            body = await post(client, doc, {"input": {**window, **extra}}, token=a.staff_token("hq"), tenant=b.slug)
            assert body["data"][name]["errors"] == [{"field": field, "code": "NOT_FOUND"}], body
    # The same calls with B's own HQ find B's rows: the ids are real.
    body = await post(client, SALES_REPORT, {"input": {**window, "storeIds": [b.store("a")]}}, token=b.staff_token("hq"), tenant=b.slug)
    assert body["data"]["salesReport"]["totals"] == {"orders": 1} and body["data"]["salesReport"]["errors"] == []
PRICE_CHANGES = "query($s: ID, $n: ID) { priceChanges(storeId: $s, nodeId: $n, first: 50) { nodes { id } } }"


async def test_price_changes_of_another_tenant_are_invisible(client, database, services):
    pair = await build_pair(client, database, services)
    a, b = pair.a, pair.b
    for variables in ({"s": b.store("a")}, {"n": b.gid("NetworkNode", b.hq_node_id)}):
        body = await post(client, PRICE_CHANGES, variables, token=a.staff_token("hq"), tenant=b.slug)
        assert body["data"] is None and "not found" in body["errors"][0]["message"], body
    own = await post(client, PRICE_CHANGES, {"n": a.gid("NetworkNode", a.hq_node_id)}, token=a.staff_token("hq"), tenant=b.slug)
    theirs = await post(client, PRICE_CHANGES, {"n": b.gid("NetworkNode", b.hq_node_id)}, token=b.staff_token("hq"), tenant=b.slug)
    assert len(own["data"]["priceChanges"]["nodes"]) == 1 and len(theirs["data"]["priceChanges"]["nodes"]) == 1
    assert not {n["id"] for n in own["data"]["priceChanges"]["nodes"]} & {n["id"] for n in theirs["data"]["priceChanges"]["nodes"]}
