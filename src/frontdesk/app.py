"""create_app(): routers, exception handlers, the database's lifespan, the OpenAPI document."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from frontdesk import __version__
from frontdesk.auth.dependencies import provide_account, provide_current_user, provide_uow
from frontdesk.config import Settings, load_settings
from frontdesk.dashboard.assets import dashboard_app, dashboard_index, front_door
from frontdesk.dashboard.sessions import SessionKeys, session_user_resolver
from frontdesk.db import Database
from frontdesk.errors import FrontdeskError
from frontdesk.events.registry import register_listeners
from frontdesk.idempotency.middleware import IdempotencyMiddleware
from frontdesk.kit.docs import docs_router
from frontdesk.kit.openapi import build_openapi
from frontdesk.kit.security_headers import SecurityHeadersMiddleware
from frontdesk.kit.tokens import TokenVault
from frontdesk.kit.transactions import TransactionMiddleware
from frontdesk.observability.endpoints import metrics
from frontdesk.observability.middleware import ObservabilityMiddleware
from frontdesk.ratelimit.limiter import build_rate_limiter
from frontdesk.ratelimit.middleware import RateLimitMiddleware
from frontdesk.realtime.hub import Hub
from frontdesk.routes import route_handlers
from frontdesk.widget.tokens import WidgetTokens

logger = logging.getLogger("frontdesk")


def _frontdesk_error(_: Request[Any, Any, Any], exc: FrontdeskError) -> Response[Any]:
    return Response(exc.body, status_code=exc.status_code)


def _validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    attributes: list[str] = []
    messages: list[str] = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            if item.get("key"):
                attributes.append(str(item["key"]))
            messages.append(f"{item.get('key', 'value')}: {item.get('message', 'is invalid')}")
    message = ", ".join(messages) or (exc.detail or "Invalid request")
    return Response({"message": message, "attributes": attributes}, status_code=422)


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, NotFoundException):
        return Response({"error": "Resource could not be found"}, status_code=404)
    return Response({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def _integrity_error(_: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    # Services check what they can; a race that still trips a constraint is the client's conflict, not a 500.
    logger.info("integrity error answered 422: %s", exc.orig)
    return Response({"error": "The change conflicts with existing data"}, status_code=422)


def _out_of_range(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # An id beyond the column's range (SQLite's int64, PostgreSQL's int4) names no row: Chatwoot answers 404.
    return Response({"error": "Resource could not be found"}, status_code=404)


def _database_error(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    # asyncpg refuses an int4 parameter beyond its range before the query runs ("out of int32 range");
    # PostgreSQL itself says "out of range" (SQLSTATE 22003).
    if "out of int32 range" in str(exc.orig) or "out of range" in str(exc.orig):
        return _out_of_range(request, exc)
    # SQLSTATE class 22 is "data exception": the input's fault (e.g. a NUL character in a text parameter,
    # 22021, which asyncpg reports as a generic error rather than a DataError).
    sqlstate = str(getattr(exc.orig, "sqlstate", "") or "")
    if isinstance(exc, DataError) or sqlstate.startswith("22"):
        logger.info("data error answered 422: %s", exc.orig)
        return Response({"error": "A value is malformed or out of range"}, status_code=422)
    return _unexpected_error(request, exc)


def _unexpected_error(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    logger.exception("unhandled error", exc_info=exc)
    return Response({"error": "Internal server error"}, status_code=500)


@get("/health", include_in_schema=False, sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "woot", "version": __version__}


@get("/openapi.json", include_in_schema=False)
async def openapi_document(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return build_openapi(request.app)


def equip_with_files(database: Database, settings: Settings) -> None:
    from frontdesk.attachments.urls import equip

    equip(database, settings)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        database = Database(settings.database_url, cache=True)
        equip_with_files(database, settings)
        await database.start()
        realtime = Hub(settings, database)
        register_listeners(database.dispatcher, settings, realtime=realtime.after_commit)
        app.state.database = database
        await realtime.start()
        app.state.realtime = realtime
        worker = None
        runner = None
        if settings.embedded_worker:
            from frontdesk.jobs.runner import JobRunner
            from frontdesk.webhooks.worker import DeliveryWorker

            worker = DeliveryWorker(database, settings)
            await worker.start()
            runner = JobRunner(database, settings)
            await runner.start()
        try:
            yield
        finally:
            # Both finish (or give up on) their work in flight at once, within the shutdown grace.
            await asyncio.gather(*(part.stop() for part in (worker, runner) if part is not None))
            await realtime.stop()
            await rate_limiter.close()
            await database.storage.close()
            await database.dispose()

    rate_limiter = build_rate_limiter(settings)
    state = State(
        {
            "settings": settings,
            "vault": TokenVault(settings.secret_key),
            "rate_limiter": rate_limiter,
            "session_keys": SessionKeys(settings.secret_key),
            "widget_tokens": WidgetTokens(settings.secret_key, settings.widget_token_expiry_days),
            "session_user_resolver": session_user_resolver,
        }
    )
    app = Litestar(
        route_handlers=[
            health,
            metrics,
            openapi_document,
            docs_router,
            front_door,
            dashboard_index,
            dashboard_app,
            *route_handlers(),
        ],
        dependencies={
            "uow": Provide(provide_uow),
            "current_user": Provide(provide_current_user),
            "account": Provide(provide_account),
        },
        exception_handlers={
            FrontdeskError: _frontdesk_error,
            ValidationException: _validation_error,
            HTTPException: _http_error,
            IntegrityError: _integrity_error,
            DBAPIError: _database_error,
            OverflowError: _out_of_range,
            Exception: _unexpected_error,
        },
        # Outermost first: limits before anything runs; idempotency around the request's transaction.
        middleware=[RateLimitMiddleware, IdempotencyMiddleware, TransactionMiddleware],
        lifespan=[lifespan],
        state=state,
        openapi_config=OpenAPIConfig(
            title="Frontdesk",
            version=__version__,
            description="A Chatwoot-compatible customer-support inbox API.",
            # Litestar's own rendering of the bare document; /openapi.json and /docs are the public ones.
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
            create_examples=False,
        ),
        request_max_body_size=20 * 1024 * 1024,
        debug=False,
    )
    # Outside the router, unlike the list above: unmatched requests (404, 405) are also given an id, counted
    # and sent the security headers.
    app.asgi_handler = SecurityHeadersMiddleware(ObservabilityMiddleware(app.asgi_handler))
    return app


def app_from_environment() -> Litestar:
    """The uvicorn factory: ``uvicorn --factory frontdesk.app:app_from_environment``."""
    return create_app(load_settings())
