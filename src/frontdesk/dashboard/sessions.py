"""Session rows, the cookie, and the CSRF token bound to a session."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar import Request
from sqlalchemy import delete, insert, select

from frontdesk.auth.dependencies import CurrentUser
from frontdesk.db import UnitOfWork
from frontdesk.errors import Forbidden
from frontdesk.kit.time import utc_now
from frontdesk.kit.tokens import constant_time_equal, utf8
from frontdesk.models import user_sessions, users

COOKIE_NAME = "frontdesk_session"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SessionKeys:
    """Digest of a session id for look-up, and the CSRF token of a session; both keyed by the server secret."""

    def __init__(self, secret_key: str) -> None:
        root = secret_key.encode()
        self._digest_key = hmac.new(root, b"frontdesk session digest", hashlib.sha256).digest()
        self._csrf_key = hmac.new(root, b"frontdesk session csrf", hashlib.sha256).digest()

    def digest(self, session_id: str) -> str:
        return hmac.new(self._digest_key, utf8(session_id), hashlib.sha256).hexdigest()

    def csrf_token(self, session_id: str) -> str:
        return hmac.new(self._csrf_key, utf8(session_id), hashlib.sha256).hexdigest()

    def csrf_matches(self, session_id: str, presented: str | None) -> bool:
        return bool(presented) and constant_time_equal(self.csrf_token(session_id), (presented or "").strip())


@dataclass(frozen=True)
class Session:
    session_id: str
    user: Any


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


async def create_session(uow: UnitOfWork, keys: SessionKeys, user_id: int, ttl_hours: float) -> str:
    now = utc_now()
    session_id = new_session_id()
    # Expired sessions of this user go when a new one starts.
    await uow.conn.execute(
        delete(user_sessions).where(user_sessions.c.user_id == user_id, user_sessions.c.expires_at <= now)
    )
    await uow.conn.execute(
        insert(user_sessions).values(
            user_id=user_id,
            token_digest=keys.digest(session_id),
            created_at=now,
            expires_at=now + timedelta(hours=ttl_hours),
        )
    )
    return session_id


async def end_session(uow: UnitOfWork, keys: SessionKeys, session_id: str) -> None:
    await uow.conn.execute(delete(user_sessions).where(user_sessions.c.token_digest == keys.digest(session_id)))


async def find_session(uow: UnitOfWork, keys: SessionKeys, session_id: str | None) -> Session | None:
    if not session_id or len(session_id) > 200:
        return None
    row = (
        await uow.conn.execute(
            select(users)
            .join(user_sessions, user_sessions.c.user_id == users.c.id)
            .where(user_sessions.c.token_digest == keys.digest(session_id), user_sessions.c.expires_at > utc_now())
        )
    ).first()
    return Session(session_id, row) if row is not None else None


def request_session_id(request: Request[Any, Any, Any]) -> str | None:
    return request.cookies.get(COOKIE_NAME) or None


def check_csrf(request: Request[Any, Any, Any], keys: SessionKeys, session_id: str) -> None:
    if request.method in _SAFE_METHODS:
        return
    if not keys.csrf_matches(session_id, request.headers.get(CSRF_HEADER)):
        raise Forbidden("Invalid or missing CSRF token")


async def session_user_resolver(request: Request[Any, Any, Any], uow: UnitOfWork) -> CurrentUser | None:
    """``app.state.session_user_resolver``: the user of the request's session cookie (CSRF checked)."""
    keys: SessionKeys = request.app.state.session_keys
    session = await find_session(uow, keys, request_session_id(request))
    if session is None:
        return None
    check_csrf(request, keys, session.session_id)
    row = session.user
    return CurrentUser(id=row.id, name=row.name, email=row.email, row=row)
