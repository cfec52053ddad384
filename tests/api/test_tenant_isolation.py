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
    dispatch: dict[str, dict] = field(default_factory=dict)  # slug -> dispatch fixtures (issue 5), see _dispatch_fixtures
    promotions: dict[str, str] = field(default_factory=dict)  # slug -> Promotion gid (a coupon template at HQ)


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
        pair.unpaid[world.slug] = (await place_order(client, world, {"milk": 1}, fulfilment="STORE_PICKUP"))["order"]["id"]
        paid = (await place_order(client, world, {"bread": 1}, fulfilment="STORE_PICKUP"))["order"]["id"]
        await pay(client, world, paid)
        pair.paid[world.slug] = paid
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
    return pair


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
STAFF_LOGIN = f"mutation($u: String!, $p: String!) {{ staffLogin(input: {{username: $u, password: $p}}) {{ tokens {{ accessToken refreshToken }} {E} }} }}"
AUTH_TOKENS = f"tokens {{ accessToken refreshToken }} {E}"


@dataclass(frozen=True)
class Case:
    doc: str
    variables: Callable[[Pair, World], dict]  # built for a target world: B for the attack, A for the control
    principals: tuple[str, ...]  # tenant A's principals that try: "hq", "alice" or "anon"
    expect: str | Callable  # the exact payload error code, or a check that the effect stayed in tenant A
    tenant: Callable[[Pair, World], str | None] = lambda pair, target: target.slug  # the X-Tenant header sent


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


PROMOTION_WINDOW = 'startsAt: "2026-01-01T00:00:00Z", endsAt: "2036-01-01T00:00:00Z"'


async def _promotion_fixtures(client, pair: Pair, world: World) -> None:
    doc = f"""mutation($n: ID!) {{ promotionCreate(input: {{nodeId: $n, kind: COUPON, name: "iso", perCustomerLimit: 50, {PROMOTION_WINDOW},
        actions: [{{code: "amount_off", arguments: [{{name: "amount", value: "1.00"}}]}}]}}) {{ promotion {{ id }} {E} }} }}"""
    made = await world.gql(client, doc, {"n": world.gid("NetworkNode", world.hq_node_id)}, token=world.staff_token("hq"))
    assert made["data"]["promotionCreate"]["errors"] == [], made
    pair.promotions[world.slug] = made["data"]["promotionCreate"]["promotion"]["id"]


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
            b.gid("NetworkNode", b.partner_ids["west"]), pair.unpaid[b.slug]]


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
    own = {pair.unpaid[a.slug], pair.paid[a.slug], pair.pickup[a.slug][0], pair.awaiting[a.slug]}
    bobs = {v for k, v in pair.dispatch[a.slug].items() if k in ("o1", "o2", "o3", "o4")}  # bob's delivery orders
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
