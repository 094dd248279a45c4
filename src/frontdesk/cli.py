"""``frontdesk serve | worker | migrate | create-admin``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

from frontdesk.config import Settings, load_settings
from frontdesk.errors import FrontdeskError


def _serve(settings: Settings, host: str, port: int) -> int:
    import uvicorn

    from frontdesk.app import create_app
    from frontdesk.migrate import migrate_sync

    if settings.is_sqlite:
        # The embedded default migrates itself; PostgreSQL deployments run `frontdesk migrate` once.
        migrate_sync(settings.database_url)
    where = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}"
    print(f"Frontdesk listening on {where} (database: {_describe_database(settings)})", flush=True)
    print(f"Dashboard: {where}/app   API docs: {where}/docs   OpenAPI: {where}/openapi.json", flush=True)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=settings.log_level,
        proxy_headers=bool(settings.trust_proxy),
        forwarded_allow_ips=settings.trust_proxy or None,
        access_log=False,
        # ActionCable frames are small JSON; compressing each one once per socket costs more than it saves.
        ws_per_message_deflate=False,
    )
    return 0


def _worker(settings: Settings) -> int:
    """A standalone webhook delivery worker (run any number of them on PostgreSQL) until SIGINT/SIGTERM."""
    import signal

    from frontdesk.db import Database
    from frontdesk.events.registry import register_listeners
    from frontdesk.migrate import migrate_sync
    from frontdesk.webhooks.worker import DeliveryWorker

    if settings.is_sqlite:
        migrate_sync(settings.database_url)

    async def run() -> None:
        database = Database(settings.database_url, pool_size=4)
        register_listeners(database.dispatcher, settings)
        worker = DeliveryWorker(database, settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await worker.start()
        print(f"Frontdesk webhook worker {worker.owner} started ({_describe_database(settings)})", flush=True)
        try:
            await stop.wait()
        finally:
            await worker.stop()
            await database.dispose()

    asyncio.run(run())
    return 0


def _describe_database(settings: Settings) -> str:
    if settings.is_sqlite:
        return settings.database_url.split("///", 1)[-1]
    return settings.database_url.split("@")[-1]


def _migrate(settings: Settings) -> int:
    from frontdesk.migrate import migrate_sync

    migrate_sync(settings.database_url)
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
    from frontdesk.migrate import migrate_sync

    if settings.is_sqlite:
        migrate_sync(settings.database_url)
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
    serve = commands.add_parser("serve", help="run the HTTP server (and, on SQLite, migrate first)")
    serve.add_argument("--host", default=None, help="interface to bind (FRONTDESK_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port to bind (FRONTDESK_PORT, default 3000)")
    commands.add_parser("worker", help="run a webhook delivery worker (beside `serve`, any number on PostgreSQL)")
    commands.add_parser("migrate", help="bring the database schema up to date")
    admin = commands.add_parser("create-admin", help="create an account with its first administrator")
    admin.add_argument("--account", required=True, help="the account's name")
    admin.add_argument("--email", required=True)
    admin.add_argument("--password", required=True)
    admin.add_argument("--name", default=None, help="the administrator's name (default: from the email)")
    admin.add_argument("--json", action="store_true", help="print one JSON object: account_id, user_id, access_token")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    if args.command == "serve":
        return _serve(settings, args.host or settings.host, args.port or settings.port)
    if args.command == "worker":
        return _worker(settings)
    if args.command == "migrate":
        return _migrate(settings)
    if args.command == "create-admin":
        return _create_admin(settings, args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
