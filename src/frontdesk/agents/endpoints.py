"""``/api/v1/accounts/{account_id}/agents``: list, add, update and remove the account's agents."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from frontdesk.agents import service
from frontdesk.agents.presenters import AgentPayload, present_agent
from frontdesk.agents.schemas import AgentCreate, AgentUpdate
from frontdesk.auth.dependencies import Account, Uow
from frontdesk.kit.body import body
from frontdesk.kit.schema import EmptyResponse


@get("/agents", summary="List Agents in Account", operation_id="get-account-agents")
async def list_agents(account: Account, uow: Uow) -> list[AgentPayload]:
    rows = await service.list_agents(uow, account.account_id)
    return [present_agent(row, account.account_id) for row in rows]


@post(
    "/agents",
    status_code=200,
    summary="Add a New Agent",
    operation_id="add-new-agent-to-account",
    dependencies={"payload": body(AgentCreate, wrap="agent")},
)
async def add_agent(
    request: Request[Any, Any, Any], account: Account, uow: Uow, payload: NamedDependency[AgentCreate]
) -> AgentPayload:
    account.require_administrator()
    row = await service.add_agent(uow, request.app.state.vault, account.account_id, account.user.id, payload)
    return present_agent(row, account.account_id)


@patch(
    "/agents/{agent_id:int}",
    summary="Update Agent in Account",
    operation_id="update-agent-in-account",
    dependencies={"payload": body(AgentUpdate, wrap="agent")},
)
async def update_agent(
    account: Account, uow: Uow, agent_id: FromPath[int], payload: NamedDependency[AgentUpdate]
) -> AgentPayload:
    account.require_administrator()
    row = await service.update_agent(uow, account.account_id, agent_id, payload)
    return present_agent(row, account.account_id)


@delete(
    "/agents/{agent_id:int}",
    status_code=200,
    summary="Remove an Agent from Account",
    operation_id="delete-agent-from-account",
)
async def remove_agent(account: Account, uow: Uow, agent_id: FromPath[int]) -> EmptyResponse:
    account.require_administrator()
    await service.remove_agent(uow, account.account_id, agent_id)
    return EmptyResponse()


router = Router(
    path="/api/v1/accounts/{account_id:int}",
    route_handlers=[list_agents, add_agent, update_agent, remove_agent],
    tags=["Agents"],
)
