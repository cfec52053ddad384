"""Command line: `qiandian serve | migrate | seed-demo | export-schema | sweep-expired | dispatch-once | webhooks-dispatch | membership-nightly`."""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from core.settings import PROJECT_ROOT, load_settings
from app.request_log import configure_logging

SCHEMA_FILE = PROJECT_ROOT / "schema.graphql"


def _migrate(settings) -> None:
    from db.migrate import upgrade

    upgrade(settings.database_url)
    print(f"migrated {settings.database_url.split('@')[-1]}")


def _seed(settings) -> None:
    from db.session import Database
    from demo.seed import seed_demo

    from demo.roster import ensure_demo_roster

    async def run():
        database = Database(settings.database_url)
        try:
            from media.storage import storage_from_settings

            loaded = await seed_demo(database, storage_from_settings(settings))
            return loaded, await ensure_demo_roster(database)
        finally:
            await database.dispose()

    loaded, shifts = asyncio.run(run())
    print(("demo chain loaded" if loaded else "demo chain already present") + f"; {shifts} rider shifts added")


async def _dispatch_once(settings) -> list[str]:
    """One engine run per partition (advisory-locked like the server's loop); key=value lines."""
    from core.clock import utc_now
    from db.session import Database
    from delivery.board.engine import run_all
    from delivery.tracking import TOPIC, TrackingHub
    from events.wiring import register_listeners
    from geo import zone_lookup
    from app.services import couriers_from_settings, road_from_settings

    register_listeners()
    zone_lookup.use_road_provider(road_from_settings(settings))  # as the server does: the same roads
    database, hub = Database(settings.database_url), TrackingHub(settings.redis_url)
    database.set_commit_hook(TOPIC, hub.publish_many)
    try:
        outcomes = await run_all(database, utc_now(), trigger="cli", hub=hub, couriers=couriers_from_settings(settings))
    finally:
        await hub.close()
        await database.dispose()
    lines = [
        f"partition={o.partition} status={o.status} open_orders={o.open_orders} assigned={len(o.assigned)} "
        f"handed_off={len(o.handed_off)} solve_ms={o.solve_ms:.0f}"
        for o in outcomes
    ]
    return lines + [f"partitions={len(outcomes)} assigned={sum(len(o.assigned) for o in outcomes)} "
                    f"handed_off={sum(len(o.handed_off) for o in outcomes)}"]


async def _webhooks_dispatch(settings, once: bool) -> None:
    """The webhook dispatcher (webhooks.dispatcher): one round, or rounds until SIGTERM/SIGINT."""
    import signal

    from core.secret_box import SecretBox
    from db.session import Database
    from events.wiring import register_listeners
    from webhooks.dispatcher import DispatchConfig, Dispatcher

    register_listeners()
    database = Database(settings.database_url)
    dispatcher = Dispatcher(database, SecretBox(settings.secret_key, settings.previous_secret_keys), DispatchConfig.from_settings(settings))
    try:
        if once:
            print(f"delivered={await dispatcher.run_once()}")
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await dispatcher.run_forever(stop)
    finally:
        await dispatcher.close()
        await database.dispose()


def export_schema_sdl(settings=None) -> str:
    from core.settings import Settings
    from schema.root import build_schema

    return build_schema(settings or Settings()).as_str() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="qiandian", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the API (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--demo", action="store_true", help="migrate and load the demo chain first")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("seed-demo", help="load the demo chain (idempotent)")
    export = sub.add_parser("export-schema", help="write the GraphQL SDL")
    export.add_argument("--output", type=Path, default=SCHEMA_FILE)
    sub.add_parser("sweep-expired", help="cancel unpaid orders past their TTL, release stock, refund late payments")
    sub.add_parser("dispatch-once", help="run the dispatch engine once for every city partition with work")
    webhooks = sub.add_parser("webhooks-dispatch", help="deliver outbox events to webhook endpoints (run one or more)")
    webhooks.add_argument("--once", action="store_true", help="one round, then exit")
    sub.add_parser("membership-nightly", help="expire points lots and re-evaluate member levels (every brand)")
    args = parser.parse_args(argv)
    settings = load_settings()
    configure_logging(settings.log_format)  # text or JSON lines (QIANDIAN_LOG_FORMAT), with request ids

    if args.command == "migrate":
        _migrate(settings)
    elif args.command == "seed-demo":
        _seed(settings)
    elif args.command == "export-schema":
        args.output.write_text(export_schema_sdl())
        print(f"wrote {args.output}")
    elif args.command == "sweep-expired":
        from asgi import sweep_once
        from app.services import build_services

        async def run():
            services = build_services(settings)
            try:
                return await sweep_once(services)
            finally:
                await services.database.dispose()

        print(f"cancelled {asyncio.run(run())} expired orders")
    elif args.command == "dispatch-once":
        for line in asyncio.run(_dispatch_once(settings)):
            print(line)
    elif args.command == "webhooks-dispatch":
        asyncio.run(_webhooks_dispatch(settings, args.once))
    elif args.command == "membership-nightly":
        from core.clock import utc_now
        from db.session import Database
        from membership.jobs import nightly

        async def nightly_run():
            database = Database(settings.database_url)
            try:
                return await nightly(database, utc_now())
            finally:
                await database.dispose()

        for line in asyncio.run(nightly_run()):
            print(line)
    elif args.command == "serve":
        import uvicorn

        if args.demo:
            _migrate(settings)
            _seed(settings)
        if settings.is_sqlite and args.workers > 1:
            print("SQLite is single-writer; use PostgreSQL for several workers", file=sys.stderr)
            return 2
        uvicorn.run("asgi:app", host=args.host, port=args.port, workers=args.workers, log_level="info",
                    log_config=None)  # keep our handler (configure_logging); uvicorn's loggers propagate to it
    return 0


if __name__ == "__main__":
    sys.exit(main())
