"""Logs (issue 18): client mistakes are one INFO line without a traceback; our own failures are
ERROR with the traceback and a request id the client also gets (header and masked error)."""
from __future__ import annotations

import json
import logging

import pytest

from app.request_log import JsonFormatter, RequestIdFilter
from auth.sms import LoggingSmsSender


def _records_at_or_above(caplog, level):
    return [r for r in caplog.records if r.levelno >= level]


async def test_client_errors_are_info_without_traceback(client, world, caplog):
    caplog.set_level(logging.DEBUG)
    bad = [
        "{ stores(first: 5) { edges { node { nope } } } }",  # validation error
        "{ stores(first: 5, after: \"not-a-cursor\") { edges { node { id } } } }",  # malformed argument
        "{ node(id: \"bm90LWEtZ2xvYmFsLWlk\") { id } }",  # not a global id
        "{ " + "a: __typename " * 40 + "}",  # refused document (too many aliases)
        "{ stores(first: 5",  # parse error
    ]
    for query in bad:
        body = await world.gql(client, query)
        assert body.get("errors"), body
        assert all(e["message"] != "Unexpected error." for e in body["errors"]), body
    assert _records_at_or_above(caplog, logging.WARNING) == []
    assert [r for r in caplog.records if r.exc_info] == []
    client_lines = [r for r in caplog.records if r.name == "qiandian.graphql"]
    assert len(client_lines) >= len(bad) and all(r.levelno == logging.INFO for r in client_lines)


async def test_payload_errors_and_rate_limits_are_not_errors_in_the_log(client, world, caplog):
    caplog.set_level(logging.DEBUG)
    mutation = "mutation($m: String!) { requestLoginCode(input: {mobile: $m}) { sent errors { code } } }"
    codes = []
    for _ in range(3):  # one per minute per mobile: the second and third are RATE_LIMITED
        body = await world.gql(client, mutation, {"m": "+8613900009999"})
        codes += [e["code"] for e in body["data"]["requestLoginCode"]["errors"]]
    assert "RATE_LIMITED" in codes
    assert _records_at_or_above(caplog, logging.ERROR) == []
    assert [r for r in caplog.records if r.exc_info] == []


async def test_unexpected_error_is_logged_with_traceback_and_request_id(client, world, caplog, monkeypatch):
    import resolvers.stores

    async def broken(*_args, **_kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(resolvers.stores, "stores", broken)
    caplog.set_level(logging.INFO)
    response = await client.post("/graphql", json={"query": "{ stores(first: 1) { edges { node { id } } } }"},
                                 headers={"X-Tenant": world.slug})
    body = response.json()
    request_id = response.headers["x-request-id"]
    assert len(request_id) >= 16
    [error] = body["errors"]
    assert error["message"] == "Unexpected error."
    assert "database on fire" not in response.text
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    [record] = _records_at_or_above(caplog, logging.ERROR)
    assert record.exc_info and record.exc_info[0] is RuntimeError
    assert request_id in record.getMessage()
    assert "database on fire" in record.getMessage()


async def test_request_id_header_on_every_response_and_incoming_id_kept(client):
    first = await client.get("/healthz")
    second = await client.get("/healthz")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    kept = await client.get("/healthz", headers={"X-Request-Id": "proxy-abc-12345678"})
    assert kept.headers["x-request-id"] == "proxy-abc-12345678"
    forged = await client.get("/healthz", headers={"X-Request-Id": "bad id\nwith newline"})
    assert forged.headers["x-request-id"] != "bad id\nwith newline"


async def test_dev_sms_code_is_its_own_marked_line(caplog):
    caplog.set_level(logging.INFO)
    await LoggingSmsSender().send_login_code("+8613800000001", "000000")
    [record] = [r for r in caplog.records if "DEV LOGIN CODE" in r.getMessage()]
    assert record.getMessage().startswith("=== DEV LOGIN CODE === +8613800000001: 000000")
    assert "\n" not in record.getMessage()


def test_json_format_is_one_object_per_line_with_request_id():
    from app.request_log import request_id_var

    formatter = JsonFormatter()
    token = request_id_var.set("req-123456789")
    try:
        record = logging.LogRecord("qiandian.x", logging.ERROR, __file__, 1, "boom %s", ("here",), None)
        RequestIdFilter().filter(record)
        try:
            raise ValueError("inner")
        except ValueError:
            import sys

            record.exc_info = sys.exc_info()
        line = formatter.format(record)
    finally:
        request_id_var.reset(token)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "boom here" and entry["level"] == "ERROR"
    assert entry["request_id"] == "req-123456789"
    assert "ValueError: inner" in entry["exception"]


def test_log_format_setting_is_validated():
    from core.settings import Settings

    assert Settings(log_format="json").log_format == "json"
    with pytest.raises(RuntimeError):
        Settings(log_format="xml")
