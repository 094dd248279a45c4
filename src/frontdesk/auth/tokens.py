"""Access tokens: issued per owner, looked up by keyed digest, revealed by decryption."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select

from frontdesk.db import UnitOfWork
from frontdesk.kit.time import utc_now
from frontdesk.kit.tokens import TokenVault, secure_token
from frontdesk.models import access_tokens, users


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


async def find_user_by_token(uow: UnitOfWork, vault: TokenVault, token: str) -> Any | None:
    """The user row a token opens, or None. One indexed look-up; no slow hash per request."""
    result = await uow.conn.execute(
        select(users)
        .join(access_tokens, access_tokens.c.owner_id == users.c.id)
        .where(access_tokens.c.token_digest == vault.digest(token), access_tokens.c.owner_type == "User")
    )
    return result.first()
