"""Two deployments on one Redis do not see each other's tracking events (issue 18): channels carry
QIANDIAN_DEPLOYMENT_NAMESPACE, by default a hash of the database URL."""
from __future__ import annotations

import asyncio
import dataclasses
import os

import pytest

from app.services import build_services
from core.settings import Settings
from db.session import Database
from delivery.tracking import RedisBroker, order_channel

REDIS_URL = os.environ.get("QIANDIAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def test_default_namespace_is_derived_from_the_database_url():
    one = Settings(database_url="postgresql+asyncpg://db-one/qiandian")
    assert one.tracking_namespace == Settings(database_url="postgresql+asyncpg://db-one/qiandian").tracking_namespace
    assert one.tracking_namespace != Settings(database_url="postgresql+asyncpg://db-two/qiandian").tracking_namespace
    assert "db-one" not in one.tracking_namespace
    assert Settings(deployment_namespace="shop-cn-1").tracking_namespace == "shop-cn-1"
    with pytest.raises(RuntimeError):
        Settings(deployment_namespace="bad namespace with spaces")


async def test_two_apps_with_different_namespaces_share_one_redis_without_crosstalk(database_url):
    base = Settings(database_url=database_url, sweeper_interval_s=0, redis_url=REDIS_URL)
    deployments = []
    for namespace in ("deploy-a", "deploy-b"):
        settings = dataclasses.replace(base, deployment_namespace=namespace)
        deployments.append(build_services(settings, database=Database(database_url)))
    a, b = deployments
    try:
        if not isinstance(await a.tracking.broker(), RedisBroker) or not isinstance(await b.tracking.broker(), RedisBroker):
            if os.environ.get("CI"):
                pytest.fail(f"Redis not reachable at {REDIS_URL}")
            pytest.skip(f"Redis not reachable at {REDIS_URL}")
        channel = order_channel(1, 42)  # same tenant id and order id in both deployments
        assert a.tracking.wire_channel(channel) != b.tracking.wire_channel(channel)
        async with a.tracking.subscribe(channel) as messages:
            # B publishes first (its commit hook); Redis delivers in publish order, so if B's message
            # crossed over, A's subscriber would see it before A's own.
            await b.tracking.publish_many([(channel, {"type": "STATUS", "from": "b"})])
            await a.tracking.publish_many([(channel, {"type": "STATUS", "from": "a"})])
            first = await asyncio.wait_for(messages.__anext__(), timeout=10)
        assert first == {"type": "STATUS", "from": "a"}
    finally:
        for services in deployments:
            await services.tracking.close()
            await services.database.dispose()
