"""``/api/v1/accounts/{account_id}/inboxes`` and ``…/inbox_members``: inboxes with their channel, and
who works in them."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from litestar import Request, Router, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from frontdesk.agents.presenters import present_agent
from frontdesk.attachments.requests import FilesForm, files_form, remove_unclaimed
from frontdesk.auth.dependencies import Account, AccountContext, Uow
from frontdesk.avatars.service import avatar_limits, is_avatar_field, uploaded_avatar
from frontdesk.config import Settings
from frontdesk.db import UnitOfWork
from frontdesk.errors import ValidationFailed
from frontdesk.inboxes import service
from frontdesk.inboxes.presenters import present_inbox
from frontdesk.inboxes.schemas import (
    AgentList,
    ChannelParams,
    InboxCreate,
    InboxDeleted,
    InboxList,
    InboxMembersBody,
    InboxPayload,
    InboxUpdate,
)
from frontdesk.kit.body import BodySpec, body, convert, unwrap
from frontdesk.kit.schema import EmptyResponse
from frontdesk.webhooks.service import reset_inbox_secret

T = TypeVar("T", bound=msgspec.Struct)


def _inbox_payload(fields: dict[str, Any], struct: type[T]) -> T:
    data = unwrap(fields, "inbox")
    data = {key: None if value == "null" else value for key, value in data.items()}
    channel = data.get("channel")
    if isinstance(channel, dict):
        try:
            convert(channel, ChannelParams)
        except ValidationFailed as error:
            attributes = [f"channel.{name}" for name in error.attributes] or ["channel"]
            raise ValidationFailed(f"channel.{error.message}", attributes) from None
    return convert(data, struct)


def inbox_form(struct: type[T]) -> dict[str, Provide]:
    """The inbox body (flat, or wrapped as ``{"inbox": {…}}``, JSON, form or multipart with an ``avatar``
    file), with errors inside ``channel`` named ``channel.<field>``. Rails clients send the string
    ``"null"`` for null."""
    dependencies = files_form(struct, "inbox", avatar_limits, file_field="avatar", is_file_field=is_avatar_field)

    async def provide_payload(form: NamedDependency[FilesForm]) -> Any:
        return _inbox_payload(form.fields, struct)

    provide_payload.body_spec = BodySpec(struct, "inbox", "avatar")  # type: ignore[attr-defined]
    dependencies["payload"] = Provide(provide_payload)
    return dependencies


def _allow_private_webhooks(request: Request[Any, Any, Any]) -> bool:
    settings: Settings = request.app.state.settings
    return settings.webhook_allow_private_network


def _base_url(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


async def _present(
    request: Request[Any, Any, Any], uow: UnitOfWork, account: AccountContext, inbox_id: int
) -> InboxPayload:
    found = await service.get_inbox_with_channel(uow, account, inbox_id)
    return present_inbox(
        found.inbox,
        found.channel,
        is_administrator=account.is_administrator,
        base_url=_base_url(request),
        week=found.week,
    )


@get("/inboxes", summary="List all inboxes", operation_id="listAllInboxes")
async def list_inboxes(request: Request[Any, Any, Any], account: Account, uow: Uow) -> InboxList:
    base_url = _base_url(request)
    found = await service.list_inboxes(uow, account)
    return InboxList(
        payload=[
            present_inbox(
                item.inbox,
                item.channel,
                is_administrator=account.is_administrator,
                base_url=base_url,
                week=item.week,
            )
            for item in found
        ]
    )


@get("/inboxes/{inbox_id:int}", summary="Get an inbox", operation_id="GetInbox")
async def show_inbox(
    request: Request[Any, Any, Any], account: Account, uow: Uow, inbox_id: FromPath[int]
) -> InboxPayload:
    return await _present(request, uow, account, inbox_id)


@post(
    "/inboxes",
    status_code=200,
    summary="Create an inbox",
    operation_id="inboxCreation",
    dependencies=inbox_form(InboxCreate),
    request_max_body_size=None,
    after_response=remove_unclaimed,
)
async def create_inbox(
    request: Request[Any, Any, Any],
    account: Account,
    uow: Uow,
    payload: NamedDependency[InboxCreate],
    form: NamedDependency[FilesForm],
) -> InboxPayload:
    account.require_administrator()
    row = await service.create_inbox(
        uow,
        account.account_id,
        payload,
        allow_private_webhooks=_allow_private_webhooks(request),
        avatar=uploaded_avatar(form),
    )
    return await _present(request, uow, account, row.id)


@patch(
    "/inboxes/{inbox_id:int}",
    summary="Update an inbox",
    operation_id="updateInbox",
    dependencies=inbox_form(InboxUpdate),
    request_max_body_size=None,
    after_response=remove_unclaimed,
)
async def update_inbox(
    request: Request[Any, Any, Any],
    account: Account,
    uow: Uow,
    inbox_id: FromPath[int],
    payload: NamedDependency[InboxUpdate],
    form: NamedDependency[FilesForm],
) -> InboxPayload:
    account.require_administrator()
    await service.update_inbox(
        uow,
        account.account_id,
        inbox_id,
        payload,
        allow_private_webhooks=_allow_private_webhooks(request),
        avatar=uploaded_avatar(form),
    )
    return await _present(request, uow, account, inbox_id)


@delete(
    "/inboxes/{inbox_id:int}/avatar",
    status_code=200,
    summary="Remove an inbox's avatar",
    operation_id="deleteInboxAvatar",
)
async def delete_inbox_avatar(account: Account, uow: Uow, inbox_id: FromPath[int]) -> EmptyResponse:
    account.require_administrator()
    await service.remove_inbox_avatar(uow, account.account_id, inbox_id)
    return EmptyResponse()


@delete("/inboxes/{inbox_id:int}", status_code=200, summary="Delete an inbox", operation_id="deleteInbox")
async def delete_inbox(account: Account, uow: Uow, inbox_id: FromPath[int]) -> InboxDeleted:
    account.require_administrator()
    await service.delete_inbox(uow, account.account_id, inbox_id)
    return InboxDeleted(message=service.DELETION_MESSAGE)


@post(
    "/inboxes/{inbox_id:int}/reset_secret",
    status_code=200,
    summary="Reset the webhook secret of an API inbox",
    operation_id="resetInboxSecret",
)
async def reset_secret(
    request: Request[Any, Any, Any], account: Account, uow: Uow, inbox_id: FromPath[int]
) -> InboxPayload:
    account.require_administrator()
    settings: Settings = request.app.state.settings
    await reset_inbox_secret(uow, account.account_id, inbox_id, grace_hours=settings.webhook_secret_grace_hours)
    return await _present(request, uow, account, inbox_id)


@get(
    "/inboxes/{inbox_id:int}/assignable_agents",
    summary="Agents who may be assigned conversations of an inbox",
    operation_id="getInboxAssignableAgents",
)
async def assignable_agents(account: Account, uow: Uow, inbox_id: FromPath[int]) -> AgentList:
    await service.access_inbox(uow, account, inbox_id)
    rows = await service.assignable_agents(uow, account.account_id, inbox_id)
    return AgentList(payload=[present_agent(row, account.account_id) for row in rows])


@get("/inbox_members/{inbox_id:int}", summary="List agents in an inbox", operation_id="get-inbox-members")
async def list_members(account: Account, uow: Uow, inbox_id: FromPath[int]) -> AgentList:
    await service.access_inbox(uow, account, inbox_id)
    rows = await service.list_members(uow, account.account_id, inbox_id)
    return AgentList(payload=[present_agent(row, account.account_id) for row in rows])


def _members_body() -> Provide:
    return body(InboxMembersBody, wrap="inbox_member")


@post(
    "/inbox_members",
    status_code=200,
    summary="Add agents to an inbox",
    operation_id="add-new-agent-to-inbox",
    dependencies={"payload": _members_body()},
)
async def add_members(account: Account, uow: Uow, payload: NamedDependency[InboxMembersBody]) -> AgentList:
    account.require_administrator()
    rows = await service.add_members(uow, account.account_id, payload.inbox_id, payload.user_ids)
    return AgentList(payload=[present_agent(row, account.account_id) for row in rows])


@patch(
    "/inbox_members",
    summary="Replace the agents of an inbox",
    operation_id="update-agents-in-inbox",
    dependencies={"payload": _members_body()},
)
async def replace_members(account: Account, uow: Uow, payload: NamedDependency[InboxMembersBody]) -> AgentList:
    account.require_administrator()
    rows = await service.replace_members(uow, account.account_id, payload.inbox_id, payload.user_ids)
    return AgentList(payload=[present_agent(row, account.account_id) for row in rows])


@delete(
    "/inbox_members",
    status_code=200,
    summary="Remove agents from an inbox",
    operation_id="delete-agent-in-inbox",
    dependencies={"payload": _members_body()},
)
async def remove_members(account: Account, uow: Uow, payload: NamedDependency[InboxMembersBody]) -> EmptyResponse:
    account.require_administrator()
    await service.remove_members(uow, account.account_id, payload.inbox_id, payload.user_ids)
    return EmptyResponse()


router = Router(
    path="/api/v1/accounts/{account_id:int}",
    route_handlers=[
        list_inboxes,
        show_inbox,
        create_inbox,
        update_inbox,
        delete_inbox_avatar,
        delete_inbox,
        reset_secret,
        assignable_agents,
        list_members,
        add_members,
        replace_members,
        remove_members,
    ],
    tags=["Inboxes"],
)
