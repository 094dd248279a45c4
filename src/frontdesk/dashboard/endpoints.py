"""``/auth/sign_in``, ``/auth/session``, ``/auth/sign_out``: the dashboard's cookie sessions."""

from __future__ import annotations

import math
from typing import Any

from litestar import Request, Response, Router, delete, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from sqlalchemy import func, select

from frontdesk.auth.dependencies import Uow
from frontdesk.auth.passwords import verify_password
from frontdesk.config import Settings
from frontdesk.dashboard.schemas import SessionPayload, SignedOut, SignIn
from frontdesk.dashboard.sessions import (
    COOKIE_NAME,
    SessionKeys,
    check_csrf,
    create_session,
    end_session,
    find_session,
    request_session_id,
)
from frontdesk.db import UnitOfWork
from frontdesk.errors import FrontdeskError, NotSignedIn
from frontdesk.kit.body import body
from frontdesk.models import users
from frontdesk.profile import service as profile_service
from frontdesk.profile.presenters import present_profile
from frontdesk.ratelimit.limiter import RateLimiter, normalized_ip

INVALID_LOGIN = "Invalid login credentials. Please try again."


class InvalidLogin(FrontdeskError):
    status_code = 401

    def __init__(self) -> None:
        super().__init__({"success": False, "error": INVALID_LOGIN, "errors": [INVALID_LOGIN]})


def _cookie(request: Request[Any, Any, Any], value: str, max_age: int) -> Cookie:
    return Cookie(
        key=COOKIE_NAME,
        value=value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


async def _limit_sign_in(request: Request[Any, Any, Any], settings: Settings) -> None:
    """Chatwoot's rack-attack ``login/ip``: 5 sign-in attempts per 5 minutes per client IP."""
    limiter: RateLimiter = request.app.state.rate_limiter
    ip = normalized_ip(request.client.host if request.client else "")
    if settings.sign_in_rate_limit <= 0 or ip in limiter.safelist:
        return
    hit = await limiter.counters.hit(f"login/ip:{ip}", settings.sign_in_rate_limit_period_seconds)
    if hit is not None and hit.count > settings.sign_in_rate_limit:
        raise HTTPException(
            status_code=429,
            detail="Retry later",
            headers={"Retry-After": str(max(1, math.ceil(hit.reset_after)))},
        )


async def _payload(request: Request[Any, Any, Any], uow: UnitOfWork, user_id: int, session_id: str) -> SessionPayload:
    keys: SessionKeys = request.app.state.session_keys
    profile = present_profile(*await profile_service.load_profile(uow, request.app.state.vault, user_id))
    return SessionPayload(data=profile, csrf_token=keys.csrf_token(session_id))


@post(
    "/sign_in",
    status_code=200,
    summary="Sign in to the dashboard (cookie session)",
    dependencies={"payload": body(SignIn)},
)
async def sign_in(
    request: Request[Any, Any, Any], uow: Uow, payload: NamedDependency[SignIn]
) -> Response[SessionPayload]:
    settings: Settings = request.app.state.settings
    keys: SessionKeys = request.app.state.session_keys
    await _limit_sign_in(request, settings)
    email = payload.email.strip().lower()
    user = (await uow.conn.execute(select(users).where(func.lower(users.c.email) == email))).first()
    if user is None or not verify_password(user.password_hash, payload.password):
        raise InvalidLogin()
    # Rotation: the session the browser held before (if any) ends with the new sign-in.
    previous = request_session_id(request)
    if previous:
        await end_session(uow, keys, previous)
    session_id = await create_session(uow, keys, user.id, settings.session_ttl_hours)
    content = await _payload(request, uow, user.id, session_id)
    max_age = int(settings.session_ttl_hours * 3600)
    return Response(content, status_code=200, cookies=[_cookie(request, session_id, max_age)])


@get("/session", summary="The dashboard session of the cookie")
async def show_session(request: Request[Any, Any, Any], uow: Uow) -> SessionPayload:
    keys: SessionKeys = request.app.state.session_keys
    session = await find_session(uow, keys, request_session_id(request))
    if session is None:
        raise NotSignedIn()
    return await _payload(request, uow, session.user.id, session.session_id)


@delete("/sign_out", status_code=200, summary="Sign out of the dashboard")
async def sign_out(request: Request[Any, Any, Any], uow: Uow) -> Response[SignedOut]:
    keys: SessionKeys = request.app.state.session_keys
    session = await find_session(uow, keys, request_session_id(request))
    if session is not None:
        check_csrf(request, keys, session.session_id)
        await end_session(uow, keys, session.session_id)
    return Response(SignedOut(success=True), status_code=200, cookies=[_cookie(request, "", 0)])


router = Router(path="/auth", route_handlers=[sign_in, show_session, sign_out], tags=["Dashboard sessions"])
