"""Access tokens: issued per owner, looked up by keyed digest, revealed by decryption."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, insert, select

from frontdesk.db import UnitOfWork
from frontdesk.kit.time import utc_now
from frontdesk.kit.tokens import TokenVault, secure_token
from frontdesk.models import access_tokens, account_users, accounts, users


async def issue_access_token(uow: UnitOfWork, vault: TokenVault, owner_type: str, owner_id: int) -> str:
    """Give the owner a new token, replacing any it had."""
    token = secure_token(24)
    now = utc_now()
    await uow.conn.execute(
        delete(access_tokens).where(access_tokens.c.owner_type == owner_type, access_tokens.c.owner_id == owner_id)
    )
    await uow.conn.execute(
        insert(access_tokens).values(
            owner_type=owner_type,
            owner_id=owner_id,
            token_digest=vault.digest(token),
            token_ciphertext=vault.encrypt(token),
            created_at=now,
            updated_at=now,
        )
    )
    return token


async def reveal_access_token(uow: UnitOfWork, vault: TokenVault, owner_type: str, owner_id: int) -> str:
    ciphertext = await uow.conn.scalar(
        select(access_tokens.c.token_ciphertext).where(
            access_tokens.c.owner_type == owner_type, access_tokens.c.owner_id == owner_id
        )
    )
    if ciphertext is None:
        return await issue_access_token(uow, vault, owner_type, owner_id)
    return vault.decrypt(ciphertext)


async def find_user_by_token(uow: UnitOfWork, digest: str) -> Any | None:
    """The user row a token (by its :meth:`TokenVault.digest`) opens, or None. One indexed look-up; no slow
    hash per request."""
    result = await uow.conn.execute(
        select(users)
        .join(access_tokens, access_tokens.c.owner_id == users.c.id)
        .where(access_tokens.c.token_digest == digest, access_tokens.c.owner_type == "User")
    )
    return result.first()


def membership_columns() -> list[Any]:
    """A user's account_users row and its account's name and status, labelled ``membership_*`` / ``account_*``."""
    return [
        account_users.c.id.label("membership_id"),
        account_users.c.role.label("membership_role"),
        account_users.c.availability.label("membership_availability"),
        account_users.c.auto_offline.label("membership_auto_offline"),
        accounts.c.name.label("account_name"),
        accounts.c.status.label("account_status"),
    ]


async def find_user_and_membership(uow: UnitOfWork, digest: str, account_id: int) -> Any | None:
    """:func:`find_user_by_token` and the user's membership of ``account_id`` in one statement.

    The row carries the users columns plus ``membership_*`` and ``account_*`` columns, which are
    NULL when the user does not belong to the account (the token is still valid)."""
    membership = account_users.join(accounts, accounts.c.id == account_users.c.account_id)
    result = await uow.conn.execute(
        select(users, *membership_columns())
        .select_from(
            access_tokens.join(users, access_tokens.c.owner_id == users.c.id).outerjoin(
                membership, and_(account_users.c.user_id == users.c.id, account_users.c.account_id == account_id)
            )
        )
        .where(access_tokens.c.token_digest == digest, access_tokens.c.owner_type == "User")
    )
    return result.first()
