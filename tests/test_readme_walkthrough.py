"""README.md, followed top to bottom, works against README command 1's demo (issue 18).

Every ```graphql block of README.md runs, in order, against a freshly migrated and seeded demo
database through the ASGI app (HTTP POST /graphql, or the graphql-transport-ws websocket for a
`subscription`), with the ```json block that follows it (only blank lines between) as its
variables. Every request sends `X-Tenant: qianxian`. Unless marked, a block must answer with no
top-level error and every payload `errors` list empty; the log of the whole run must hold no
ERROR and no traceback.

The convention, for whoever adds a README example (markers are HTML comments, invisible on GitHub):

  {{name}}                        in a graphql or json block: a value saved earlier (below), pasted as
                                  is (inside "..." for a string; bare for a number)
  {{UUID}}                        a new random UUID at each use (idempotency keys)
  {{LOGIN_CODE}}                  the code of the last requestLoginCode: the server log's
                                  `=== DEV LOGIN CODE ===` line (here the test's SMS sender)
  <!-- save: name = a.b.0.c -->   after a block: save a value of its response (a path from the top,
                                  `data.…`; a number picks a list element; `items[field]` picks the
                                  first element whose `field` is true); a JSON string is parsed
                                  when the path goes inside it
  <!-- as: name -->               from here on send `Authorization: Bearer {{name}}`
                                  (`<!-- as: anonymous -->` sends none)
  <!-- expect: error CODE -->     the next block must fail with CODE (a payload error's code or a
                                  top-level error's extensions.code)
  <!-- post: /path {json} -->     an HTTP POST the reader makes by hand (e.g. the sandbox payment
                                  simulator shown as curl); placeholders are filled in

A README section that cannot run against the demo should not be a ```graphql block.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
TENANT = "qianxian"
MARKER = re.compile(r"<!--\s*(save|as|expect|post):\s*(.*?)\s*-->", re.S)
FENCE = re.compile(r"^```(\w*)\s*$")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w-]*)\s*\}\}")


@dataclass
class Step:
    kind: str  # graphql | post
    text: str = ""
    variables: str | None = None
    line: int = 0
    expect: str | None = None
    auth: str | None = None
    saves: list[tuple[str, str]] = field(default_factory=list)


def parse_readme(text: str) -> list[Step]:
    """The README's runnable steps in order, with their markers applied."""
    steps: list[Step] = []
    lines = text.splitlines()
    auth, expect = None, None
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if fence:
            lang, start = fence.group(1), i
            i += 1
            body = []
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            i += 1
            if lang == "graphql":
                steps.append(Step("graphql", "\n".join(body), line=start + 1, expect=expect, auth=auth))
                expect = None
            elif lang == "json" and steps and steps[-1].kind == "graphql" and steps[-1].variables is None \
                    and _only_blank(lines[steps[-1].line:start], "```"):
                steps[-1].variables = "\n".join(body)
            continue
        for kind, value in MARKER.findall(lines[i]):
            if kind == "as":
                auth = None if value == "anonymous" else value
            elif kind == "expect":
                expect = value.removeprefix("error").strip()
            elif kind == "save":
                name, _, path = value.partition("=")
                assert steps, f"README line {i + 1}: save before any block"
                steps[-1].saves.append((name.strip(), path.strip()))
            elif kind == "post":
                path, _, body = value.partition(" ")
                steps.append(Step("post", body.strip(), variables=path.strip(), line=i + 1, auth=auth))
        i += 1
    return steps


def _only_blank(between: list[str], fence: str) -> bool:
    """Between a graphql block's opening line and a json fence: the graphql body, its closing fence, blanks."""
    try:
        closing = next(n for n, line in enumerate(between) if line.startswith(fence))
    except StopIteration:
        return False
    return all(not line.strip() for line in between[closing + 1:])


def fill(text: str, saved: dict) -> str:
    def value(match):
        name = match.group(1)
        if name == "UUID":
            return str(uuid.uuid4())
        assert name in saved, f"placeholder {{{{{name}}}}} used before it was saved"
        return str(saved[name])

    return PLACEHOLDER.sub(value, text)


def pick(document, path: str):
    current = document
    for segment in path.split("."):
        if isinstance(current, str):
            current = json.loads(current)
        filtered = re.fullmatch(r"(\w+)\[(\w+)\]", segment)
        if filtered:
            items = current[filtered.group(1)]
            current = next(item for item in items if item.get(filtered.group(2)))
        elif segment.isdigit():
            current = current[int(segment)]
        else:
            current = current[segment]
    return current


def error_codes(body: dict) -> list[str]:
    codes = [(e.get("extensions") or {}).get("code", "TOP_LEVEL_ERROR") for e in body.get("errors") or []]

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "errors" and isinstance(value, list):
                    codes.extend(e.get("code") for e in value if isinstance(e, dict))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(body.get("data"))
    return codes


def test_readme_parses_into_steps_with_variables():
    steps = parse_readme(README.read_text())
    graphql = [s for s in steps if s.kind == "graphql"]
    assert len(graphql) >= 20
    for step in graphql:
        uses_variables = re.search(r"^\s*(query|mutation|subscription)\s*\w*\s*\(", step.text)
        assert not uses_variables or step.variables is not None, f"README line {step.line}: variables block missing"


def _prepare_demo(backend: str, tmp_path: Path) -> tuple[str, object]:
    from db.migrate import upgrade_async
    from db.session import Database
    from demo.roster import ensure_demo_roster
    from demo.seed import seed_demo

    async def prepare():
        if backend == "sqlite":
            url, drop = f"sqlite+aiosqlite:///{tmp_path / 'demo.sqlite3'}", None
        else:
            from tests.conftest import _create_pg_database, _drop_pg_database

            name = f"qiandian_readme_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            try:
                url = await _create_pg_database(name)
            except Exception as exc:  # noqa: BLE001
                if os.environ.get("CI"):
                    pytest.fail(f"PostgreSQL not reachable: {exc}")
                pytest.skip(f"PostgreSQL not reachable: {exc}")
            drop = name
        await upgrade_async(url)
        database = Database(url)
        try:
            await seed_demo(database)  # what README command 1 does (qiandian serve --demo)
            await ensure_demo_roster(database)
        finally:
            await database.dispose()
        return url, drop

    return asyncio.run(prepare())


def test_readme_walkthrough_runs_top_to_bottom(backend, tmp_path, caplog):
    from starlette.testclient import TestClient

    from app.services import build_services
    from asgi import create_app
    from auth.sms import MemorySmsSender
    from core.settings import Settings

    url, drop = _prepare_demo(backend, tmp_path)
    settings = Settings(database_url=url, sweeper_interval_s=0, anonymous_cache_ttl_ms=0)
    sms = MemorySmsSender()
    caplog.set_level(logging.INFO)
    saved: dict = {}
    try:
        with TestClient(create_app(settings, build_services(settings, sms=sms))) as client:
            for step in parse_readme(README.read_text()):
                if sms.sent:
                    saved["LOGIN_CODE"] = sms.sent[-1][1]
                headers = {"X-Tenant": TENANT}
                if step.auth:
                    headers["Authorization"] = f"Bearer {saved[step.auth]}"
                where = f"README line {step.line}"
                if step.kind == "post":
                    response = client.post(step.variables, content=fill(step.text, saved), headers=headers)
                    assert response.status_code == 200, (where, response.text)
                    continue
                query = fill(step.text, saved)
                variables = json.loads(fill(step.variables, saved)) if step.variables else {}
                if query.lstrip().startswith("subscription"):
                    body = _subscribe(client, headers, query, variables)
                else:
                    response = client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
                    assert response.status_code == 200, (where, response.text)
                    body = response.json()
                codes = error_codes(body)
                if step.expect:
                    assert step.expect in codes, (where, "expected", step.expect, body)
                else:
                    assert codes == [], (where, body)
                for name, path in step.saves:
                    saved[name] = pick(body, path)
    finally:
        if drop:
            from tests.conftest import _drop_pg_database

            asyncio.run(_drop_pg_database(drop))
    assert saved.get("delivered") == "COMPLETED"  # the same-city order went all the way
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


def _subscribe(client, headers: dict, query: str, variables: dict) -> dict:
    """The first message of a subscription (the SNAPSHOT), credentials in connection_init as a browser sends them."""
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": headers})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}})
        message = ws.receive_json()
        assert message["type"] in ("next", "error"), message
        ws.send_json({"id": "1", "type": "complete"})
        return message["payload"] if message["type"] == "next" else {"errors": message["payload"]}
