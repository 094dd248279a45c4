"""Accounts: creating one with its first administrator, reading and updating it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from frontdesk.auth.dependencies import ROLE_ADMINISTRATOR
from frontdesk.auth.passwords import hash_password
from frontdesk.auth.tokens import issue_access_token
from frontdesk.db import UnitOfWork
from frontdesk.errors import NotFound, ValidationFailed
from frontdesk.kit.time import utc_now
from frontdesk.kit.tokens import TokenVault, secure_token
from frontdesk.models import account_users, accounts, users


@dataclass(frozen=True)
class CreatedAdmin:
    account_id: int
    user_id: int
    access_token: str


async def create_user(
    uow: UnitOfWork, vault: TokenVault, *, name: str, email: str, password: str | None
) -> tuple[int, str]:
    """A new user with an access token; the email must be free. Returns (user id, token)."""
    email = email.strip().lower()
    if not email or "@" not in email:
        raise ValidationFailed("Email is invalid", ["email"])
    taken = await uow.conn.scalar(select(users.c.id).where(users.c.email == email))
    if taken is not None:
        raise ValidationFailed("Email has already been taken", ["email"])
    now = utc_now()
    user_id = await uow.conn.scalar(
        insert(users)
        .values(
            name=name.strip() or email.split("@")[0],
            email=email,
            password_hash=hash_password(password) if password else None,
            pubsub_token=secure_token(24),
            confirmed_at=now,
            created_at=now,
            updated_at=now,
        )
        .returning(users.c.id)
    )
    assert user_id is not None
    token = await issue_access_token(uow, vault, "User", user_id)
    return user_id, token


async def create_account_with_admin(
    uow: UnitOfWork, vault: TokenVault, *, account_name: str, email: str, password: str, user_name: str | None
) -> CreatedAdmin:
    if not account_name.strip():
        raise ValidationFailed("Name can't be blank", ["name"])
    if len(password) < 6:
        raise ValidationFailed("Password is too short (minimum is 6 characters)", ["password"])
    now = utc_now()
    account_id = await uow.conn.scalar(
        insert(accounts).values(name=account_name.strip(), created_at=now, updated_at=now).returning(accounts.c.id)
    )
    assert account_id is not None
    user_id, token = await create_user(uow, vault, name=user_name or "", email=email, password=password)
    await uow.conn.execute(
        insert(account_users).values(
            account_id=account_id,
            user_id=user_id,
            role=ROLE_ADMINISTRATOR,
            active_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    return CreatedAdmin(account_id=account_id, user_id=user_id, access_token=token)


async def get_account(uow: UnitOfWork, account_id: int) -> Any:
    row = (await uow.conn.execute(select(accounts).where(accounts.c.id == account_id))).first()
    if row is None:
        raise NotFound()
    return row


async def update_account(uow: UnitOfWork, account_id: int, changes: dict[str, Any]) -> Any:
    """Update the account's own fields; ``settings`` and ``custom_attributes`` merge into what is there."""
    current = await get_account(uow, account_id)
    values: dict[str, Any] = {}
    for key in ("name", "locale", "domain", "support_email", "auto_resolve_duration"):
        if key in changes:
            values[key] = changes[key]
    if "name" in values and not str(values["name"]).strip():
        raise ValidationFailed("Name can't be blank", ["name"])
    if changes.get("settings"):
        values["settings"] = {**(current.settings or {}), **changes["settings"]}
    if changes.get("custom_attributes"):
        values["custom_attributes"] = {**(current.custom_attributes or {}), **changes["custom_attributes"]}
    if values:
        values["updated_at"] = utc_now()
        await uow.conn.execute(update(accounts).where(accounts.c.id == account_id).values(**values))
    return await get_account(uow, account_id)
