"""Agents: the users of an account, with their role, availability and auto-offline flag there.

Adding an agent finds the user by email or creates one (with an access token and no password);
removing one drops the account membership with the user's inbox and team memberships in the
account, and unassigns their conversations there. An account always keeps one administrator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from frontdesk.accounts.service import create_user
from frontdesk.agents.schemas import AgentCreate, AgentUpdate
from frontdesk.auth.dependencies import ROLE_ADMINISTRATOR, ROLES
from frontdesk.db import UnitOfWork
from frontdesk.errors import NotFound, ValidationFailed
from frontdesk.kit.time import utc_now
from frontdesk.kit.tokens import TokenVault
from frontdesk.models import (
    account_users,
    conversations,
    inbox_members,
    inboxes,
    team_members,
    teams,
    users,
)

AVAILABILITIES = {"online": 0, "offline": 1, "busy": 2}

# The users columns, minus the user-level availability that account_users overrides per account.
_USER_COLUMNS = [column for column in users.c if column.name not in {"availability", "password_hash"}]


def agents_query() -> Any:
    """Users joined to their account membership: the row ``present_agent`` expects."""
    return select(
        *_USER_COLUMNS,
        account_users.c.role,
        account_users.c.availability,
        account_users.c.auto_offline,
    ).join(account_users, account_users.c.user_id == users.c.id)


async def list_agents(uow: UnitOfWork, account_id: int, user_ids: Sequence[int] | None = None) -> list[Any]:
    """The account's agents (optionally only these users), ordered by name as Chatwoot's ``order_by_full_name``."""
    statement = agents_query().where(account_users.c.account_id == account_id)
    if user_ids is not None:
        if not user_ids:
            return []
        statement = statement.where(users.c.id.in_(list(user_ids)))
    statement = statement.order_by(func.lower(users.c.name), users.c.id)
    return list((await uow.conn.execute(statement)).all())


async def get_agent(uow: UnitOfWork, account_id: int, user_id: int) -> Any:
    """One agent of the account, or 404 (another account's user ids never resolve)."""
    row = (
        await uow.conn.execute(agents_query().where(account_users.c.account_id == account_id, users.c.id == user_id))
    ).first()
    if row is None:
        raise NotFound()
    return row


async def add_agent(uow: UnitOfWork, vault: TokenVault, account_id: int, inviter_id: int, payload: AgentCreate) -> Any:
    """Add the user with this email to the account, creating the user (and their token) when new."""
    email = payload.email.strip().lower()
    if not email:
        raise ValidationFailed("Email can't be blank", ["email"])
    user_id = await uow.conn.scalar(select(users.c.id).where(users.c.email == email))
    if user_id is None:
        name = (payload.name or "").strip() or email.split("@")[0]
        user_id, _token = await create_user(uow, vault, name=name, email=email, password=None)
        # An invited agent has not confirmed an email address yet, as Chatwoot's devise confirmable.
        await uow.conn.execute(update(users).where(users.c.id == user_id).values(confirmed_at=None))
    else:
        member = await uow.conn.scalar(
            select(account_users.c.id).where(
                account_users.c.account_id == account_id, account_users.c.user_id == user_id
            )
        )
        if member is not None:
            raise ValidationFailed("User has already been taken", ["user_id"])
    now = utc_now()
    values: dict[str, Any] = {
        "account_id": account_id,
        "user_id": user_id,
        "inviter_id": inviter_id,
        "created_at": now,
        "updated_at": now,
    }
    if payload.role is not None:
        values["role"] = ROLES[payload.role]
    if payload.availability is not None:
        values["availability"] = AVAILABILITIES[payload.availability]
    if payload.auto_offline is not None:
        values["auto_offline"] = payload.auto_offline
    await uow.conn.execute(insert(account_users).values(**values))
    return await get_agent(uow, account_id, user_id)


async def _administrator_count(uow: UnitOfWork, account_id: int) -> int:
    count = await uow.conn.scalar(
        select(func.count())
        .select_from(account_users)
        .where(account_users.c.account_id == account_id, account_users.c.role == ROLE_ADMINISTRATOR)
    )
    return int(count or 0)


async def _lock_account_users(uow: UnitOfWork, account_id: int) -> None:
    """Serialise role changes of one account on PostgreSQL (SQLite's single writer already does)."""
    if not uow.is_sqlite:
        await uow.conn.execute(
            select(account_users.c.id).where(account_users.c.account_id == account_id).with_for_update()
        )


async def update_agent(uow: UnitOfWork, account_id: int, user_id: int, payload: AgentUpdate) -> Any:
    """Rename the user; change their role, availability and auto-offline in this account."""
    await _lock_account_users(uow, account_id)
    agent = await get_agent(uow, account_id, user_id)
    now = utc_now()
    if isinstance(payload.name, str):
        name = payload.name.strip()
        if not name:
            raise ValidationFailed("Name can't be blank", ["name"])
        await uow.conn.execute(update(users).where(users.c.id == user_id).values(name=name, updated_at=now))
    membership: dict[str, Any] = {}
    if isinstance(payload.role, str):
        role = ROLES[payload.role]
        demoting = agent.role == ROLE_ADMINISTRATOR and role != ROLE_ADMINISTRATOR
        if demoting and await _administrator_count(uow, account_id) <= 1:
            raise ValidationFailed("The account must keep at least one administrator", ["role"])
        membership["role"] = role
    if isinstance(payload.availability, str):
        membership["availability"] = AVAILABILITIES[payload.availability]
    if isinstance(payload.auto_offline, bool):
        membership["auto_offline"] = payload.auto_offline
    if membership:
        membership["updated_at"] = now
        await uow.conn.execute(
            update(account_users)
            .where(account_users.c.account_id == account_id, account_users.c.user_id == user_id)
            .values(**membership)
        )
    return await get_agent(uow, account_id, user_id)


async def remove_agent(uow: UnitOfWork, account_id: int, user_id: int) -> None:
    """Take the user out of the account, its inboxes and teams, and unassign their conversations there.

    The user row itself stays (messages they wrote keep their sender), and so does their access
    token; with no account left it opens nothing but their profile.
    """
    await _lock_account_users(uow, account_id)
    agent = await get_agent(uow, account_id, user_id)
    if agent.role == ROLE_ADMINISTRATOR and await _administrator_count(uow, account_id) <= 1:
        raise ValidationFailed("The account must keep at least one administrator", ["role"])
    await uow.conn.execute(
        delete(account_users).where(account_users.c.account_id == account_id, account_users.c.user_id == user_id)
    )
    await uow.conn.execute(
        delete(inbox_members).where(
            inbox_members.c.user_id == user_id,
            inbox_members.c.inbox_id.in_(select(inboxes.c.id).where(inboxes.c.account_id == account_id)),
        )
    )
    await uow.conn.execute(
        delete(team_members).where(
            team_members.c.user_id == user_id,
            team_members.c.team_id.in_(select(teams.c.id).where(teams.c.account_id == account_id)),
        )
    )
    await uow.conn.execute(
        update(conversations)
        .where(conversations.c.account_id == account_id, conversations.c.assignee_id == user_id)
        .values(assignee_id=None)
    )
