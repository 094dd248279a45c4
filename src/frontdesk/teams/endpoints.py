"""``/api/v1/accounts/{account_id}/teams`` and ``…/teams/{team_id}/team_members`` (Chatwoot's
TeamsController and TeamMembersController).

Everyone in the account may read teams and their members; writes are for administrators. As in
Chatwoot, a team of another account is a 404 before the role is checked.
"""

from __future__ import annotations

from typing import Any

from litestar import Router, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from frontdesk.agents.presenters import AgentPayload, present_agent
from frontdesk.auth.dependencies import Account, Uow
from frontdesk.kit.body import body
from frontdesk.kit.schema import EmptyResponse
from frontdesk.teams import service
from frontdesk.teams.presenters import present_team
from frontdesk.teams.schemas import TeamFields, TeamMemberIds, TeamPayload


async def _present(account: Account, uow: Uow, row: Any) -> TeamPayload:
    return present_team(row, bool(await service.teams_of_user(uow, account.user.id, [row.id])))


@get("/", summary="List all teams", operation_id="list-all-teams")
async def list_teams(account: Account, uow: Uow) -> list[TeamPayload]:
    rows = await service.list_teams(uow, account.account_id)
    mine = await service.teams_of_user(uow, account.user.id, [row.id for row in rows])
    return [present_team(row, row.id in mine) for row in rows]


@post(
    "/",
    status_code=200,
    summary="Create a team",
    operation_id="create-a-team",
    dependencies={"payload": body(TeamFields, wrap="team")},
)
async def create_team(account: Account, uow: Uow, payload: NamedDependency[TeamFields]) -> TeamPayload:
    account.require_administrator()
    return present_team(await service.create_team(uow, account.account_id, payload.given()), False)


@get("/{team_id:int}", summary="Get a team details", operation_id="get-details-of-a-single-team")
async def show_team(account: Account, uow: Uow, team_id: FromPath[int]) -> TeamPayload:
    return await _present(account, uow, await service.get_team(uow, account.account_id, team_id))


@patch(
    "/{team_id:int}",
    summary="Update a team",
    operation_id="update-a-team",
    dependencies={"payload": body(TeamFields, wrap="team")},
)
async def update_team(
    account: Account, uow: Uow, team_id: FromPath[int], payload: NamedDependency[TeamFields]
) -> TeamPayload:
    team = await service.get_team(uow, account.account_id, team_id)
    account.require_administrator()
    return await _present(account, uow, await service.update_team(uow, team, payload.given()))


@delete("/{team_id:int}", status_code=200, summary="Delete a team", operation_id="delete-a-team")
async def delete_team(account: Account, uow: Uow, team_id: FromPath[int]) -> EmptyResponse:
    team = await service.get_team(uow, account.account_id, team_id)
    account.require_administrator()
    await service.delete_team(uow, team)
    return EmptyResponse()


@get("/{team_id:int}/team_members", summary="Team members", operation_id="get-team-members")
async def list_team_members(account: Account, uow: Uow, team_id: FromPath[int]) -> list[AgentPayload]:
    team = await service.get_team(uow, account.account_id, team_id)
    return [present_agent(row, account.account_id) for row in await service.list_members(uow, team)]


@post(
    "/{team_id:int}/team_members",
    status_code=200,
    summary="Add agents to a team",
    operation_id="add-new-agent-to-team",
    dependencies={"payload": body(TeamMemberIds)},
)
async def add_team_members(
    account: Account, uow: Uow, team_id: FromPath[int], payload: NamedDependency[TeamMemberIds]
) -> list[AgentPayload]:
    """Answers the agents that were added (those already in the team are left out)."""
    team = await service.get_team(uow, account.account_id, team_id)
    account.require_administrator()
    added = await service.add_members(uow, team, payload.user_ids)
    return [present_agent(row, account.account_id) for row in added]


@patch(
    "/{team_id:int}/team_members",
    summary="Set a team's agents",
    operation_id="update-agents-in-team",
    dependencies={"payload": body(TeamMemberIds)},
)
async def update_team_members(
    account: Account, uow: Uow, team_id: FromPath[int], payload: NamedDependency[TeamMemberIds]
) -> list[AgentPayload]:
    """Every agent not in ``user_ids`` leaves the team; answers all members afterwards."""
    team = await service.get_team(uow, account.account_id, team_id)
    account.require_administrator()
    members = await service.replace_members(uow, team, payload.user_ids)
    return [present_agent(row, account.account_id) for row in members]


@delete(
    "/{team_id:int}/team_members",
    status_code=200,
    summary="Remove agents from a team",
    operation_id="delete-agent-in-team",
    dependencies={"payload": body(TeamMemberIds)},
)
async def remove_team_members(
    account: Account, uow: Uow, team_id: FromPath[int], payload: NamedDependency[TeamMemberIds]
) -> EmptyResponse:
    team = await service.get_team(uow, account.account_id, team_id)
    account.require_administrator()
    await service.remove_members(uow, team, payload.user_ids)
    return EmptyResponse()


router = Router(
    path="/api/v1/accounts/{account_id:int}/teams",
    route_handlers=[
        list_teams,
        create_team,
        show_team,
        update_team,
        delete_team,
        list_team_members,
        add_team_members,
        update_team_members,
        remove_team_members,
    ],
    tags=["Teams"],
)
