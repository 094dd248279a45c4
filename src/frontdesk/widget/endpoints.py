"""The website widget over HTTP: the widget page (``GET /widget``), the built SDK and app
(``/packs/…``), and the Widget API (``/api/v1/widget/*``) the widget app calls.

Auth (``frontdesk.widget.auth``): ``website_token`` (query or body) names the inbox, the
``X-Auth-Token`` widget token the visitor; a visitor reaches only its own contact, conversations and
messages.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from frontdesk.auth.dependencies import Uow
from frontdesk.config import Settings
from frontdesk.dashboard.assets import files_origin
from frontdesk.errors import NotFound
from frontdesk.public.presenters import present_contact_record
from frontdesk.public.schemas import ContactRecord
from frontdesk.widget import page, presenters, service
from frontdesk.widget.auth import (
    MAYBE_VISITOR,
    VISITOR,
    WRITE_ON_GET,
    WidgetSession,
    check_account,
    widget_body,
    widget_tokens,
)
from frontdesk.widget.repository import get_web_widget
from frontdesk.widget.schemas import (
    WidgetConfig,
    WidgetContact,
    WidgetContactUpdate,
    WidgetCustomAttributeKeys,
)
from frontdesk.widget.static_files import (
    IMMUTABLE,
    NOT_BUILT,
    SDK_CACHE,
    SHORT_CACHE,
    app_root,
    media_type,
    read_static,
    static_dir,
    widget_entry,
)

Session = NamedDependency[WidgetSession]


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# --- the page and the built files ------------------------------------------------------------------


def _not_built() -> Response[bytes]:
    return Response(NOT_BUILT.encode(), status_code=503, media_type="text/plain")


def _embedded_from_non_web_origin(request: Request[Any, Any, Any], inbox: Any) -> bool:
    """Mobile web views load the page from ``file://`` or a ``null`` origin, which no ``frame-ancestors``
    source matches; the inbox flag ``allow_mobile_webview`` lets them frame it."""
    if not service.has_feature(inbox, service.ALLOW_MOBILE_WEBVIEW):
        return False
    origin = request.headers.get("origin")
    return not origin or origin == "null" or origin.startswith("file://")


@get("/widget", include_in_schema=False, dependencies=WRITE_ON_GET)
async def widget_page(
    request: Request[Any, Any, Any],
    uow: Uow,
    website_token: FromQuery[str | None] = None,
    cw_conversation: FromQuery[str | None] = None,
    locale: FromQuery[str | None] = None,
) -> Response[bytes]:
    """The widget's HTML page: the visitor of ``cw_conversation`` (a widget token of this inbox), else a
    new anonymous visitor with a new token."""
    inbox = await get_web_widget(uow, website_token)
    check_account(inbox)
    settings = _settings(request)
    entry = widget_entry(static_dir(settings))
    if entry is None:
        return _not_built()
    contact_inbox, _, token = await service.visitor_of(
        uow, widget_tokens(request), inbox, cw_conversation, fresh_token=False
    )
    week = await service.working_hours(uow, inbox)
    offset = service.utc_offset(inbox.timezone)
    nonce = page.new_nonce()
    lang = locale if locale in presenters.LANGUAGE_CODES else presenters.locale_of(inbox)
    body = page.render_page(
        lang=lang.replace("_", "-"),
        title=presenters.BRAND_NAME,
        entry=entry,
        nonce=nonce,
        web_channel=presenters.web_channel_globals(inbox, week, offset),
        pubsub_token=contact_inbox.pubsub_token,
        auth_token=token,
        global_config=presenters.global_config(settings, page=True),
    )
    database = getattr(request.app.state, "database", None)
    ancestors = page.frame_ancestors(inbox.allowed_domains, open_to_all=_embedded_from_non_web_origin(request, inbox))
    headers = {
        "Content-Security-Policy": page.content_security_policy(
            nonce, ancestors, files_origin(getattr(database, "storage", None))
        ),
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body, media_type="text/html", headers=headers)


@get("/packs/js/sdk.js", include_in_schema=False, sync_to_thread=False)
def sdk_script(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The host-page SDK, at the path Chatwoot's embed snippet loads it from, for any site to load."""
    content = read_static(static_dir(_settings(request)), "sdk.js")
    if content is None:
        return _not_built()
    return Response(
        content,
        media_type="text/javascript",
        headers={"Cache-Control": SDK_CACHE, "Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"},
    )


@get("/packs/widget/{path:path}", include_in_schema=False, sync_to_thread=False)
def widget_file(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[bytes]:
    """The widget app's built files; hashed ``assets/`` are immutable."""
    relative = path.lstrip("/")
    content = read_static(app_root(static_dir(_settings(request))), relative)
    if content is None:
        raise NotFound()
    return Response(
        content,
        media_type=media_type(relative),
        headers={
            "Cache-Control": IMMUTABLE if relative.startswith("assets/") else SHORT_CACHE,
            "Access-Control-Allow-Origin": "*",
            "X-Content-Type-Options": "nosniff",
        },
    )


# --- config and contact -----------------------------------------------------------------------------


@post(
    "/config",
    status_code=200,
    summary="Widget configuration",
    operation_id="widget-config",
    dependencies=MAYBE_VISITOR,
)
async def create_config(request: Request[Any, Any, Any], uow: Uow, session: Session) -> WidgetConfig:
    """The widget's settings and the visitor (a new one without a valid ``X-Auth-Token``), with a
    freshly minted widget token."""
    inbox = session.inbox
    tokens = widget_tokens(request)
    if session.contact_inbox is None:
        contact_inbox, contact = await service.create_visitor(uow, inbox)
    else:
        contact_inbox, contact = session.contact_inbox, session.contact
    token = tokens.mint(contact_inbox.source_id, inbox.id)
    week = await service.working_hours(uow, inbox)
    return presenters.present_config(
        inbox, contact_inbox, contact, token, week, service.utc_offset(inbox.timezone), _settings(request)
    )


@get("/contact", summary="Get the visitor", operation_id="widget-get-contact", dependencies=VISITOR)
async def show_contact(session: Session) -> WidgetContact:
    return presenters.present_contact(session.contact, with_identifier=True)


@patch(
    "/contact",
    summary="Update the visitor",
    operation_id="widget-update-contact",
    dependencies={**VISITOR, "payload": widget_body(WidgetContactUpdate)},
)
async def update_contact(uow: Uow, session: Session, payload: NamedDependency[WidgetContactUpdate]) -> WidgetContact:
    """Chatwoot's ContactIdentifyAction with invalid fields discarded; no identity check here."""
    _, contact = await service.identify(
        uow, session.inbox, session.contact_inbox, session.contact, payload, verified=False
    )
    return presenters.present_contact(contact)


@patch(
    "/contact/set_user",
    summary="Identify the visitor",
    operation_id="widget-set-user",
    dependencies={**VISITOR, "payload": widget_body(WidgetContactUpdate)},
)
async def set_user(
    request: Request[Any, Any, Any], uow: Uow, session: Session, payload: NamedDependency[WidgetContactUpdate]
) -> WidgetContact:
    """``$chatwoot.setUser``: 401 on a wrong ``identifier_hash`` (or none when identity validation is
    mandatory); a visitor that already is another identified contact becomes a new contact, whose widget
    token comes back as ``widget_auth_token``."""
    _, contact, new_token = await service.set_user(uow, widget_tokens(request), session, payload)
    return presenters.present_contact(contact, widget_auth_token=new_token)


@post(
    "/contact/destroy_custom_attributes",
    status_code=200,
    summary="Remove custom attributes of the visitor",
    operation_id="widget-destroy-contact-custom-attributes",
    dependencies={**VISITOR, "payload": widget_body(WidgetCustomAttributeKeys)},
)
async def destroy_contact_custom_attributes(
    uow: Uow, session: Session, payload: NamedDependency[WidgetCustomAttributeKeys]
) -> ContactRecord:
    row = await service.remove_contact_attributes(uow, session, service.attribute_keys(payload.custom_attributes))
    return present_contact_record(row)


widget_api = Router(
    path="/api/v1/widget",
    route_handlers=[
        create_config,
        show_contact,
        update_contact,
        set_user,
        destroy_contact_custom_attributes,
    ],
    tags=["Widget API"],
    # No user credentials: the website token names the inbox, the X-Auth-Token widget token the visitor.
    security=[{}],
)

router = Router(path="/", route_handlers=[widget_page, sdk_script, widget_file, widget_api])
