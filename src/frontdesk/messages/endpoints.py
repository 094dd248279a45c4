"""``/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages``."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Router, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from frontdesk.agents.presenters import UserPushData, user_push_data
from frontdesk.attachments import presenters as attachment_presenters
from frontdesk.attachments import repository as attachment_repository
from frontdesk.attachments import service as attachment_service
from frontdesk.attachments.requests import FilesForm, files_form, remove_unclaimed
from frontdesk.auth.dependencies import Account, Uow
from frontdesk.config import Settings
from frontdesk.contacts.presenters import contact_push_data
from frontdesk.conversations import repository as conversation_repository
from frontdesk.conversations.presenters import label_list
from frontdesk.errors import ValidationFailed
from frontdesk.kit.body import body
from frontdesk.kit.time import iso, utc_now
from frontdesk.messages import repository, service
from frontdesk.messages.presenters import MessagePayload, SenderRows, present_message
from frontdesk.messages.schemas import MessageCreate, MessageList, MessagesMeta, MessageStatusUpdate

MAX_CURSOR = 2_147_483_647


def _cursor(value: str | None, name: str) -> int | None:
    if value is None or value.strip() == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValidationFailed(f"{name} is not a number", [name]) from None
    # Message ids are int4 on PostgreSQL: a cursor beyond that range means "beyond every message".
    return max(min(number, MAX_CURSOR), -MAX_CURSOR)


@get("/", summary="Get messages", operation_id="list-all-messages")
async def list_messages(
    account: Account,
    uow: Uow,
    conversation_id: FromPath[int],
    before: FromQuery[str | None] = None,
    after: FromQuery[str | None] = None,
    filter_internal_messages: FromQuery[str | None] = None,
) -> MessageList:
    conversation = await conversation_repository.get_conversation(uow, account, conversation_id)
    rows, senders = await service.list_messages(
        uow,
        conversation,
        before=_cursor(before, "before"),
        after=_cursor(after, "after"),
        internal=not filter_internal_messages,
    )
    people = await conversation_repository.contacts_by_id(uow, [conversation.contact_id])
    assignee: UserPushData | msgspec.UnsetType = msgspec.UNSET
    if conversation.assignee_id is not None:
        agents = await conversation_repository.account_users_by_id(uow, account.account_id, [conversation.assignee_id])
        if conversation.assignee_id in agents:
            agent = agents[conversation.assignee_id]
            assignee = user_push_data(agent, agent.availability)
    meta = MessagesMeta(
        labels=label_list(conversation.cached_label_list),
        additional_attributes=conversation.additional_attributes or {},
        contact=contact_push_data(people[conversation.contact_id]),
        assignee=assignee,
        agent_last_seen_at=iso(conversation.agent_last_seen_at),
        assignee_last_seen_at=iso(conversation.assignee_last_seen_at),
    )
    files = await attachment_repository.attached_by_message(uow.conn, [row.id for row in rows])
    return MessageList(
        meta=meta,
        payload=[
            present_message(
                row,
                conversation.display_id,
                senders,
                attachments=attachment_presenters.push_data_list(files[row.id], uow.database.files),
            )
            for row in rows
        ],
    )


@post(
    "/",
    status_code=200,
    summary="Create new message",
    operation_id="create-a-new-message-in-a-conversation",
    dependencies=files_form(MessageCreate, "message"),
    # Files stream into storage as they arrive (attachments.uploads enforces the per-file limits).
    request_max_body_size=None,
    after_response=remove_unclaimed,
)
async def create_message(
    request: Request[Any, Any, Any],
    account: Account,
    uow: Uow,
    conversation_id: FromPath[int],
    payload: NamedDependency[MessageCreate],
    form: NamedDependency[FilesForm],
) -> MessagePayload:
    """JSON, or ``multipart/form-data`` with ``attachments[]`` files (or direct-upload signed ids)."""
    settings: Settings = request.app.state.settings
    target = await repository.conversation_for_message(uow, account, conversation_id, utc_now() - service.FLOOD_WINDOW)
    created = await service.create_message(uow, account, target, payload, flood_limit=settings.message_flood_limit)
    if created.is_new:
        attached = await attachment_service.attach(
            uow,
            uow.database.files,
            account_id=account.account_id,
            message=created.row,
            received=form.files,
            signed_ids=attachment_service.signed_ids_of(form.fields),
            max_attachments=settings.max_attachments,
            voice=payload.is_voice_message,
        )
    else:
        attached = (await attachment_repository.attached_by_message(uow.conn, [created.row.id]))[created.row.id]
    return present_message(
        created.row,
        created.conversation_display_id,
        created.senders,
        created.echo_id,
        attachments=attachment_presenters.push_data_list(attached, uow.database.files),
    )


@delete("/{message_id:int}", status_code=200, summary="Delete a message", operation_id="delete-a-message")
async def delete_message(
    account: Account, uow: Uow, conversation_id: FromPath[int], message_id: FromPath[int]
) -> MessagePayload:
    conversation = await conversation_repository.get_conversation(uow, account, conversation_id)
    row = await service.delete_message(uow, account, conversation, message_id)
    # Chatwoot's soft delete destroys the attachments; their bytes go once this commits.
    blob_ids = await attachment_repository.delete_message_attachments(uow, row.id)
    await attachment_service.purge_later(uow, account.account_id, blob_ids)
    uow.known_rows[("attachments", row.id)] = []
    return present_message(row, conversation.display_id, await service.load_senders(uow, account.account_id, [row]))


@patch(
    "/{message_id:int}",
    summary="Update message status",
    operation_id="update-message-status",
    dependencies={"payload": body(MessageStatusUpdate, wrap="message")},
)
async def update_message(
    account: Account,
    uow: Uow,
    conversation_id: FromPath[int],
    message_id: FromPath[int],
    payload: NamedDependency[MessageStatusUpdate],
) -> MessagePayload:
    conversation = await conversation_repository.get_conversation(uow, account, conversation_id)
    row = await service.update_message_status(uow, account, conversation, message_id, payload)
    senders: SenderRows = await service.load_senders(uow, account.account_id, [row])
    return present_message(row, conversation.display_id, senders)


router = Router(
    path="/api/v1/accounts/{account_id:int}/conversations/{conversation_id:int}/messages",
    route_handlers=[list_messages, create_message, delete_message, update_message],
    tags=["Messages"],
)
