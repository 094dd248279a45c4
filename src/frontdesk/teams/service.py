"""Teams and their members, as Chatwoot's Team model and its TeamsController / TeamMembersController."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, insert, select, update

from frontdesk.agents.service import agents_query, list_agents
from frontdesk.db import UnitOfWork
from frontdesk.errors import NotFound, Unauthorized, ValidationFailed
from frontdesk.kit.time import utc_now
from frontdesk.kit.unique import ensure_free, write_unique
from frontdesk.models import account_users, conversations, team_members, teams, users

MAX_NAME_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 20_000
# Ids are PostgreSQL int4: a larger one names no row (and must not reach the driver).
MAX_ID = 2**31 - 1


async def list_teams(uow: UnitOfWork, account_id: int) -> Sequence[Any]:
    result = await uow.conn.execute(select(teams).where(teams.c.account_id == account_id).order_by(teams.c.id))
    return result.all()


async def get_team(uow: UnitOfWork, account_id: int, team_id: int) -> Any:
    if not 0 < team_id <= MAX_ID:
        raise NotFound()
    row = (await uow.conn.execute(select(teams).where(teams.c.account_id == account_id, teams.c.id == team_id))).first()
    if row is None:
        raise NotFound()
    return row


async def teams_of_user(uow: UnitOfWork, user_id: int, team_ids: Iterable[int]) -> set[int]:
    """Which of ``team_ids`` the user is a member of (one query, for ``is_member``)."""
    wanted = list(team_ids)
    if not wanted:
        return set()
    result = await uow.conn.scalars(
        select(team_members.c.team_id).where(team_members.c.user_id == user_id, team_members.c.team_id.in_(wanted))
    )
    return set(result.all())


async def create_team(uow: UnitOfWork, account_id: int, fields: dict[str, Any]) -> Any:
    values = _validated({"name": None, **fields})
    values.setdefault("allow_auto_assign", True)
    await ensure_free(uow, teams, "name", values["name"], account_id, None)
    now = utc_now()
    statement = insert(teams).values(account_id=account_id, created_at=now, updated_at=now, **values)
    team_id = await write_unique(uow, statement.returning(teams.c.id), "name")
    return await get_team(uow, account_id, team_id)


async def update_team(uow: UnitOfWork, current: Any, fields: dict[str, Any]) -> Any:
    """Update ``current`` (a team row fetched with ``get_team``)."""
    account_id, team_id = current.account_id, current.id
    values = _validated(fields)
    if not values:
        return current
    if "name" in values:
        await ensure_free(uow, teams, "name", values["name"], account_id, team_id)
    statement = update(teams).where(teams.c.id == team_id).values(updated_at=utc_now(), **values)
    await write_unique(uow, statement.returning(teams.c.id), "name")
    return await get_team(uow, account_id, team_id)


async def delete_team(uow: UnitOfWork, team: Any) -> None:
    """Delete ``team`` (a row fetched with ``get_team``) and its memberships; its conversations stay,
    without a team (``dependent: :nullify``, which raises no conversation event in Chatwoot either)."""
    account_id, team_id = team.account_id, team.id
    await uow.conn.execute(
        update(conversations)
        .where(conversations.c.account_id == account_id, conversations.c.team_id == team_id)
        .values(team_id=None)
    )
    await uow.conn.execute(delete(team_members).where(team_members.c.team_id == team_id))
    await uow.conn.execute(delete(teams).where(teams.c.id == team_id))


def _validated(fields: dict[str, Any]) -> dict[str, Any]:
    values = dict(fields)
    messages: list[str] = []
    attributes: list[str] = []

    def fail(attribute: str, message: str) -> None:
        messages.append(message)
        if attribute not in attributes:
            attributes.append(attribute)

    if "name" in values:
        name = (values["name"] or "").strip().lower()
        values["name"] = name
        if not name:
            fail("name", "Name must not be blank")
        elif len(name) > MAX_NAME_LENGTH:
            fail("name", f"Name is too long (maximum is {MAX_NAME_LENGTH} characters)")
    description = values.get("description")
    if description is not None and len(description) > MAX_DESCRIPTION_LENGTH:
        fail("description", f"Description is too long (maximum is {MAX_DESCRIPTION_LENGTH} characters)")
    if "allow_auto_assign" in values and values["allow_auto_assign"] is None:
        fail("allow_auto_assign", "Allow auto assign must not be blank")
    if messages:
        raise ValidationFailed(", ".join(messages), attributes)
    return values


# Members ---------------------------------------------------------------------------------------------


async def list_members(uow: UnitOfWork, team: Any) -> Sequence[Any]:
    """The members of ``team`` (a row fetched with ``get_team``) as agent rows (users columns plus their
    role and availability in the account), in the order they joined."""
    account_id, team_id = team.account_id, team.id
    result = await uow.conn.execute(
        agents_query()
        .join(team_members, team_members.c.user_id == users.c.id)
        .where(account_users.c.account_id == account_id, team_members.c.team_id == team_id)
        .order_by(team_members.c.id)
    )
    return result.all()


async def _agent_rows(uow: UnitOfWork, account_id: int, user_ids: list[int]) -> list[Any]:
    by_id = {row.id: row for row in await list_agents(uow, account_id, user_ids)}
    return [by_id[user_id] for user_id in user_ids if user_id in by_id]


async def _ensure_account_users(uow: UnitOfWork, account_id: int, user_ids: list[int]) -> None:
    """Chatwoot's ``validate_member_id_params``: every id must be a user of the account, else 401."""
    if not user_ids:
        return
    if any(not 0 < user_id <= MAX_ID for user_id in user_ids):
        raise Unauthorized("Invalid User IDs")
    known = await uow.conn.scalars(
        select(account_users.c.user_id).where(
            account_users.c.account_id == account_id, account_users.c.user_id.in_(set(user_ids))
        )
    )
    if set(user_ids) - set(known.all()):
        raise Unauthorized("Invalid User IDs")


async def _member_ids(uow: UnitOfWork, team_id: int) -> set[int]:
    result = await uow.conn.scalars(select(team_members.c.user_id).where(team_members.c.team_id == team_id))
    return set(result.all())


async def _insert_members(uow: UnitOfWork, team_id: int, user_ids: list[int]) -> None:
    if user_ids:
        now = utc_now()
        await uow.conn.execute(
            insert(team_members),
            [{"team_id": team_id, "user_id": user_id, "created_at": now, "updated_at": now} for user_id in user_ids],
        )


def _distinct(user_ids: list[int]) -> list[int]:
    return list(dict.fromkeys(user_ids))


async def add_members(uow: UnitOfWork, team: Any, user_ids: list[int]) -> list[Any]:
    """Add the users who are not members yet; returns those added, as agent rows."""
    account_id, team_id = team.account_id, team.id
    await _ensure_account_users(uow, account_id, user_ids)
    current = await _member_ids(uow, team_id)
    added = [user_id for user_id in _distinct(user_ids) if user_id not in current]
    await _insert_members(uow, team_id, added)
    return await _agent_rows(uow, account_id, added)


async def replace_members(uow: UnitOfWork, team: Any, user_ids: list[int]) -> Sequence[Any]:
    """Make the team's members exactly ``user_ids``; returns every member, as agent rows."""
    account_id, team_id = team.account_id, team.id
    await _ensure_account_users(uow, account_id, user_ids)
    wanted = _distinct(user_ids)
    current = await _member_ids(uow, team_id)
    await _insert_members(uow, team_id, [user_id for user_id in wanted if user_id not in current])
    leaving = current - set(wanted)
    if leaving:
        await uow.conn.execute(
            delete(team_members).where(team_members.c.team_id == team_id, team_members.c.user_id.in_(leaving))
        )
    return await list_members(uow, team)


async def remove_members(uow: UnitOfWork, team: Any, user_ids: list[int]) -> None:
    team_id = team.id
    await _ensure_account_users(uow, team.account_id, user_ids)
    if user_ids:
        await uow.conn.execute(
            delete(team_members).where(team_members.c.team_id == team_id, team_members.c.user_id.in_(set(user_ids)))
        )
