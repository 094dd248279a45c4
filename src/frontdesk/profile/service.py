"""The signed-in user's own profile."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from frontdesk.attachments.uploads import ReceivedFile
from frontdesk.auth.passwords import hash_password, verify_password
from frontdesk.auth.tokens import issue_access_token, reveal_access_token
from frontdesk.avatars import service as avatars
from frontdesk.db import UnitOfWork
from frontdesk.errors import NotFound, Unprocessable, ValidationFailed
from frontdesk.kit.time import utc_now
from frontdesk.kit.tokens import TokenVault, secure_token
from frontdesk.models import account_users, accounts, users

AVAILABILITY = {"online": 0, "offline": 1, "busy": 2}


async def load_profile(uow: UnitOfWork, vault: TokenVault, user_id: int) -> tuple[Any, list[Any], str]:
    """The user row, their account memberships (with the account) and their access token."""
    user = (await uow.conn.execute(select(users).where(users.c.id == user_id))).one()
    memberships = (
        await uow.conn.execute(
            select(
                account_users,
                accounts.c.name.label("account_name"),
                accounts.c.status.label("account_status"),
            )
            .join(accounts, accounts.c.id == account_users.c.account_id)
            .where(account_users.c.user_id == user_id)
            .order_by(account_users.c.active_at.desc(), account_users.c.id)
        )
    ).all()
    token = await reveal_access_token(uow, vault, "User", user_id)
    return user, list(memberships), token


async def update_profile(
    uow: UnitOfWork, user_id: int, changes: dict[str, Any], *, avatar: ReceivedFile | None = None
) -> None:
    user = (await uow.conn.execute(select(users).where(users.c.id == user_id))).one()
    values: dict[str, Any] = {}
    if changes.get("password"):
        if not verify_password(user.password_hash, changes.get("current_password") or ""):
            raise Unprocessable("Invalid current password")
        if changes.get("password_confirmation") not in (None, changes["password"]):
            raise ValidationFailed("Password confirmation doesn't match Password", ["password_confirmation"])
        values["password_hash"] = hash_password(changes["password"])
        # Chatwoot rotates the realtime token with the password, closing old sockets' access.
        values["pubsub_token"] = secure_token(24)
    for key in ("name", "display_name", "message_signature"):
        if changes.get(key) is not None:
            values[key] = changes[key]
    if "name" in values and not values["name"].strip():
        raise ValidationFailed("Name can't be blank", ["name"])
    if changes.get("email") is not None:
        email = changes["email"].strip().lower()
        if "@" not in email:
            raise ValidationFailed("Email is invalid", ["email"])
        taken = await uow.conn.scalar(select(users.c.id).where(users.c.email == email, users.c.id != user_id))
        if taken is not None:
            raise ValidationFailed("Email has already been taken", ["email"])
        values["email"] = email
    if changes.get("ui_settings") is not None:
        values["ui_settings"] = {**(user.ui_settings or {}), **changes["ui_settings"]}
    if changes.get("phone_number") is not None:
        values["custom_attributes"] = {
            **(user.custom_attributes or {}),
            "phone_number": changes["phone_number"],
        }
    if values:
        values["updated_at"] = utc_now()
        await uow.conn.execute(update(users).where(users.c.id == user_id).values(**values))
    if avatar is not None:
        await avatars.set_avatar(uow, users, user_id, avatars.USER_AVATAR_ACCOUNT, avatar)


async def remove_avatar(uow: UnitOfWork, user_id: int) -> None:
    """Chatwoot's ``DELETE /profile/avatar``; the stored bytes are purged after commit."""
    await avatars.remove_avatar(uow, users, user_id, avatars.USER_AVATAR_ACCOUNT)


async def reset_access_token(uow: UnitOfWork, vault: TokenVault, user_id: int) -> str:
    return await issue_access_token(uow, vault, "User", user_id)


async def set_availability(uow: UnitOfWork, user_id: int, account_id: int, availability: str) -> None:
    result = await uow.conn.execute(
        update(account_users)
        .where(account_users.c.user_id == user_id, account_users.c.account_id == account_id)
        .values(availability=AVAILABILITY[availability], updated_at=utc_now())
    )
    if result.rowcount == 0:
        raise NotFound()
