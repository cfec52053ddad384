"""The staff console against the real server: README command 1's demo (migrated SQLite, the demo
chain, the courier partner simulator) served by uvicorn in a subprocess on free ports, and
Debian's chromium driven by Playwright's Python client (never a downloaded browser).

Without /usr/bin/chromium or the playwright package the browser tests skip with a message;
in CI (CI=true) they fail instead, so a missing browser can never pass as green.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("QIANDIAN_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "docs" / "screenshots"
TENANT = "qianxian"
MANAGER = "mgr.hz-xh-002"  # 黄龙店 Huanglong, open 24 h: orders and riders at any hour
PASSWORD = "demo-password-123"
STORE_CODE = "HZ-XH-002"


def _missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI=true: the browser tests must run; see scripts/ensure-chromium.sh)")
    pytest.skip(f"{reason}; run scripts/ensure-chromium.sh")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout_s: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"{what} did not happen within {timeout_s} s\n{tail}")


class Demo:
    """The running demo: its URL, its log (for login codes) and public API helpers."""

    def __init__(self, base_url: str, log: Path, database_url: str = ""):
        self.base_url = base_url
        self.database_url = database_url
        self.log = log
        self.client = httpx.Client(base_url=base_url, timeout=30, headers={"X-Tenant": TENANT})
        self._mobiles = iter(range(1, 1000))

    def gql(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers).json()
        assert not body.get("errors"), body
        return body["data"]

    def staff_token(self, username: str = MANAGER) -> str:
        data = self.gql("mutation($u: String!, $p: String!) { staffLogin(input: {username: $u, password: $p}) { tokens { accessToken } errors { code } } }",
                        {"u": username, "p": PASSWORD})
        return data["staffLogin"]["tokens"]["accessToken"]

    def login_code(self, mobile: str) -> str:
        """requestLoginCode, then the code from the server log's DEV LOGIN CODE line (the
        development SMS sender writes it there)."""
        sent = self.gql("mutation($m: String!) { requestLoginCode(input: {mobile: $m}) { sent errors { code } } }", {"m": mobile})
        assert sent["requestLoginCode"]["sent"], sent
        pattern = re.compile(r"=== DEV LOGIN CODE === " + re.escape(mobile) + r": (\d{6})")
        found: list[str] = []
        _wait(lambda: bool(found.extend(pattern.findall(self.log.read_text(errors="replace"))) or found), 10, "login code in the log")
        return found[-1]

    def customer_token(self) -> str:
        """A new customer signed in through the public API."""
        mobile = f"+86139{next(self._mobiles):08d}"
        data = self.gql("mutation($m: String!, $c: String!) { customerLogin(input: {mobile: $m, code: $c}) { tokens { accessToken } errors { code } } }",
                        {"m": mobile, "c": self.login_code(mobile)})
        return data["customerLogin"]["tokens"]["accessToken"]

    def start_rider_shifts(self) -> int:
        """The demo store's riders sign in (riderLogin) and start their shift, as their app would."""
        store = self.gql(f'query {{ stores(first: 50, search: "黄龙") {{ edges {{ node {{ id code }} }} }} }}')["stores"]["edges"][0]["node"]["id"]
        riders = self.gql("query($s: ID!) { riders(storeId: $s) { edges { node { mobile } } } }", {"s": store},
                          token=self.staff_token())["riders"]["edges"]
        for edge in riders:
            mobile = edge["node"]["mobile"]
            login = self.gql("mutation($m: String!, $c: String!) { riderLogin(input: {mobile: $m, code: $c}) { tokens { accessToken } errors { code } } }",
                             {"m": mobile, "c": self.login_code(mobile)})["riderLogin"]
            started = self.gql("mutation { riderShiftStart { rider { status } errors { code } } }", token=login["tokens"]["accessToken"])
            assert started["riderShiftStart"]["errors"] == [], started
        return len(riders)

    def add_zones(self) -> list[str]:
        """Two polygon tiers around the demo store, drawn through deliveryZoneCreate as its manager
        (MANAGE_DELIVERY): the map shows them instead of the radius circle. Tier 1 covers every
        drop-off demo/traffic.py picks (within 2.2 km) and allows express, so orders place and
        promise as before."""
        import math

        store = self.gql(f'query {{ stores(first: 50, search: "黄龙") {{ edges {{ node {{ id location(system: WGS84) {{ longitude latitude }} }} }} }} }}')
        node = store["stores"]["edges"][0]["node"]
        lon0, lat0 = node["location"]["longitude"], node["location"]["latitude"]

        def ring(radius_m: float, sides: int, turn: float) -> list[list[float]]:
            points = []
            for i in range(sides):
                angle = turn + 2 * math.pi * i / sides
                points.append([round(lon0 + radius_m * math.sin(angle) / (111_320 * math.cos(math.radians(lat0))), 6),
                               round(lat0 + radius_m * math.cos(angle) / 111_320, 6)])
            return points + [points[0]]

        made = []
        for tier, name, radius, sides, fee in ((1, "近场 2.5 km", 2500, 8, "4.00"), (2, "外圈 3.4 km", 3400, 10, "7.00")):
            data = self.gql("mutation($i: DeliveryZoneCreateInput!) { deliveryZoneCreate(input: $i) { zone { id } errors { code message } } }",
                            {"i": {"storeId": node["id"], "tier": tier, "name": name, "system": "WGS84", "expressAllowed": True,
                                   "polygon": {"type": "Polygon", "coordinates": [ring(radius, sides, math.pi / sides)]},
                                   "feeRule": {"bands": [{"fee": fee}]}}}, token=self.staff_token())
            assert data["deliveryZoneCreate"]["errors"] == [], data
            made.append(data["deliveryZoneCreate"]["zone"]["id"])
        return made

    def place_order(self, pickup: bool = False) -> tuple[dict, str]:
        """A paid order at the demo store placed like an app would (demo/traffic.py's Shopper)."""
        from demo.traffic import Shopper

        token = self._customer = getattr(self, "_customer", None) or self.customer_token()  # one shopper, one sign-in

        async def run():
            import random

            async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as client:
                shopper = Shopper(client, token)
                store = await shopper.store(STORE_CODE)
                return await shopper.place_paid_order(store, random.Random(), pickup=pickup)

        # Playwright's sync API keeps its own event loop on this thread: run ours on another.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, run()).result(), token


@pytest.fixture(scope="session")  # one demo server for every console test module
def demo(tmp_path_factory):
    try:
        import playwright  # noqa: F401
    except ImportError:
        _missing("the playwright package is not installed (pip install -e '.[test]')")
    if not os.path.exists(CHROMIUM):
        _missing(f"{CHROMIUM} is missing")
    work = tmp_path_factory.mktemp("console-demo")
    api_port, sim_port = _free_port(), _free_port()
    api = f"http://127.0.0.1:{api_port}"
    sim = f"http://127.0.0.1:{sim_port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{work / 'demo.sqlite3'}",
        "QIANDIAN_DISPATCH_INTERVAL_S": "0",  # the engine runs when the page asks (dispatchNow), not on a timer
        "QIANDIAN_COURIER_LOOP_INTERVAL_S": "0",
        "QIANDIAN_SWEEPER_INTERVAL_S": "0",
        "QIANDIAN_COURIER_BASE_URLS": ",".join(f"{p}={sim}/{p}" for p in
                                               ("dada", "fengniao", "sf", "shansong", "uu", "uber", "doordash", "lalamove", "meituan")),
        "QIANDIAN_COURIER_CALLBACK_BASE_URL": api,
        "QIANDIAN_DEMO_TRAFFIC": "0",
        "QIANDIAN_SMS_BUDGET_PER_CLIENT": "0",  # every sign-in code of the test comes from 127.0.0.1
    }
    env.pop("QIANDIAN_ENV", None)
    log = work / "api.log"
    sim_log = work / "sim.log"
    procs = []
    try:
        with open(log, "wb") as out:
            procs.append(subprocess.Popen([sys.executable, "qiandian_cli.py", "serve", "--demo", "--port", str(api_port)],
                                          cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
        _wait(lambda: httpx.get(f"{api}/readyz", timeout=2).status_code == 200, 90, "the API starting", log)
        with open(sim_log, "wb") as out:  # slow steps: a called courier stays cancellable during the test
            procs.append(subprocess.Popen([sys.executable, "-m", "demo.courier_simulator", "--demo", "--port", str(sim_port),
                                           "--api", api, "--step-s", "120"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
        _wait(lambda: "demo brand wired" in sim_log.read_text(errors="replace"), 60, "the courier simulator wiring the demo", sim_log)
        running = Demo(api, log, env["DATABASE_URL"])
        assert running.start_rider_shifts() >= 1
        running.zones = running.add_zones()
        yield running
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def browser(demo):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # --no-sandbox: CI and the developers' machines run as root, where chromium's sandbox cannot start.
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.console_failed = report.failed


@pytest.fixture()
def page(browser, demo, request, tmp_path):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.problems = problems
    yield page
    if getattr(request.node, "console_failed", False):  # what the page showed, for whoever reads the failure
        shot = tmp_path / "failure.png"
        page.screenshot(path=str(shot))
        print(f"console page at failure: {shot}\n{page.locator('body').inner_text()[:2000]}")
    context.close()
    assert not [p for p in problems if "WebSocket" not in p], problems  # a closed socket at teardown is fine


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))
