"""``/api/v1/accounts/{account_id}/conversations``: the list, create, show and the per-conversation actions."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Router, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter

from frontdesk.agents.presenters import AgentPayload, present_agent, user_push_data
from frontdesk.auth.dependencies import Account, Uow
from frontdesk.config import Settings
from frontdesk.conversations import repository, service
from frontdesk.conversations.presenters import (
    STATUS_NAMES,
    ConversationPayload,
    present_conversation,
    present_conversations,
)
from frontdesk.conversations.schemas import (
    AssignmentCreate,
    ConversationCreate,
    ConversationList,
    ConversationListData,
    ConversationMetaOnly,
    ConversationPayloadList,
    CountsMeta,
    CustomAttributesResponse,
    CustomAttributesUpdate,
    LabelList,
    LabelsUpdate,
    PriorityChange,
    TeamRecord,
    ToggleStatus,
    ToggleStatusResponse,
    ToggleStatusResult,
    TypingStatus,
)
from frontdesk.errors import ValidationFailed
from frontdesk.kit.body import body
from frontdesk.kit.schema import EmptyResponse
from frontdesk.kit.time import iso

LabelsQuery = Annotated[list[str] | None, QueryParameter(name="labels[]", required=False)]
PlainLabelsQuery = Annotated[list[str] | None, QueryParameter(name="labels", required=False)]


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


MAX_ID = 2_147_483_647


def _int_param(value: str | None, name: str) -> int | None:
    """A query parameter that names a row or a page: a number within the id column's range."""
    if value is None or value.strip() == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValidationFailed(f"{name} is not a number", [name]) from None
    if number > MAX_ID:
        raise ValidationFailed(f"{name} is out of range", [name])
    return number


def _counts(page: service.ConversationPage) -> CountsMeta:
    return CountsMeta(
        mine_count=page.mine_count,
        assigned_count=page.assigned_count,
        unassigned_count=page.unassigned_count,
        all_count=page.all_count,
    )


def _filters(
    status: str | None,
    assignee_type: str | None,
    inbox_id: str | None,
    team_id: str | None,
    labels: list[str],
    q: str | None,
    source_id: str | None,
    sort_by: str | None,
    page: str | None,
    conversation_type: str | None = None,
    updated_within: str | None = None,
) -> service.ListFilters:
    return service.ListFilters(
        status=status,
        assignee_type=assignee_type,
        inbox_id=_int_param(inbox_id, "inbox_id"),
        team_id=_int_param(team_id, "team_id"),
        labels=tuple(label for label in labels if label),
        q=q or None,
        source_id=source_id or None,
        sort_by=sort_by,
        page=max(_int_param(page, "page") or 1, 1),
        conversation_type=conversation_type,
        updated_within=_int_param(updated_within, "updated_within"),
    )


@get("/conversations", summary="Conversations list", operation_id="conversationList")
async def list_conversations(
    request: Request[Any, Any, Any],
    account: Account,
    uow: Uow,
    status: FromQuery[str | None] = None,
    assignee_type: FromQuery[str | None] = None,
    inbox_id: FromQuery[str | None] = None,
    team_id: FromQuery[str | None] = None,
    labels: LabelsQuery = None,
    plain_labels: PlainLabelsQuery = None,
    q: FromQuery[str | None] = None,
    source_id: FromQuery[str | None] = None,
    sort_by: FromQuery[str | None] = None,
    page: FromQuery[str | None] = None,
    conversation_type: FromQuery[str | None] = None,
    updated_within: FromQuery[str | None] = None,
) -> ConversationList:
    filters = _filters(
        status,
        assignee_type,
        inbox_id,
        team_id,
        [*(labels or []), *(plain_labels or [])],
        q,
        source_id,
        sort_by,
        page,
        conversation_type,
        updated_within,
    )
    result = await service.list_conversations(uow, account, filters, per_page=_settings(request).conversations_per_page)
    payload = await present_conversations(uow, account, result.rows)
    return ConversationList(data=ConversationListData(meta=_counts(result), payload=payload))


@get("/conversations/meta", summary="Get conversation counts", operation_id="conversationListMeta")
async def conversations_meta(
    account: Account,
    uow: Uow,
    status: FromQuery[str | None] = None,
    assignee_type: FromQuery[str | None] = None,
    inbox_id: FromQuery[str | None] = None,
    team_id: FromQuery[str | None] = None,
    labels: LabelsQuery = None,
    plain_labels: PlainLabelsQuery = None,
    q: FromQuery[str | None] = None,
    source_id: FromQuery[str | None] = None,
    conversation_type: FromQuery[str | None] = None,
) -> ConversationMetaOnly:
    filters = _filters(
        status,
        assignee_type,
        inbox_id,
        team_id,
        [*(labels or []), *(plain_labels or [])],
        q,
        source_id,
        None,
        None,
        conversation_type,
    )
    return ConversationMetaOnly(meta=_counts(await service.count_conversations(uow, account, filters)))


@post(
    "/conversations",
    status_code=200,
    summary="Create new conversation",
    operation_id="newConversation",
    dependencies={"payload": body(ConversationCreate, wrap="conversation")},
)
async def create_conversation(
    request: Request[Any, Any, Any], account: Account, uow: Uow, payload: NamedDependency[ConversationCreate]
) -> ConversationPayload:
    row = await service.create_conversation(uow, account, payload, flood_limit=_settings(request).message_flood_limit)
    return await present_conversation(uow, account, row)


@get(
    "/conversations/{conversation_id:int}", summary="Conversation details", operation_id="get-details-of-a-conversation"
)
async def show_conversation(account: Account, uow: Uow, conversation_id: FromPath[int]) -> ConversationPayload:
    row = await repository.get_conversation(uow, account, conversation_id)
    return await present_conversation(uow, account, row)


@patch(
    "/conversations/{conversation_id:int}",
    summary="Update conversation",
    operation_id="update-conversation",
    dependencies={"payload": body(PriorityChange, wrap="conversation")},
)
async def update_conversation(
    account: Account, uow: Uow, conversation_id: FromPath[int], payload: NamedDependency[PriorityChange]
) -> ConversationPayload:
    row = await repository.get_conversation(uow, account, conversation_id, for_update=True)
    row = await service.set_priority(uow, account, row, payload.priority)
    return await present_conversation(uow, account, row)


@post(
    "/conversations/{conversation_id:int}/toggle_status",
    status_code=200,
    summary="Toggle status",
    operation_id="toggle-status-of-a-conversation",
    dependencies={"payload": body(ToggleStatus, wrap="conversation")},
)
async def toggle_status(
    account: Account, uow: Uow, conversation_id: FromPath[int], payload: NamedDependency[ToggleStatus]
) -> ToggleStatusResponse:
    row = await repository.get_conversation(uow, account, conversation_id, for_update=True)
    result = await service.toggle_status(uow, account, row, payload.status, payload.snoozed_until)
    return ToggleStatusResponse(
        meta={},
        payload=ToggleStatusResult(
            success=result.success,
            conversation_id=result.row.display_id,
            current_status=STATUS_NAMES[result.row.status],
            snoozed_until=iso(result.row.snoozed_until),
        ),
    )


@post(
    "/conversations/{conversation_id:int}/toggle_priority",
    status_code=200,
    summary="Toggle priority",
    operation_id="toggle-priority-of-a-conversation",
    dependencies={"payload": body(PriorityChange, wrap="conversation")},
)
async def toggle_priority(
    account: Account, uow: Uow, conversation_id: FromPath[int], payload: NamedDependency[PriorityChange]
) -> EmptyResponse:
    row = await repository.get_conversation(uow, account, conversation_id, for_update=True)
    await service.set_priority(uow, account, row, payload.priority)
    return EmptyResponse()


@post(
    "/conversations/{conversation_id:int}/toggle_typing_status",
    status_code=200,
    summary="Toggle typing status",
    operation_id="toggle-typing-status-of-a-conversation",
    dependencies={"payload": body(TypingStatus, wrap="conversation")},
)
async def toggle_typing_status(
    account: Account, uow: Uow, conversation_id: FromPath[int], payload: NamedDependency[TypingStatus]
) -> EmptyResponse:
    row = await repository.get_conversation(uow, account, conversation_id)
    user = msgspec.to_builtins(user_push_data(account.user.row, None))
    service.toggle_typing(uow, account, row, payload.typing_status, payload.is_private, user)
    return EmptyResponse()


@post(
    "/conversations/{conversation_id:int}/assignments",
    status_code=200,
    summary="Assign conversation",
    operation_id="assign-a-conversation",
    dependencies={"payload": body(AssignmentCreate, wrap="assignment")},
)
async def create_assignment(
    account: Account, uow: Uow, conversation_id: FromPath[int], payload: NamedDependency[AssignmentCreate]
) -> AgentPayload | TeamRecord | None:
    """``{assignee_id}`` answers the agent partial (or null), ``{team_id}`` the team row (or null)."""
    row = await repository.get_conversation(uow, account, conversation_id, for_update=True)
    result: AgentPayload | TeamRecord | None = None
    if not isinstance(payload.assignee_id, msgspec.UnsetType):
        updated = await service.assign_agent(uow, account, row, payload.assignee_id)
        if updated.assignee_id is not None:
            agents = await repository.account_users_by_id(uow, account.account_id, [updated.assignee_id])
            result = present_agent(agents[updated.assignee_id], account.account_id)
    elif not isinstance(payload.team_id, msgspec.UnsetType):
        team = await service.assign_team(uow, account, row, payload.team_id)
        if team is not None:
            result = TeamRecord(
                id=team.id,
                name=team.name,
                description=team.description,
                allow_auto_assign=team.allow_auto_assign,
                account_id=team.account_id,
                created_at=iso(team.created_at),
                updated_at=iso(team.updated_at),
            )
    return result


@get(
    "/conversations/{conversation_id:int}/labels",
    summary="List labels",
    operation_id="list-all-labels-of-a-conversation",
)
async def list_labels(account: Account, uow: Uow, conversation_id: FromPath[int]) -> LabelList:
    row = await repository.get_conversation(uow, account, conversation_id)
    return LabelList(payload=await repository.label_titles(uow, row.id))


@post(
    "/conversations/{conversation_id:int}/labels",
    status_code=200,
    summary="Add labels",
    operation_id="conversation-add-labels",
    dependencies={"payload": body(LabelsUpdate, wrap="label")},
)
async def replace_labels(
    account: Account, uow: Uow, conversation_id: FromPath[int], payload: NamedDependency[LabelsUpdate]
) -> LabelList:
    row = await repository.get_conversation(uow, account, conversation_id, for_update=True)
    return LabelList(payload=await service.set_labels(uow, account, row, payload.labels))


@post(
    "/conversations/{conversation_id:int}/custom_attributes",
    status_code=200,
    summary="Update custom attributes",
    operation_id="update-custom-attributes-of-a-conversation",
    dependencies={"payload": body(CustomAttributesUpdate, wrap="conversation")},
)
async def replace_custom_attributes(
    account: Account, uow: Uow, conversation_id: FromPath[int], payload: NamedDependency[CustomAttributesUpdate]
) -> CustomAttributesResponse:
    row = await repository.get_conversation(uow, account, conversation_id, for_update=True)
    updated = await service.set_custom_attributes(uow, account, row, payload.custom_attributes)
    return CustomAttributesResponse(custom_attributes=updated.custom_attributes or {})


@post(
    "/conversations/{conversation_id:int}/update_last_seen",
    status_code=200,
    summary="Update last seen",
    operation_id="update-last-seen-of-a-conversation",
)
async def update_last_seen(account: Account, uow: Uow, conversation_id: FromPath[int]) -> ConversationPayload:
    row = await repository.get_conversation(uow, account, conversation_id, for_update=True)
    row = await service.update_last_seen(uow, account, row)
    return await present_conversation(uow, account, row)


@post(
    "/conversations/{conversation_id:int}/mute",
    status_code=200,
    summary="Mute conversation",
    operation_id="mute-a-conversation",
)
async def mute_conversation(account: Account, uow: Uow, conversation_id: FromPath[int]) -> EmptyResponse:
    row = await repository.get_conversation(uow, account, conversation_id, for_update=True)
    await service.mute(uow, account, row)
    return EmptyResponse()


@post(
    "/conversations/{conversation_id:int}/unmute",
    status_code=200,
    summary="Unmute conversation",
    operation_id="unmute-a-conversation",
)
async def unmute_conversation(account: Account, uow: Uow, conversation_id: FromPath[int]) -> EmptyResponse:
    row = await repository.get_conversation(uow, account, conversation_id, for_update=True)
    await service.unmute(uow, account, row)
    return EmptyResponse()


@post(
    "/conversations/{conversation_id:int}/unread",
    status_code=200,
    summary="Mark conversation unread",
    operation_id="mark-a-conversation-unread",
)
async def mark_unread(account: Account, uow: Uow, conversation_id: FromPath[int]) -> ConversationPayload:
    row = await repository.get_conversation(uow, account, conversation_id, for_update=True)
    row = await service.mark_unread(uow, account, row)
    return await present_conversation(uow, account, row)


@delete(
    "/conversations/{conversation_id:int}",
    status_code=200,
    summary="Delete conversation",
    operation_id="delete-a-conversation",
)
async def delete_conversation(account: Account, uow: Uow, conversation_id: FromPath[int]) -> EmptyResponse:
    row = await repository.get_conversation(uow, account, conversation_id, for_update=True)
    await service.delete_conversation(uow, account, row)
    return EmptyResponse()


@get(
    "/contacts/{contact_id:int}/conversations",
    summary="Contact conversations",
    operation_id="contactConversations",
)
async def list_contact_conversations(account: Account, uow: Uow, contact_id: FromPath[int]) -> ConversationPayloadList:
    rows = await service.contact_conversations(uow, account, contact_id)
    return ConversationPayloadList(payload=await present_conversations(uow, account, rows))


router = Router(
    path="/api/v1/accounts/{account_id:int}",
    route_handlers=[
        list_conversations,
        conversations_meta,
        create_conversation,
        show_conversation,
        update_conversation,
        toggle_status,
        toggle_priority,
        toggle_typing_status,
        create_assignment,
        list_labels,
        replace_labels,
        replace_custom_attributes,
        update_last_seen,
        mute_conversation,
        unmute_conversation,
        mark_unread,
        delete_conversation,
        list_contact_conversations,
    ],
    tags=["Conversations"],
)
