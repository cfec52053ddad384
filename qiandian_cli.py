"""Command line: `qiandian serve | migrate | seed-demo | export-schema | sweep-expired | dispatch-once | webhooks-dispatch | membership-nightly | reports-rebuild | stores-import | prices-import`."""
from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
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


async def _stores_import(settings, tenant_slug: str, parent: str, path: Path) -> tuple[int, list[str]]:
    """An operator's storesImport: same checks, same all-or-nothing transaction, no API principal.
    `parent`: HQ, a network node id (number or global ID) or a partner's exact name."""
    from db.session import Database
    from store_network.store_import import apply_import, find_parent

    database = Database(settings.database_url)
    try:
        async with database.write() as session:
            node = await find_parent(session, tenant_slug, parent)
            result = await apply_import(session, node, path.read_text(encoding="utf-8-sig"))
            if result.errors:
                await session.rollback()
                return 0, [f"row {e.row} {e.field}: {e.code.value}: {e.message}" for e in result.errors]
            return len(result.store_ids), []
    finally:
        await database.dispose()


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


def _reports_rebuild(settings, slug: str, day_from, day_to) -> int:
    """Recompute the report rollup of one tenant from the order tables (reports.rebuild)."""
    import time

    from db.session import Database
    from reports.rebuild import rebuild_tenant

    async def run():
        database = Database(settings.database_url)
        try:
            return await rebuild_tenant(database, slug, day_from, day_to)
        finally:
            await database.dispose()

    started = time.perf_counter()
    try:
        result = asyncio.run(run())
    except (LookupError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"tenant={slug} from={day_from or '-'} to={day_to or '-'} rows={result.rows} "
          f"seconds={time.perf_counter() - started:.2f}")
    return 0


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
    rebuild = sub.add_parser("reports-rebuild", help="recompute a tenant's report rollup from the order tables")
    rebuild.add_argument("--tenant", required=True, help="the tenant's slug")
    rebuild.add_argument("--from", dest="day_from", type=date.fromisoformat, help="first local day (YYYY-MM-DD)")
    rebuild.add_argument("--to", dest="day_to", type=date.fromisoformat, help="last local day (YYYY-MM-DD)")
    importer = sub.add_parser("stores-import", help="create a brand's stores from a CSV file (all rows or none)")
    importer.add_argument("--tenant", required=True, help="the brand's slug")
    importer.add_argument("--parent", default="HQ", help="HQ (default), a network node id, or a partner's exact name")
    importer.add_argument("file", type=Path)
    prices = sub.add_parser("prices-import", help="import store/partner/time prices from CSV (all rows or none)")
    prices.add_argument("--tenant", required=True, help="the brand's slug")
    prices.add_argument("--as", dest="username", required=True, help="the staff member who imports (their grants apply)")
    prices.add_argument("--reason", default="CSV import", help="kept in the price audit")
    prices.add_argument("file", type=Path)
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
    elif args.command == "reports-rebuild":
        return _reports_rebuild(settings, args.tenant, args.day_from, args.day_to)
    elif args.command == "stores-import":
        from core.errors import DomainError

        try:
            created, problems = asyncio.run(_stores_import(settings, args.tenant, args.parent, args.file))
        except DomainError as exc:
            print(f"{exc.code.value}: {exc.message}", file=sys.stderr)
            return 2
        if problems:
            print("\n".join(problems[:200]) + f"\n{len(problems)} problems; nothing was imported", file=sys.stderr)
            return 1
        print(f"imported {created} stores")
    elif args.command == "prices-import":
        from network_pricing.cli import run as prices_import

        status, lines = asyncio.run(prices_import(settings.database_url, args.tenant, args.username, args.file, args.reason))
        for line in lines:
            print(line, file=sys.stderr if status else sys.stdout)
        return status
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
