"""Versions: publish now or at a time, history kept, rollback publishes a copy."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.storefront.helpers import ROLLBACK, node_gid, notice, page, publish, save, save_and_publish, section

VERSIONS = """query($node: ID!) { storefrontVersions(nodeId: $node) { edges { node {
  version status publishAt rolledBackFrom document } } } }"""


@pytest.fixture
def clock(monkeypatch):
    """The storefront resolvers' clock, moved by hand."""
    import resolvers.storefront

    class Clock:
        now = datetime(2031, 3, 1, 8, 0, tzinfo=timezone.utc)

    monkeypatch.setattr(resolvers.storefront, "utc_now", lambda: Clock.now)
    return Clock


async def test_a_scheduled_version_goes_live_exactly_at_publish_at(client, world, clock):
    await save_and_publish(client, world, "hq", "hq", {"sections": [notice("notice", "before")]})
    at = clock.now + timedelta(hours=2)
    draft = await save(client, world, "hq", "hq", {"sections": [notice("notice", "after")]})
    scheduled = await publish(client, world, "hq", draft["storefrontVersion"]["id"], at.astimezone(timezone(timedelta(hours=8))).isoformat())
    assert scheduled["errors"] == [] and scheduled["storefrontVersion"]["status"] == "SCHEDULED"
    assert datetime.fromisoformat(scheduled["storefrontVersion"]["publishAt"]) == at
    clock.now = at - timedelta(microseconds=1)
    assert section(await page(client, world), "notice")["text"] == "before"
    clock.now = at
    live = section(await page(client, world), "notice")
    assert live["text"] == "after" and live["source"]["version"] == 2


async def test_publish_at_must_carry_a_time_zone_and_a_past_one_means_now(client, world, clock):
    draft = await save(client, world, "hq", "hq", {"sections": [notice("notice", "x")]})
    naive = await publish(client, world, "hq", draft["storefrontVersion"]["id"], "2031-03-01T12:00:00")
    assert [(e["field"], e["code"]) for e in naive["errors"]] == [("publishAt", "INVALID")]
    past = await publish(client, world, "hq", draft["storefrontVersion"]["id"], "2020-01-01T00:00:00Z")
    assert past["storefrontVersion"]["status"] == "PUBLISHED"
    assert datetime.fromisoformat(past["storefrontVersion"]["publishAt"]) == clock.now


async def test_publishing_again_is_harmless_but_rescheduling_a_published_version_is_refused(client, world, clock):
    draft = await save(client, world, "hq", "hq", {"sections": [notice("notice", "x")]})
    version_id = draft["storefrontVersion"]["id"]
    first = await publish(client, world, "hq", version_id)
    again = await publish(client, world, "hq", version_id)
    assert again["errors"] == [] and again["storefrontVersion"] == first["storefrontVersion"]
    later = (clock.now + timedelta(days=1)).isoformat()
    assert [e["code"] for e in (await publish(client, world, "hq", version_id, later))["errors"]] == ["ALREADY_PUBLISHED"]


async def test_rollback_publishes_a_copy_and_keeps_history(client, world, clock):
    hq = node_gid(world, "hq")
    for text in ("one", "two", "three"):
        await save_and_publish(client, world, "hq", "hq", {"sections": [notice("notice", text)]})
        clock.now += timedelta(minutes=1)
    body = await world.gql(client, ROLLBACK, {"node": hq, "version": 1}, token=world.staff_token("hq"))
    rolled = body["data"]["storefrontRollback"]
    assert rolled["errors"] == []
    assert rolled["storefrontVersion"]["version"] == 4 and rolled["storefrontVersion"]["rolledBackFrom"] == 1
    live = section(await page(client, world), "notice")
    assert live["text"] == "one" and live["source"]["version"] == 4
    history = await world.gql(client, VERSIONS, {"node": hq}, token=world.staff_token("hq"))
    nodes = [e["node"] for e in history["data"]["storefrontVersions"]["edges"]]
    assert [(n["version"], n["document"]["sections"][0]["text"]) for n in nodes] == [(4, "one"), (3, "three"), (2, "two"), (1, "one")]
    assert {n["status"] for n in nodes} == {"PUBLISHED"}


async def test_rollback_needs_a_published_version_and_versions_need_the_permission(client, world, clock):
    hq = node_gid(world, "hq")
    await save(client, world, "hq", "hq", {"sections": [notice("notice", "draft")]})
    body = await world.gql(client, ROLLBACK, {"node": hq, "version": 1}, token=world.staff_token("hq"))
    assert [e["code"] for e in body["data"]["storefrontRollback"]["errors"]] == ["NOT_PUBLISHED"]
    body = await world.gql(client, ROLLBACK, {"node": hq, "version": 7}, token=world.staff_token("hq"))
    assert [e["code"] for e in body["data"]["storefrontRollback"]["errors"]] == ["NOT_FOUND"]
    denied = await world.gql(client, VERSIONS, {"node": hq}, token=world.staff_token("clerk_a"))
    assert denied["data"] is None and "may not" in denied["errors"][0]["message"]


async def test_concurrent_publishes_of_one_draft_publish_it_once(client, world):
    import asyncio

    draft = await save(client, world, "hq", "hq", {"sections": [notice("notice", "x")]})
    version_id = draft["storefrontVersion"]["id"]
    results = await asyncio.gather(*(publish(client, world, "hq", version_id) for _ in range(5)))
    assert all(r["errors"] == [] for r in results), results
    assert len({r["storefrontVersion"]["publishAt"] for r in results}) == 1
    history = await world.gql(client, VERSIONS, {"node": node_gid(world, "hq")}, token=world.staff_token("hq"))
    assert [e["node"]["version"] for e in history["data"]["storefrontVersions"]["edges"]] == [1]
