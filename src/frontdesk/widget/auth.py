"""Who calls the Widget API (Chatwoot's ``WebsiteTokenHelper``): the web widget by ``website_token``
(query or body) and the visitor by the ``X-Auth-Token`` widget token.

* unknown ``website_token`` → 404 ``{"error": "web widget does not exist"}``; a suspended account → 401;
* a token that does not decode, was minted for another inbox, or names no contact inbox of this inbox →
  404, as Chatwoot's RecordNotFound (routes that need no visitor — inbox members, campaigns — and the
  config, which makes a visitor, skip this).

Credentials come first: a body is parsed only once they hold (``widget_body``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.di import NamedDependency, Provide

from frontdesk.db import UnitOfWork
from frontdesk.errors import NotFound, Unauthorized
from frontdesk.kit.body import BodySpec, parse_body
from frontdesk.kit.transactions import request_unit_of_work
from frontdesk.widget import repository
from frontdesk.widget.tokens import WidgetClaims, WidgetTokens

T = TypeVar("T", bound=msgspec.Struct)

ACCOUNT_SUSPENDED = "Account is suspended"
AUTH_HEADER = "x-auth-token"
MAX_TOKEN_BODY = 1024 * 1024
_INBOX_KEY = "frontdesk.widget_inbox"
_SESSION_KEY = "frontdesk.widget_session"


@dataclass(frozen=True)
class WidgetSession:
    """The widget's inbox (with its channel columns) and, once known, the visitor: its contact inbox and contact."""

    inbox: Any
    # None (typed Any: rows are untyped) until a widget token named a visitor of this inbox.
    contact_inbox: Any = None
    contact: Any = None
    claims: WidgetClaims | None = None

    @property
    def account_id(self) -> int:
        account_id: int = self.inbox.account_id
        return account_id


def widget_tokens(request: Request[Any, Any, Any]) -> WidgetTokens:
    tokens: WidgetTokens = request.app.state.widget_tokens
    return tokens


async def _body_website_token(request: Request[Any, Any, Any]) -> str | None:
    """``website_token`` of a JSON or url-encoded body (multipart bodies stream into storage and are
    not read here: the widget always sends the token in the query string)."""
    length = request.headers.get("content-length", "")
    # Only a body of known, ordinary size is read for it (upload routes lift the server's body limit).
    if not length.isdigit() or int(length) > MAX_TOKEN_BODY:
        return None
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        value: Any = (await request.form()).get("website_token")
    elif content_type in ("", "application/json"):
        raw = await request.body()
        if not raw.strip():
            return None
        try:
            decoded = msgspec.json.decode(raw)
        except (msgspec.DecodeError, RecursionError):
            return None
        value = decoded.get("website_token") if isinstance(decoded, dict) else None
    else:
        return None
    return value if isinstance(value, str) else None


async def website_token_of(request: Request[Any, Any, Any]) -> str | None:
    token: str | None = request.query_params.get("website_token")
    if token:
        return token
    if request.method in ("GET", "HEAD", "DELETE"):
        return None
    return await _body_website_token(request)


def check_account(inbox: Any) -> None:
    if inbox.account_status != 0:
        raise Unauthorized(ACCOUNT_SUSPENDED)


async def resolve_inbox(request: Request[Any, Any, Any], uow: UnitOfWork) -> Any:
    state: dict[str, Any] = request.scope.setdefault("state", {})
    known = state.get(_INBOX_KEY)
    if known is None:
        known = await repository.get_web_widget(uow, await website_token_of(request))
        check_account(known)
        state[_INBOX_KEY] = known
    return known


async def find_visitor(
    uow: UnitOfWork, tokens: WidgetTokens, inbox: Any, token: str | None
) -> tuple[Any, Any, WidgetClaims] | None:
    """The contact inbox and contact a widget token names in this inbox, or None (no, bad or foreign token)."""
    claims = tokens.decode(token)
    if claims is None or claims.inbox_id != inbox.id:
        return None
    contact_inbox = await repository.find_session(uow, inbox.id, claims.source_id)
    if contact_inbox is None:
        return None
    return contact_inbox, await repository.get_contact(uow, contact_inbox.contact_id), claims


async def resolve_session(request: Request[Any, Any, Any], uow: UnitOfWork, *, required: bool) -> WidgetSession:
    state: dict[str, Any] = request.scope.setdefault("state", {})
    known: WidgetSession | None = state.get(_SESSION_KEY)
    if known is None:
        inbox = await resolve_inbox(request, uow)
        visitor = await find_visitor(uow, widget_tokens(request), inbox, request.headers.get(AUTH_HEADER))
        known = WidgetSession(inbox) if visitor is None else WidgetSession(inbox, *visitor)
        state[_SESSION_KEY] = known
    if required and known.contact is None:
        raise NotFound()
    return known


async def provide_visitor(request: Request[Any, Any, Any], uow: NamedDependency[UnitOfWork]) -> WidgetSession:
    """The widget and its visitor (404 without a valid ``X-Auth-Token`` for this inbox)."""
    return await resolve_session(request, uow, required=True)


async def provide_maybe_visitor(request: Request[Any, Any, Any], uow: NamedDependency[UnitOfWork]) -> WidgetSession:
    """The widget, and its visitor when the token names one."""
    return await resolve_session(request, uow, required=False)


async def provide_widget_inbox(request: Request[Any, Any, Any], uow: NamedDependency[UnitOfWork]) -> WidgetSession:
    """The widget only: no visitor needed (inbox members, campaigns)."""
    return WidgetSession(await resolve_inbox(request, uow))


async def provide_write_uow(request: Request[Any, Any, Any]) -> UnitOfWork:
    """A write transaction even on GET: Chatwoot's ``GET /widget`` creates the visitor, and its
    ``GET …/toggle_status`` resolves the conversation."""
    return await request_unit_of_work(request.scope, request.app.state.database, write=True)


def widget_body(struct: type[T], wrap: str | None = None) -> Provide:
    """The dependency parsing an endpoint's body into ``struct``, once the widget and visitor are known."""

    async def provide_payload(request: Request[Any, Any, Any], session: NamedDependency[WidgetSession]) -> Any:
        return await parse_body(request, struct, wrap)

    provide_payload.body_spec = BodySpec(struct, wrap)  # type: ignore[attr-defined]
    return Provide(provide_payload)


VISITOR = {"session": Provide(provide_visitor)}
MAYBE_VISITOR = {"session": Provide(provide_maybe_visitor)}
INBOX_ONLY = {"session": Provide(provide_widget_inbox)}
WRITE_ON_GET = {"uow": Provide(provide_write_uow)}

__all__ = [
    "INBOX_ONLY",
    "MAYBE_VISITOR",
    "VISITOR",
    "WRITE_ON_GET",
    "WidgetSession",
    "find_visitor",
    "widget_body",
]
