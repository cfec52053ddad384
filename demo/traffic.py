"""Demo traffic: demo customers place and pay same-city orders at one demo store every ~15 s,
and the store's riders and packers do their part, all through the public API, so the staff
console's board moves (issue 17).

Off unless QIANDIAN_DEMO_TRAFFIC=1 (scripts/run-demo.sh sets it), and it refuses to run when
QIANDIAN_ENV is production or staging. Everything goes over HTTP like an app's requests
(addressCreate, deliverySlots, cartLinesAdd, checkoutComplete, orderPay and the sandbox payment
simulator; riderShiftStart, riderTaskAccept, riderArriveAtStore, riderPickUp, riderDeliver,
riderPositionReport; staff orderTransition to pack). The one shortcut is signing in customers and
riders: the development SMS sender only logs codes, so the generator signs their tokens itself
with the server key (development only, like the sandbox payments it uses). Staff sign in with
staffLogin and the demo password.

    python -m demo.traffic --api http://127.0.0.1:8000 --store HZ-XH-002 --every 15
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import random
import time
import uuid
from dataclasses import dataclass, field

import httpx

log = logging.getLogger("qiandian.demo.traffic")

DEFAULT_STORE = "HZ-XH-002"  # 黄龙店, open 24 h with riders rostered round the clock
TOKEN_LIFETIME_S = 600  # re-sign well inside the 15 minutes an access token lasts


class TrafficRefused(RuntimeError):
    pass


def check_allowed(env: dict[str, str] | None = None) -> None:
    env = os.environ if env is None else env
    if env.get("QIANDIAN_ENV", "development").strip().lower() in ("production", "staging"):
        raise TrafficRefused("demo traffic never runs with QIANDIAN_ENV=production or staging")
    if env.get("QIANDIAN_DEMO_TRAFFIC", "0") != "1":
        raise TrafficRefused("demo traffic is off: set QIANDIAN_DEMO_TRAFFIC=1 (scripts/run-demo.sh does)")


async def customer_token(mobile: str) -> str:
    """An access token for a demo customer (development only: see the module docstring)."""
    return (await _demo_tokens("customer", [mobile]))[0][1]


async def rider_tokens(store_code: str) -> list[tuple[int, str]]:
    """(rider id, access token) for the demo riders of a store (development only, like customers')."""
    return await _demo_tokens("rider", [store_code])


async def _demo_tokens(kind: str, keys: list[str]) -> list[tuple[int, str]]:
    from datetime import timedelta

    from sqlalchemy import select

    from auth.service import issue_tokens
    from auth.tokens import TokenSigner
    from commerce.models import Customer
    from core.settings import load_settings
    from db.session import Database
    from delivery.models import Rider
    from demo import chain
    from store_network.models import Store, Tenant

    settings = load_settings()
    if settings.is_production:
        raise TrafficRefused("demo traffic never runs in production")
    signer = TokenSigner(settings.secret_key, issuer="qiandian", access_ttl=timedelta(seconds=settings.access_token_ttl_s),
                         refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_s))  # as app.services builds it
    database = Database(settings.database_url)
    try:
        async with database.write() as session:
            tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == chain.BRAND.slug))
            if kind == "customer":
                ids = list((await session.scalars(select(Customer.id).where(Customer.tenant_id == tenant_id,
                                                                            Customer.mobile.in_(keys)))).all())
            else:
                ids = list((await session.scalars(select(Rider.id).join(Store, Store.id == Rider.home_store_id).where(
                    Rider.tenant_id == tenant_id, Store.code.in_(keys), Rider.status != "SUSPENDED").order_by(Rider.id))).all())
            if not ids:
                raise TrafficRefused(f"no demo {kind} for {keys}: load the demo chain first")
            out = []
            for pk in ids:
                pair = await issue_tokens(session, signer, f"{kind}:{pk}", tenant_id)
                out.append((pk, pair.access))
        return out
    finally:
        await database.dispose()


STORE = "query($q: String) { stores(first: 50, search: $q) { edges { node { id code name location(system: WGS84) { longitude latitude } deliveryRadiusMeters } } } }"
ADDRESS = "mutation($i: AddressCreateInput!) { addressCreate(input: $i) { address { id } errors { code message } } }"
SLOTS = "query($s: ID!, $a: ID!) { deliverySlots(storeId: $s, addressId: $a) { slots { id kind available } errors { code message } } }"
SHELF = """query($s: ID!) { store(id: $s) { products(first: 40, filter: {inStock: true}) { edges { node {
  skus { id stock { quantityAvailable } quantityRule { minimum } } } } } } }"""
ADD = "mutation($s: ID!, $k: ID!, $q: Int!) { cartLinesAdd(input: {storeId: $s, lines: [{skuId: $k, quantity: $q}]}) { errors { code message } } }"
CHECKOUT = """mutation($i: CheckoutCompleteInput!) { checkoutComplete(input: $i) {
  order { id number } errors { field code message } } }"""
PAY = "mutation($o: ID!, $k: String!) { orderPay(input: {orderId: $o, idempotencyKey: $k, provider: \"SANDBOX\"}) { clientPayload errors { code message } } }"


class TrafficError(RuntimeError):
    pass


@dataclass
class Shopper:
    """One demo customer placing orders at one store over HTTP."""

    client: httpx.AsyncClient
    token: str
    tenant: str = "qianxian"
    addresses: dict[str, str] = field(default_factory=dict)

    async def gql(self, query: str, variables: dict) -> dict:
        response = await self.client.post("/graphql", json={"query": query, "variables": variables},
                                          headers={"X-Tenant": self.tenant, "Authorization": f"Bearer {self.token}"})
        body = response.json()
        if body.get("errors"):
            raise TrafficError(body["errors"][0].get("message", "error"))
        return body["data"]

    async def store(self, code: str) -> dict:
        data = await self.gql(STORE, {"q": None})
        for edge in data["stores"]["edges"]:
            if edge["node"]["code"] == code:
                return edge["node"]
        raise TrafficError(f"no store {code}")

    async def address_near(self, store: dict, rng: random.Random) -> str:
        """A new drop-off inside the store's radius (WGS-84), so orders spread over the map."""
        radius = min(store["deliveryRadiusMeters"] * 0.7, 2200)
        distance, bearing = radius * math.sqrt(rng.random()), rng.random() * 2 * math.pi
        lat0, lon0 = store["location"]["latitude"], store["location"]["longitude"]
        lat = lat0 + distance * math.cos(bearing) / 111_320
        lon = lon0 + distance * math.sin(bearing) / (111_320 * math.cos(math.radians(lat0)))
        data = await self.gql(ADDRESS, {"i": {"label": "demo", "recipient": "演示顾客", "mobile": "+8613800000001",
                                              "line": f"演示地址 {rng.randint(1, 300)} 号", "longitude": round(lon, 6),
                                              "latitude": round(lat, 6), "system": "WGS84"}})
        payload = data["addressCreate"]
        if payload["errors"]:
            raise TrafficError(payload["errors"][0]["code"])
        return payload["address"]["id"]

    async def place_paid_order(self, store: dict, rng: random.Random, pickup: bool = False) -> dict:
        """Address, slot, cart, checkout, pay, and the sandbox's payment callback: a PAID order
        (same-city; `pickup=True`: a store pickup order, collected "once it is ready", no slot)."""
        address = slot = None
        if not pickup:
            address = await self.address_near(store, rng)
            slots = (await self.gql(SLOTS, {"s": store["id"], "a": address}))["deliverySlots"]
            bookable = [s for s in slots["slots"] if s["available"]]
            if not bookable:
                raise TrafficError("no bookable slot (store closed or no rider rostered)")
            slot = next((s for s in bookable if s["kind"] == "EXPRESS_30"), bookable[0])
        shelf = (await self.gql(SHELF, {"s": store["id"]}))["store"]["products"]["edges"]
        skus = [k for e in shelf for k in e["node"]["skus"]
                if k["stock"] and k["stock"]["quantityAvailable"] >= 10 * k["quantityRule"]["minimum"]]
        if not skus:
            raise TrafficError("nothing in stock")
        sku = rng.choice(skus)
        added = (await self.gql(ADD, {"s": store["id"], "k": sku["id"], "q": sku["quantityRule"]["minimum"]}))["cartLinesAdd"]
        if added["errors"]:
            raise TrafficError(added["errors"][0]["code"])
        checkout = (await self.gql(CHECKOUT, {"i": {"storeId": store["id"],
                                                    "fulfilmentType": "STORE_PICKUP" if pickup else "SAME_CITY_DELIVERY",
                                                    "addressId": address, "slotId": slot["id"] if slot else None,
                                                    "idempotencyKey": str(uuid.uuid4())}}))["checkoutComplete"]
        if checkout["errors"]:
            raise TrafficError(checkout["errors"][0]["code"])
        order = checkout["order"]
        paid = (await self.gql(PAY, {"o": order["id"], "k": str(uuid.uuid4())}))["orderPay"]
        if paid["errors"]:
            raise TrafficError(paid["errors"][0]["code"])
        client_payload = paid["clientPayload"]
        if isinstance(client_payload, str):
            import json

            client_payload = json.loads(client_payload)
        simulated = await self.client.post("/payments/sandbox/simulate", json={
            "providerRef": client_payload["providerRef"], "amountFen": client_payload["amount"]})
        if simulated.status_code != 200:
            raise TrafficError(f"sandbox simulate answered {simulated.status_code}")
        return order


SHIFT_START = "mutation { riderShiftStart { rider { id status } errors { code message } } }"
RIDER_TASKS = """query { riderTasks(includeFinished: false) { task { orderId state } orderStatus
  storeLocation(system: WGS84) { longitude latitude } dropLocation(system: WGS84) { longitude latitude } } }"""
ACCEPT = "mutation($o: ID!) { riderTaskAccept(input: {orderId: $o}) { errors { code message } } }"
ARRIVE = "mutation($o: ID!) { riderArriveAtStore(input: {orderId: $o}) { errors { code message } } }"
PICK_UP = "mutation($o: ID!) { riderPickUp(input: {orderId: $o}) { errors { code message } } }"
DELIVER = "mutation($o: ID!, $c: String!) { riderDeliver(input: {orderId: $o, proofCode: $c}) { errors { code message } } }"
POSITIONS = "mutation($p: [RiderPositionInput!]!) { riderPositionReport(input: {positions: $p}) { accepted errors { code message } } }"
PACK = "mutation($o: ID!, $s: OrderStatus!) { orderTransition(input: {orderId: $o, status: $s}) { errors { code } } }"
PROOF = "query($o: ID!) { node(id: $o) { ... on Order { deliveryProof { code } } } }"
STAFF_LOGIN = "mutation($u: String!, $p: String!) { staffLogin(input: {username: $u, password: $p}) { tokens { accessToken } errors { code } } }"
STEP_M = 60  # metres per step (every ~3 s): a sped-up e-bike, so a delivery takes a minute or two


def _toward(here: tuple[float, float], there: tuple[float, float], metres: float) -> tuple[tuple[float, float], bool]:
    """Move up to `metres` from here to there (lat, lon); whether it arrived."""
    dlat = (there[0] - here[0]) * 111_320
    dlon = (there[1] - here[1]) * 111_320 * math.cos(math.radians(here[0]))
    distance = math.hypot(dlat, dlon)
    if distance <= metres:
        return there, True
    f = metres / distance
    return (here[0] + (there[0] - here[0]) * f, here[1] + (there[1] - here[1]) * f), False


@dataclass
class Fleet:
    """The demo store's riders doing their job over the API: on shift, accepting what the engine
    or staff give them, riding to the store, (the store packs the order, as its staff would)
    picking up, riding to the drop-off and delivering with the customer's proof code."""

    client: httpx.AsyncClient
    riders: list[tuple[int, str]]
    store: dict
    staff_token: str
    customer_of: dict[str, str] = field(default_factory=dict)  # order id -> its customer's token (proof codes)
    customer_tokens: list[str] = field(default_factory=list)  # every demo customer's, for older orders
    tenant: str = "qianxian"
    where: dict[int, tuple[float, float]] = field(default_factory=dict)
    step_m: float = STEP_M

    async def gql(self, token: str, query: str, variables: dict | None = None) -> dict:
        response = await self.client.post("/graphql", json={"query": query, "variables": variables or {}},
                                          headers={"X-Tenant": self.tenant, "Authorization": f"Bearer {token}"})
        body = response.json()
        if body.get("errors"):
            raise TrafficError(body["errors"][0].get("message", "error"))
        return body["data"]

    async def start(self) -> int:
        started = 0
        for rider_id, token in self.riders:
            result = (await self.gql(token, SHIFT_START))["riderShiftStart"]
            started += not result["errors"]
            self.where.setdefault(rider_id, self._store_point())
        return started

    def _store_point(self) -> tuple[float, float]:
        return self.store["location"]["latitude"], self.store["location"]["longitude"]

    async def step(self, rng: random.Random) -> None:
        for rider_id, token in self.riders:
            tasks = (await self.gql(token, RIDER_TASKS))["riderTasks"]
            here = self.where.get(rider_id, self._store_point())
            for task in tasks:
                if task["task"]["state"] == "ASSIGNED":
                    await self.gql(token, ACCEPT, {"o": task["task"]["orderId"]})
                    task["task"]["state"] = "ACCEPTED"
            to_store = [t for t in tasks if t["task"]["state"] in ("ACCEPTED", "AT_STORE")]
            carried = [t for t in tasks if t["task"]["state"] == "PICKED_UP" and t["dropLocation"]]
            if to_store:  # collect everything waiting at the store first
                here, arrived = _toward(here, self._store_point(), self.step_m)
                if arrived:
                    for task in to_store:
                        await self._collect(token, task)
            elif carried:
                drop = carried[0]["dropLocation"]
                here, arrived = _toward(here, (drop["latitude"], drop["longitude"]), self.step_m)
                if arrived:
                    await self._deliver(token, carried[0]["task"]["orderId"])
            else:  # idle: drift back towards the store
                here, _ = _toward(here, self._store_point(), self.step_m / 2)
                here = (here[0] + rng.uniform(-0.0002, 0.0002), here[1] + rng.uniform(-0.0002, 0.0002))
            self.where[rider_id] = here
            await self.gql(token, POSITIONS, {"p": [{"longitude": round(here[1], 6), "latitude": round(here[0], 6), "system": "WGS84"}]})

    async def _collect(self, token: str, task: dict) -> None:
        order = task["task"]["orderId"]
        if task["task"]["state"] == "ACCEPTED":
            await self.gql(token, ARRIVE, {"o": order})
        if task["orderStatus"] in ("PAID", "PICKING"):  # the store packs it (staff, over the API)
            for status in (("PICKING", "READY") if task["orderStatus"] == "PAID" else ("READY",)):
                await self.gql(self.staff_token, PACK, {"o": order, "s": status})
        await self.gql(token, PICK_UP, {"o": order})

    async def _deliver(self, token: str, order: str) -> None:
        # The proof code is shown to the order's customer only. An order placed by an earlier run
        # of the generator is not in customer_of: ask each demo customer (others see null).
        known = self.customer_of.get(order)
        for customer in ([known] if known else []) + [t for t in self.customer_tokens if t != known]:
            node = (await self.gql(customer, PROOF, {"o": order}))["node"]
            if node and node["deliveryProof"]:
                await self.gql(token, DELIVER, {"o": order, "c": node["deliveryProof"]["code"]})
                self.customer_of.pop(order, None)
                return


async def staff_token(client: httpx.AsyncClient, username: str, tenant: str = "qianxian") -> str:
    from demo.people import DEMO_PASSWORD

    response = await client.post("/graphql", json={"query": STAFF_LOGIN, "variables": {"u": username, "p": DEMO_PASSWORD}},
                                 headers={"X-Tenant": tenant})
    tokens = response.json()["data"]["staffLogin"]["tokens"]
    if not tokens:
        raise TrafficError(f"demo staff {username} cannot sign in")
    return tokens["accessToken"]


async def wait_for_api(client: httpx.AsyncClient, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TrafficError("the API did not come up")
        await asyncio.sleep(1)


async def run(api: str, store_code: str, every_s: float, max_orders: int, seed: int | None = None,
              manager: str = "mgr.hz-xh-002") -> int:
    from demo.people import CUSTOMERS

    rng = random.Random(seed)
    placed = 0
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        await wait_for_api(client)
        tokens: dict[str, tuple[str, float]] = {}
        store = fleet = None
        fleet_signed_at = 0.0
        while max_orders <= 0 or placed < max_orders:
            mobile = rng.choice(CUSTOMERS).mobile
            try:
                token, signed_at = tokens.get(mobile, ("", 0.0))
                if not token or time.monotonic() - signed_at > TOKEN_LIFETIME_S:
                    token = await customer_token(mobile)
                    tokens[mobile] = (token, time.monotonic())
                shopper = Shopper(client, token)
                store = store or await shopper.store(store_code)
                if fleet is None or time.monotonic() - fleet_signed_at > TOKEN_LIFETIME_S:
                    fleet = Fleet(client, await rider_tokens(store_code), store, await staff_token(client, manager),
                                  customer_of=fleet.customer_of if fleet else {}, where=fleet.where if fleet else {},
                                  customer_tokens=[token for _, token in await _demo_tokens("customer", [c.mobile for c in CUSTOMERS])])
                    fleet_signed_at = time.monotonic()
                    log.info("demo traffic: %d riders of %s on shift", await fleet.start(), store_code)
                order = await shopper.place_paid_order(store, rng)
                fleet.customer_of[order["id"]] = token
                placed += 1
                log.info("demo traffic: order %s placed and paid at %s", order["number"], store_code)
            except (TrafficError, TrafficRefused, httpx.HTTPError) as exc:
                log.warning("demo traffic: no order this round: %s", exc)
            deadline = time.monotonic() + every_s * rng.uniform(0.6, 1.4)
            while time.monotonic() < deadline:  # riders move between orders
                try:
                    if fleet is not None:
                        await fleet.step(rng)
                except (TrafficError, httpx.HTTPError) as exc:
                    log.warning("demo traffic: riders: %s", exc)
                await asyncio.sleep(min(3.0, max(0.0, deadline - time.monotonic())))
    return placed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    parser.add_argument("--store", default=DEFAULT_STORE, help="store code (default: Huanglong, open 24 h)")
    parser.add_argument("--every", type=float, default=15.0, help="seconds between orders (randomised ±40 %%)")
    parser.add_argument("--max", type=int, default=2000, help="stop after this many orders (0: never)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per order, not per request
    try:
        check_allowed()
    except TrafficRefused as exc:
        print(f"demo traffic: {exc}")
        return 0 if os.environ.get("QIANDIAN_DEMO_TRAFFIC", "0") != "1" else 2
    asyncio.run(run(args.api, args.store, args.every, args.max))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
