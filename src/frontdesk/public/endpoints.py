"""The Client API: ``/public/api/v1/inboxes/{inbox_identifier}/…`` for the end users of API inboxes.

No token: the inbox is named by its channel's public ``identifier`` and the end user by its session's
``source_id`` (``contact_identifier``); a contact reaches only its own data (404 otherwise).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from frontdesk.attachments import presenters as attachment_presenters
from frontdesk.attachments import service as attachment_service
from frontdesk.attachments.requests import FilesForm, files_form, remove_unclaimed
from frontdesk.auth.dependencies import Uow
from frontdesk.config import Settings
from frontdesk.db import UnitOfWork
from frontdesk.kit.body import body
from frontdesk.kit.schema import EmptyResponse
from frontdesk.kit.time import utc_now
from frontdesk.message_templates.hours import load_working_hours
from frontdesk.messages import repository as messages_repository
from frontdesk.messages import service as messages_service
from frontdesk.public import presenters, repository, service
from frontdesk.public.schemas import (
    ContactRecord,
    PublicContactCreate,
    PublicContactInbox,
    PublicContactUpdate,
    PublicConversation,
    PublicConversationCreate,
    PublicInbox,
    PublicMessage,
    PublicMessageCreate,
    PublicMessageUpdate,
    PublicTyping,
)

CONTACT = "/{inbox_identifier:str}/contacts/{contact_identifier:str}"
CONVERSATION = CONTACT + "/conversations/{conversation_id:int}"


def _flood_limit(request: Request[Any, Any, Any]) -> int:
    settings: Settings = request.app.state.settings
    return settings.message_flood_limit


async def _session(uow: Uow, inbox_identifier: str, contact_identifier: str) -> tuple[Any, Any, Any]:
    inbox = await repository.get_api_inbox(uow, inbox_identifier)
    contact_inbox, contact = await service.get_session(uow, inbox, contact_identifier)
    return inbox, contact_inbox, contact


async def _conversation(
    uow: Uow, inbox_identifier: str, contact_identifier: str, conversation_id: int
) -> tuple[Any, Any, Any]:
    _, contact_inbox, contact = await _session(uow, inbox_identifier, contact_identifier)
    conversation = await repository.get_conversation(uow, contact_inbox, conversation_id)
    return contact_inbox, contact, conversation


def _before(value: str | None) -> int | None:
    # isdigit() also admits digits int() refuses ("²") and numbers past int()'s 4300-digit limit.
    if value is None or not value.strip().isdigit():
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return None
    # Past any id, "before" bounds nothing (and would overflow the database's integer).
    return number if number <= 2**63 - 1 else None


@get("/{inbox_identifier:str}", summary="Inbox details", operation_id="get-details-of-a-inbox")
async def show_inbox(uow: Uow, inbox_identifier: FromPath[str]) -> PublicInbox:
    inbox = await repository.get_api_inbox(uow, inbox_identifier)
    return presenters.present_inbox(inbox, await load_working_hours(uow.conn, inbox.id))


@post(
    "/{inbox_identifier:str}/contacts",
    status_code=200,
    summary="Create a contact",
    operation_id="create-a-contact",
    dependencies={"payload": body(PublicContactCreate, wrap="contact")},
)
async def create_contact(
    uow: Uow, inbox_identifier: FromPath[str], payload: NamedDependency[PublicContactCreate]
) -> PublicContactInbox:
    inbox = await repository.get_api_inbox(uow, inbox_identifier)
    contact_inbox, contact = await service.create_contact(uow, inbox, payload)
    return presenters.present_contact_inbox(contact_inbox, contact)


@get(CONTACT, summary="Get a contact", operation_id="get-details-of-a-contact")
async def show_contact(
    uow: Uow,
    inbox_identifier: FromPath[str],
    contact_identifier: FromPath[str],
    identifier: FromQuery[str | None] = None,
    identifier_hash: FromQuery[str | None] = None,
) -> PublicContactInbox:
    inbox = await repository.get_api_inbox(uow, inbox_identifier)
    contact_inbox, contact = await service.get_session(uow, inbox, contact_identifier, identifier, identifier_hash)
    return presenters.present_contact_inbox(contact_inbox, contact)


async def _update_contact(
    uow: Uow, inbox_identifier: str, contact_identifier: str, payload: PublicContactUpdate
) -> ContactRecord:
    inbox = await repository.get_api_inbox(uow, inbox_identifier)
    _, contact = await service.get_session(uow, inbox, contact_identifier, payload.identifier, payload.identifier_hash)
    return presenters.present_contact_record(await service.update_contact(uow, inbox, contact, payload))


@patch(
    CONTACT,
    summary="Update a contact",
    operation_id="update-a-contact",
    dependencies={"payload": body(PublicContactUpdate, wrap="contact")},
)
async def patch_contact(
    uow: Uow,
    inbox_identifier: FromPath[str],
    contact_identifier: FromPath[str],
    payload: NamedDependency[PublicContactUpdate],
) -> ContactRecord:
    return await _update_contact(uow, inbox_identifier, contact_identifier, payload)


@put(
    CONTACT,
    summary="Update a contact",
    operation_id="update-a-contact-put",
    dependencies={"payload": body(PublicContactUpdate, wrap="contact")},
)
async def put_contact(
    uow: Uow,
    inbox_identifier: FromPath[str],
    contact_identifier: FromPath[str],
    payload: NamedDependency[PublicContactUpdate],
) -> ContactRecord:
    return await _update_contact(uow, inbox_identifier, contact_identifier, payload)


@post(
    CONTACT + "/conversations",
    status_code=200,
    summary="Create a conversation",
    operation_id="create-a-conversation",
    dependencies={"payload": body(PublicConversationCreate, wrap="conversation")},
)
async def create_conversation(
    request: Request[Any, Any, Any],
    uow: Uow,
    inbox_identifier: FromPath[str],
    contact_identifier: FromPath[str],
    payload: NamedDependency[PublicConversationCreate],
) -> PublicConversation:
    _, contact_inbox, contact = await _session(uow, inbox_identifier, contact_identifier)
    row = await service.create_conversation(uow, contact_inbox, contact, payload, flood_limit=_flood_limit(request))
    return await presenters.present_conversation(uow, row)


@get(CONTACT + "/conversations", summary="List conversations", operation_id="list-all-contact-conversations")
async def list_conversations(
    uow: Uow, inbox_identifier: FromPath[str], contact_identifier: FromPath[str]
) -> list[PublicConversation]:
    _, contact_inbox, _ = await _session(uow, inbox_identifier, contact_identifier)
    return await presenters.present_conversations(uow, await repository.list_conversations(uow, contact_inbox))


@get(CONVERSATION, summary="Get a conversation", operation_id="get-single-conversation")
async def show_conversation(
    uow: Uow, inbox_identifier: FromPath[str], contact_identifier: FromPath[str], conversation_id: FromPath[int]
) -> PublicConversation:
    _, _, conversation = await _conversation(uow, inbox_identifier, contact_identifier, conversation_id)
    return await presenters.present_conversation(uow, conversation)


@post(
    CONVERSATION + "/toggle_status",
    status_code=200,
    summary="Resolve a conversation",
    operation_id="resolve-conversation",
)
async def resolve_conversation(
    uow: Uow, inbox_identifier: FromPath[str], contact_identifier: FromPath[str], conversation_id: FromPath[int]
) -> PublicConversation:
    _, contact, conversation = await _conversation(uow, inbox_identifier, contact_identifier, conversation_id)
    return await presenters.present_conversation(uow, await service.resolve_conversation(uow, contact, conversation))


@post(
    CONVERSATION + "/toggle_typing",
    status_code=200,
    summary="Toggle typing status",
    operation_id="toggle-typing-status",
    dependencies={"payload": body(PublicTyping)},
)
async def toggle_typing(
    uow: Uow,
    inbox_identifier: FromPath[str],
    contact_identifier: FromPath[str],
    conversation_id: FromPath[int],
    payload: NamedDependency[PublicTyping],
) -> EmptyResponse:
    _, contact, conversation = await _conversation(uow, inbox_identifier, contact_identifier, conversation_id)
    service.toggle_typing(uow, contact, conversation, payload.typing_status)
    return EmptyResponse()


@post(CONVERSATION + "/update_last_seen", status_code=200, summary="Update last seen", operation_id="update-last-seen")
async def update_last_seen(
    uow: Uow, inbox_identifier: FromPath[str], contact_identifier: FromPath[str], conversation_id: FromPath[int]
) -> EmptyResponse:
    _, _, conversation = await _conversation(uow, inbox_identifier, contact_identifier, conversation_id)
    await service.update_last_seen(uow, conversation)
    return EmptyResponse()


async def _session_exists(request: Request[Any, Any, Any], uow: UnitOfWork) -> None:
    """Before any byte is stored: the inbox and the contact's session must exist (404 otherwise)."""
    inbox = await repository.get_api_inbox(uow, request.path_params["inbox_identifier"])
    await repository.get_contact_inbox(uow, inbox.id, request.path_params["contact_identifier"])


@post(
    CONVERSATION + "/messages",
    status_code=200,
    summary="Create a message",
    operation_id="create-a-message",
    dependencies=files_form(PublicMessageCreate, "message", precheck=_session_exists),
    request_max_body_size=None,
    after_response=remove_unclaimed,
)
async def create_message(
    request: Request[Any, Any, Any],
    uow: Uow,
    inbox_identifier: FromPath[str],
    contact_identifier: FromPath[str],
    conversation_id: FromPath[int],
    payload: NamedDependency[PublicMessageCreate],
    form: NamedDependency[FilesForm],
) -> PublicMessage:
    """JSON, or ``multipart/form-data`` with ``attachments[]`` files."""
    inbox = await repository.get_api_inbox(uow, inbox_identifier)
    # The hot path: the session's conversation, its contact and what the payloads need, in one statement.
    target = await messages_repository.conversation_for_session(
        uow, inbox.id, contact_identifier, conversation_id, utc_now() - messages_service.FLOOD_WINDOW
    )
    created = await service.create_message(uow, target, payload, flood_limit=_flood_limit(request))
    settings: Settings = request.app.state.settings
    attached = await attachment_service.attach(
        uow,
        uow.database.files,
        account_id=inbox.account_id,
        message=created.row,
        received=form.files,
        signed_ids=[],
        max_attachments=settings.max_attachments,
    )
    return presenters.present_message(
        created.row,
        created.conversation_display_id,
        created.senders,
        attachment_presenters.push_data_list(attached, uow.database.files),
    )


@get(CONVERSATION + "/messages", summary="List messages", operation_id="list-all-conversation-messages")
async def list_messages(
    uow: Uow,
    inbox_identifier: FromPath[str],
    contact_identifier: FromPath[str],
    conversation_id: FromPath[int],
    before: FromQuery[str | None] = None,
) -> list[PublicMessage]:
    _, _, conversation = await _conversation(uow, inbox_identifier, contact_identifier, conversation_id)
    rows, senders = await messages_service.list_messages(
        uow, conversation, before=_before(before), after=None, internal=False
    )
    return await presenters.present_messages(uow, conversation, rows, senders)


async def _update_message(
    uow: Uow,
    inbox_identifier: str,
    contact_identifier: str,
    conversation_id: int,
    message_id: int,
    payload: PublicMessageUpdate,
) -> PublicMessage:
    _, _, conversation = await _conversation(uow, inbox_identifier, contact_identifier, conversation_id)
    row = await service.update_message(uow, conversation, message_id, payload)
    return (await presenters.present_messages(uow, conversation, [row]))[0]


@patch(
    CONVERSATION + "/messages/{message_id:int}",
    summary="Update a message",
    operation_id="update-a-message",
    dependencies={"payload": body(PublicMessageUpdate, wrap="message")},
)
async def patch_message(
    uow: Uow,
    inbox_identifier: FromPath[str],
    contact_identifier: FromPath[str],
    conversation_id: FromPath[int],
    message_id: FromPath[int],
    payload: NamedDependency[PublicMessageUpdate],
) -> PublicMessage:
    return await _update_message(uow, inbox_identifier, contact_identifier, conversation_id, message_id, payload)


@put(
    CONVERSATION + "/messages/{message_id:int}",
    summary="Update a message",
    operation_id="update-a-message-put",
    dependencies={"payload": body(PublicMessageUpdate, wrap="message")},
)
async def put_message(
    uow: Uow,
    inbox_identifier: FromPath[str],
    contact_identifier: FromPath[str],
    conversation_id: FromPath[int],
    message_id: FromPath[int],
    payload: NamedDependency[PublicMessageUpdate],
) -> PublicMessage:
    return await _update_message(uow, inbox_identifier, contact_identifier, conversation_id, message_id, payload)


router = Router(
    path="/public/api/v1/inboxes",
    route_handlers=[
        show_inbox,
        create_contact,
        show_contact,
        patch_contact,
        put_contact,
        create_conversation,
        list_conversations,
        show_conversation,
        resolve_conversation,
        toggle_typing,
        update_last_seen,
        create_message,
        list_messages,
        patch_message,
        put_message,
    ],
    tags=["Client API"],
    # No credentials: the inbox identifier and the contact's source_id are the keys.
    security=[{}],
)
