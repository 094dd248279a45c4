"""``frontdesk serve | worker | migrate | create-admin``."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from frontdesk.config import Settings, load_settings
from frontdesk.errors import FrontdeskError


def scale_out_refusal(settings: Settings, workers: int) -> str | None:
    """Why ``serve`` with these settings and this many processes must not start, in one line (None: it may)."""
    if workers < 1:
        return f"--workers must be at least 1, not {workers}"
    if workers > 1 and settings.is_sqlite:
        return (
            f"--workers {workers} needs PostgreSQL (FRONTDESK_DATABASE_URL): "
            "the embedded SQLite database has one writer, so run one process"
        )
    if workers > 1 and not settings.redis_url:
        return (
            f"--workers {workers} needs FRONTDESK_REDIS_URL: the realtime feed, presence and rate-limit "
            "counters must be shared by the processes"
        )
    if settings.redis_url:
        from frontdesk.realtime.bus import redis_reachable

        if not asyncio.run(redis_reachable(settings.redis_url, wait_seconds=3.0)):
            return f"Redis is not reachable at {_describe_redis(settings.redis_url)} (FRONTDESK_REDIS_URL)"
    return None


def _describe_redis(url: str) -> str:
    return url.split("@")[-1]


def _configure_logging(settings: Settings) -> dict[str, Any] | None:
    """JSON logs (FRONTDESK_LOG_FORMAT=json) from here on; None keeps today's text (uvicorn's default)."""
    import logging.config

    from frontdesk.observability.logging import log_config

    config = log_config(settings.log_format, settings.log_level)
    if config is not None:
        logging.config.dictConfig(config)
    return config


def _serve(settings: Settings, host: str, port: int, workers: int) -> int:
    import signal

    import uvicorn

    from frontdesk.app import create_app
    from frontdesk.migrate import prepare_database

    log_config = _configure_logging(settings)
    refusal = scale_out_refusal(settings, workers)
    if refusal is not None:
        print(f"error: {refusal}", file=sys.stderr)
        return 1
    # Once, before uvicorn's processes start: they find the schema current.
    prepare_database(settings)
    where = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}"
    processes = f", {workers} processes" if workers > 1 else ""
    print(f"Frontdesk listening on {where} (database: {_describe_database(settings)}{processes})", flush=True)
    print(f"Dashboard: {where}/app   API docs: {where}/docs   OpenAPI: {where}/openapi.json", flush=True)
    app: Any
    if workers > 1:
        # uvicorn's processes each import the app by name and build it from the environment: hand them
        # what this process resolved (the CLI's host and port, the data directory, the secret key, which
        # may have been generated into the data directory just now) so every process runs the same settings.
        os.environ.update(_child_environment(settings, host, port, workers))
        app = "frontdesk.app:app_from_environment"
    else:
        app = create_app(settings)
    # uvicorn re-raises the SIGTERM/SIGINT it caught once it has stopped, with the handler it found in place:
    # a no-op one here makes a finished graceful stop exit 0 instead of dying by the signal.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)
    uvicorn.run(
        app,
        factory=workers > 1,
        workers=workers,
        host=host,
        port=port,
        log_level=settings.log_level,
        log_config=log_config or uvicorn.config.LOGGING_CONFIG,
        # SIGTERM: stop accepting, let in-flight requests finish for up to the grace period, then the
        # lifespan's shutdown lets the embedded worker finish and record its attempts in flight.
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_seconds)),
        proxy_headers=bool(settings.trust_proxy),
        forwarded_allow_ips=settings.trust_proxy or None,
        access_log=False,
        # ActionCable frames are small JSON; compressing each one once per socket costs more than it saves.
        ws_per_message_deflate=False,
    )
    return 0


def _child_environment(settings: Settings, host: str, port: int, workers: int) -> dict[str, str]:
    return {
        "FRONTDESK_DATA_DIR": str(settings.data_dir),
        "FRONTDESK_DATABASE_URL": settings.database_url,
        "FRONTDESK_SECRET_KEY": settings.secret_key,
        "FRONTDESK_HOST": host,
        "FRONTDESK_PORT": str(port),
        "FRONTDESK_WORKERS": str(workers),
    }


def _worker(settings: Settings) -> int:
    """A standalone worker — webhook deliveries and durable jobs (run any number of them on PostgreSQL) — until
    SIGINT/SIGTERM."""
    import signal

    from frontdesk.attachments.urls import equip
    from frontdesk.db import Database
    from frontdesk.events.registry import register_listeners
    from frontdesk.jobs.runner import JobRunner
    from frontdesk.migrate import prepare_database
    from frontdesk.webhooks.worker import DeliveryWorker

    _configure_logging(settings)
    prepare_database(settings)

    async def run() -> None:
        database = Database(settings.database_url, pool_size=4)
        equip(database, settings)
        register_listeners(database.dispatcher, settings)
        worker = DeliveryWorker(database, settings)
        runner = JobRunner(database, settings, name=worker.owner)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await worker.start()
        await runner.start()
        print(f"Frontdesk webhook worker {worker.owner} started ({_describe_database(settings)})", flush=True)
        try:
            await stop.wait()
        finally:
            # Both finish (or give up on) their work in flight at once, within the shutdown grace.
            await asyncio.gather(worker.stop(), runner.stop())
            await database.dispose()

    asyncio.run(run())
    return 0


def _describe_database(settings: Settings) -> str:
    if settings.is_sqlite:
        return settings.database_url.split("///", 1)[-1]
    return settings.database_url.split("@")[-1]


def _migrate(settings: Settings) -> int:
    from frontdesk.migrate import prepare_database

    prepare_database(settings, upgrade=True)
    print(f"Database is up to date ({_describe_database(settings)})")
    return 0


async def _create_admin_async(
    settings: Settings, account: str, email: str, password: str, name: str | None
) -> dict[str, object]:
    from frontdesk.accounts.service import create_account_with_admin
    from frontdesk.db import Database
    from frontdesk.kit.tokens import TokenVault

    database = Database(settings.database_url)
    try:
        async with database.unit_of_work() as uow:
            created = await create_account_with_admin(
                uow,
                TokenVault(settings.secret_key),
                account_name=account,
                email=email,
                password=password,
                user_name=name,
            )
    finally:
        await database.dispose()
    return {
        "account_id": created.account_id,
        "user_id": created.user_id,
        "access_token": created.access_token,
    }


def _create_admin(settings: Settings, args: argparse.Namespace) -> int:
    from frontdesk.migrate import prepare_database

    # The embedded default migrates itself here too; on PostgreSQL `serve`, `worker` or `migrate` does it.
    prepare_database(settings, upgrade=settings.auto_migrate and settings.is_sqlite)
    try:
        result = asyncio.run(_create_admin_async(settings, args.account, args.email, args.password, args.name))
    except FrontdeskError as error:
        print(f"error: {error.body.get('message') or error.body.get('error')}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result))
    else:
        print(f"Created account {result['account_id']} with administrator {args.email} (user {result['user_id']}).")
        print(f"API access token: {result['access_token']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="frontdesk", description="A Chatwoot-compatible support inbox.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP server (migrating the database first)")
    serve.add_argument("--host", default=None, help="interface to bind (FRONTDESK_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port to bind (FRONTDESK_PORT, default 3000)")
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server processes on the port (FRONTDESK_WORKERS, default 1; above 1 needs PostgreSQL and Redis)",
    )
    commands.add_parser("worker", help="run a webhook and job worker (beside `serve`, any number on PostgreSQL)")
    commands.add_parser("migrate", help="bring the database schema up to date")
    admin = commands.add_parser("create-admin", help="create an account with its first administrator")
    admin.add_argument("--account", required=True, help="the account's name")
    admin.add_argument("--email", required=True)
    admin.add_argument("--password", required=True)
    admin.add_argument("--name", default=None, help="the administrator's name (default: from the email)")
    admin.add_argument("--json", action="store_true", help="print one JSON object: account_id, user_id, access_token")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from frontdesk.migrate import DatabaseNotReady, unreachable

    args = build_parser().parse_args(argv)
    settings = load_settings()
    try:
        return _run(args, settings)
    except DatabaseNotReady as error:
        print(f"frontdesk: {error}", file=sys.stderr, flush=True)
        return 1
    except SQLAlchemyError as error:
        # The database went away (or never was) after the start-up check: one line, not a traceback.
        print(f"frontdesk: {unreachable(settings.database_url, error)}", file=sys.stderr, flush=True)
        return 1


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        workers = settings.workers if args.workers is None else args.workers
        return _serve(settings, args.host or settings.host, args.port or settings.port, workers)
    if args.command == "worker":
        return _worker(settings)
    if args.command == "migrate":
        return _migrate(settings)
    if args.command == "create-admin":
        return _create_admin(settings, args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
