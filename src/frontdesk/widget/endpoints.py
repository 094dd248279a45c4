"""The website widget over HTTP: the widget page (``GET /widget``), the built SDK and app
(``/packs/…``), and the Widget API (``/api/v1/widget/*``) the widget app calls.

Auth (``frontdesk.widget.auth``): ``website_token`` (query or body) names the inbox, the
``X-Auth-Token`` widget token the visitor; a visitor reaches only its own contact, conversations and
messages.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery

from frontdesk.attachments import presenters as attachment_presenters
from frontdesk.attachments import service as attachment_service
from frontdesk.attachments.endpoints import DirectUploadAnswer, DirectUploadCreate, start_direct_upload
from frontdesk.attachments.requests import FilesForm, authenticate_read_only, files_form, remove_unclaimed
from frontdesk.attachments.uploads import is_multipart
from frontdesk.auth.dependencies import Uow
from frontdesk.config import Settings
from frontdesk.dashboard.assets import files_origin
from frontdesk.db import UnitOfWork
from frontdesk.errors import NotFound
from frontdesk.kit.schema import EmptyResponse
from frontdesk.public.presenters import present_contact_record
from frontdesk.public.schemas import ContactRecord
from frontdesk.realtime.presence import USER
from frontdesk.widget import page, presenters, service
from frontdesk.widget.auth import (
    INBOX_ONLY,
    MAYBE_VISITOR,
    VISITOR,
    WRITE_ON_GET,
    WidgetSession,
    check_account,
    resolve_session,
    widget_body,
    widget_tokens,
)
from frontdesk.widget.repository import get_web_widget
from frontdesk.widget.schemas import (
    ConversationRecord,
    ErrorBody,
    WidgetCampaign,
    WidgetConfig,
    WidgetContact,
    WidgetContactUpdate,
    WidgetConversationAttributeKeys,
    WidgetConversationAttributes,
    WidgetConversationCreate,
    WidgetConversationCreated,
    WidgetConversationSummary,
    WidgetCustomAttributeKeys,
    WidgetEventCreate,
    WidgetInboxMembers,
    WidgetLabel,
    WidgetMessageCreate,
    WidgetMessageCreated,
    WidgetMessageList,
    WidgetMessageUpdate,
    WidgetMessageUpdated,
    WidgetTranscript,
    WidgetTyping,
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


def _visit(request: Request[Any, Any, Any], locale: str | None = None) -> service.Visit:
    return service.Visit.of(request.headers.get("user-agent"), request.headers.get("accept-language"), locale)


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


# --- conversations ----------------------------------------------------------------------------------


@get(
    "/conversations", summary="The visitor's conversation", operation_id="widget-get-conversation", dependencies=VISITOR
)
async def show_conversation(uow: Uow, session: Session) -> WidgetConversationSummary:
    """The visitor's latest conversation, or ``{}`` when it has none."""
    return presenters.present_summary(await service.latest_conversation(uow, session))


@post(
    "/conversations",
    status_code=200,
    summary="Start a conversation",
    operation_id="widget-create-conversation",
    dependencies={**VISITOR, "payload": widget_body(WidgetConversationCreate)},
)
async def create_conversation(
    request: Request[Any, Any, Any], uow: Uow, session: Session, payload: NamedDependency[WidgetConversationCreate]
) -> WidgetConversationCreated:
    """The pre-chat form: the contact's name, email and phone number, a new conversation and its first message."""
    conversation, contact = await service.create_conversation(
        uow, session, payload, _visit(request), flood_limit=_settings(request).message_flood_limit
    )
    return await presenters.present_created_conversation(uow, conversation, contact)


@post(
    "/conversations/toggle_typing",
    status_code=200,
    summary="Typing on or off",
    operation_id="widget-toggle-typing",
    dependencies={**VISITOR, "payload": widget_body(WidgetTyping)},
)
async def toggle_typing(uow: Uow, session: Session, payload: NamedDependency[WidgetTyping]) -> EmptyResponse:
    """``typing_status`` ``on`` or ``off``: ``conversation.typing_on``/``_off`` for the agents (404 without
    a conversation)."""
    conversation = await service.require_conversation(uow, session)
    service.toggle_typing(uow, session, conversation, payload.typing_status)
    return EmptyResponse()


@get(
    "/conversations/toggle_status",
    summary="End the conversation",
    operation_id="widget-toggle-status",
    dependencies={**VISITOR, **WRITE_ON_GET},
    responses={403: ResponseSpec(ErrorBody, description="The inbox does not let visitors end conversations")},
)
async def toggle_status(uow: Uow, session: Session) -> EmptyResponse:
    """Resolves the visitor's conversation (a GET, as Chatwoot's); 403 unless the inbox has ``end_conversation``."""
    conversation = await service.require_conversation(uow, session)
    await service.end_conversation(uow, session, conversation)
    return EmptyResponse()


@post(
    "/conversations/update_last_seen",
    status_code=200,
    summary="The visitor read the conversation",
    operation_id="widget-update-last-seen",
    dependencies=VISITOR,
)
async def update_last_seen(uow: Uow, session: Session) -> EmptyResponse:
    await service.update_last_seen(uow, await service.latest_conversation(uow, session))
    return EmptyResponse()


@post(
    "/conversations/transcript",
    status_code=200,
    summary="E-mail the transcript",
    operation_id="widget-transcript",
    dependencies={**VISITOR, "payload": widget_body(WidgetTranscript)},
    responses={402: ResponseSpec(ErrorBody, description="E-mail transcripts are not available")},
)
async def transcript(uow: Uow, session: Session, payload: NamedDependency[WidgetTranscript]) -> EmptyResponse:
    """Frontdesk sends no e-mail yet: 402, as Chatwoot for an account without e-mail transcripts (429
    without a conversation, as Chatwoot)."""
    del payload
    service.send_transcript(await service.latest_conversation(uow, session))
    return EmptyResponse()


@post(
    "/conversations/set_custom_attributes",
    status_code=204,
    summary="Replace the conversation's custom attributes",
    operation_id="widget-set-conversation-custom-attributes",
    dependencies={**VISITOR, "payload": widget_body(WidgetConversationAttributes)},
)
async def set_conversation_custom_attributes(
    uow: Uow, session: Session, payload: NamedDependency[WidgetConversationAttributes]
) -> None:
    conversation = await service.require_conversation(uow, session)
    await service.replace_conversation_attributes(uow, session, conversation, payload.custom_attributes)


@post(
    "/conversations/destroy_custom_attributes",
    status_code=200,
    summary="Remove custom attributes of the conversation",
    operation_id="widget-destroy-conversation-custom-attributes",
    dependencies={**VISITOR, "payload": widget_body(WidgetConversationAttributeKeys)},
)
async def destroy_conversation_custom_attributes(
    uow: Uow, session: Session, payload: NamedDependency[WidgetConversationAttributeKeys]
) -> ConversationRecord:
    conversation = await service.require_conversation(uow, session)
    row = await service.remove_conversation_attributes(
        uow, session, conversation, service.attribute_keys(payload.custom_attribute)
    )
    return presenters.present_conversation_record(row)


# --- messages ---------------------------------------------------------------------------------------


@get("/messages", summary="The conversation's messages", operation_id="widget-list-messages", dependencies=VISITOR)
async def list_messages(
    uow: Uow, session: Session, before: FromQuery[str | None] = None, after: FromQuery[str | None] = None
) -> WidgetMessageList:
    """The latest 20, 20 before ``before``, or up to 100 after ``after`` (message ids), oldest first;
    private notes and activity messages are not shown. An empty ``payload`` without a conversation."""
    conversation, rows, senders = await service.list_messages(
        uow, session, before=service.cursor(before, "before"), after=service.cursor(after, "after")
    )
    if conversation is None:
        return presenters.present_message_list(None, [])
    return presenters.present_message_list(
        conversation, await presenters.present_messages(uow, conversation, rows, senders)
    )


async def _visitor_exists(request: Request[Any, Any, Any], uow: UnitOfWork) -> None:
    """Before any byte is stored: the widget and the visitor must exist (404 otherwise)."""
    await resolve_session(request, uow, required=True)


def _message_form() -> dict[str, Provide]:
    """``attachments.requests.files_form`` with the visitor checked first for every body, not only
    multipart ones: a stranger's request answers 404 whatever its body."""
    dependencies = files_form(WidgetMessageCreate, None, precheck=_visitor_exists, file_field="message[attachments][]")
    read_form = dependencies["form"].dependency

    async def provide_form(request: Request[Any, Any, Any]) -> FilesForm:
        if not is_multipart(request):
            await authenticate_read_only(request, _visitor_exists)
        form: FilesForm = await read_form(request)
        return form

    dependencies["form"] = Provide(provide_form)
    return dependencies


@post(
    "/messages",
    status_code=200,
    summary="Send a message",
    operation_id="widget-create-message",
    dependencies={**_message_form(), **VISITOR},
    request_max_body_size=None,
    after_response=remove_unclaimed,
)
async def create_message(
    request: Request[Any, Any, Any],
    uow: Uow,
    session: Session,
    payload: NamedDependency[WidgetMessageCreate],
    form: NamedDependency[FilesForm],
) -> WidgetMessageCreated:
    """JSON ``{"message": {"content", "echo_id", "reply_to", …}}``, or ``multipart/form-data`` with
    ``message[content]`` and ``message[attachments][]`` files (or signed blob ids of direct uploads).
    Starts a conversation when the visitor has none."""
    settings = _settings(request)
    created = await service.create_message(
        uow, session, payload, _visit(request), flood_limit=settings.message_flood_limit
    )
    attached = await attachment_service.attach(
        uow,
        uow.database.files,
        account_id=session.account_id,
        message=created.row,
        received=form.files,
        signed_ids=attachment_service.signed_ids_of(form.fields),
        max_attachments=settings.max_attachments,
    )
    return presenters.present_created_message(
        created.row,
        created.conversation_display_id,
        created.senders,
        attachment_presenters.push_data_list(attached, uow.database.files),
    )


async def _update_message(
    uow: UnitOfWork, session: WidgetSession, message_id: int, payload: WidgetMessageUpdate
) -> WidgetMessageUpdated:
    contact = await service.update_message(uow, session, message_id, payload)
    return WidgetMessageUpdated(contact=present_contact_record(contact))


@patch(
    "/messages/{message_id:int}",
    summary="Answer a message (form, e-mail, CSAT)",
    operation_id="widget-update-message",
    dependencies={**VISITOR, "payload": widget_body(WidgetMessageUpdate)},
)
async def patch_message(
    uow: Uow, session: Session, message_id: FromPath[int], payload: NamedDependency[WidgetMessageUpdate]
) -> WidgetMessageUpdated:
    """``{"contact": {"email"}}`` for an ``input_email`` message, else ``{"message": {"submitted_values": […]}}``."""
    return await _update_message(uow, session, message_id, payload)


@put(
    "/messages/{message_id:int}",
    summary="Answer a message (form, e-mail, CSAT)",
    operation_id="widget-update-message-put",
    dependencies={**VISITOR, "payload": widget_body(WidgetMessageUpdate)},
)
async def put_message(
    uow: Uow, session: Session, message_id: FromPath[int], payload: NamedDependency[WidgetMessageUpdate]
) -> WidgetMessageUpdated:
    return await _update_message(uow, session, message_id, payload)


@post(
    "/direct_uploads",
    status_code=200,
    summary="Start a direct upload",
    operation_id="widget-create-direct-upload",
    dependencies={**VISITOR, "payload": widget_body(DirectUploadCreate)},
)
async def create_direct_upload(
    request: Request[Any, Any, Any], uow: Uow, session: Session, payload: NamedDependency[DirectUploadCreate]
) -> DirectUploadAnswer:
    """ActiveStorage's direct upload for the visitor: PUT the bytes to ``direct_upload.url``, then send
    the ``signed_id`` in ``message[attachments][]``."""
    return await start_direct_upload(uow, _settings(request), session.account_id, payload)


# --- events, labels, inbox members, campaigns ----------------------------------------------------------


@post(
    "/events",
    status_code=204,
    summary="A widget event",
    operation_id="widget-create-event",
    dependencies={**VISITOR, "payload": widget_body(WidgetEventCreate)},
)
async def create_event(
    request: Request[Any, Any, Any],
    uow: Uow,
    session: Session,
    payload: NamedDependency[WidgetEventCreate],
    locale: FromQuery[str | None] = None,
) -> None:
    """``webwidget.triggered`` (the widget opened) becomes the ``webwidget_triggered`` webhook, with
    ``widget_language``, ``browser_language`` and ``browser`` merged into ``event_info``."""
    service.trigger_event(uow, session, payload.name, payload.event_info, _visit(request, locale))


@post(
    "/labels",
    status_code=204,
    summary="Label the conversation",
    operation_id="widget-add-label",
    dependencies={**VISITOR, "payload": widget_body(WidgetLabel)},
)
async def add_label(uow: Uow, session: Session, payload: NamedDependency[WidgetLabel]) -> None:
    """Only a label the account has; nothing without a conversation."""
    await service.add_label(uow, session, payload.label)


@delete(
    "/labels/{label:str}",
    status_code=204,
    summary="Remove a label from the conversation",
    operation_id="widget-remove-label",
    dependencies=VISITOR,
)
async def remove_label(uow: Uow, session: Session, label: FromPath[str]) -> None:
    await service.remove_label(uow, session, label)


@get("/inbox_members", summary="The inbox's agents", operation_id="widget-inbox-members", dependencies=INBOX_ONLY)
async def inbox_members(request: Request[Any, Any, Any], uow: Uow, session: Session) -> WidgetInboxMembers:
    """The inbox's agents with their availability: ``offline`` unless connected to the realtime feed."""
    presence = getattr(getattr(request.app.state, "realtime", None), "presence", None)
    online = frozenset(await presence.present(session.account_id, USER)) if presence is not None else frozenset()
    return presenters.present_inbox_members(await service.inbox_agents(uow, session), online)


@get("/campaigns", summary="The inbox's campaigns", operation_id="widget-campaigns", dependencies=INBOX_ONLY)
async def campaigns(session: Session) -> list[WidgetCampaign]:
    """Always empty: Frontdesk has no campaigns (Chatwoot's answer for an account without the feature)."""
    del session
    return []


widget_api = Router(
    path="/api/v1/widget",
    route_handlers=[
        create_config,
        show_contact,
        update_contact,
        set_user,
        destroy_contact_custom_attributes,
        show_conversation,
        create_conversation,
        toggle_typing,
        toggle_status,
        update_last_seen,
        transcript,
        set_conversation_custom_attributes,
        destroy_conversation_custom_attributes,
        list_messages,
        create_message,
        patch_message,
        put_message,
        create_direct_upload,
        create_event,
        add_label,
        remove_label,
        inbox_members,
        campaigns,
    ],
    tags=["Widget API"],
    # No user credentials: the website token names the inbox, the X-Auth-Token widget token the visitor.
    security=[{}],
)

router = Router(path="/", route_handlers=[widget_page, sdk_script, widget_file, widget_api])
