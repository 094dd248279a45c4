"""The request's unit of work, its user and its account: Litestar dependencies every endpoint shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy import select

from frontdesk.auth.tokens import find_user_by_token
from frontdesk.db import Database, UnitOfWork
from frontdesk.errors import NotSignedIn, Unauthorized, not_authorized
from frontdesk.kit.tokens import TokenVault
from frontdesk.kit.transactions import request_unit_of_work
from frontdesk.models import account_users, accounts

ROLE_AGENT = 0
ROLE_ADMINISTRATOR = 1
ROLES = {"agent": ROLE_AGENT, "administrator": ROLE_ADMINISTRATOR}
ROLE_NAMES = {value: key for key, value in ROLES.items()}

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def provide_uow(request: Request[Any, Any, State]) -> UnitOfWork:
    """The request's transaction; ``TransactionMiddleware`` commits or rolls it back by the response status."""
    database: Database = request.app.state.database
    return await request_unit_of_work(request.scope, database, write=request.method not in _READ_METHODS)


@dataclass(frozen=True)
class CurrentUser:
    id: int
    name: str
    email: str
    row: Any


def token_from_headers(request: Request[Any, Any, Any]) -> str | None:
    token = request.headers.get("api_access_token") or request.headers.get("api-access-token")
    if token:
        return token.strip()
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return None


async def provide_current_user(request: Request[Any, Any, State], uow: NamedDependency[UnitOfWork]) -> CurrentUser:
    token = token_from_headers(request)
    if not token:
        session_user = await _user_from_session(request, uow)
        if session_user is not None:
            return session_user
        raise NotSignedIn()
    vault: TokenVault = request.app.state.vault
    row = await find_user_by_token(uow, vault, token)
    if row is None:
        raise Unauthorized("Invalid Access Token")
    return CurrentUser(id=row.id, name=row.name, email=row.email, row=row)


async def _user_from_session(request: Request[Any, Any, State], uow: UnitOfWork) -> CurrentUser | None:
    """The dashboard's signed-in session, where one exists (hook for the dashboard's cookie sessions)."""
    resolver = getattr(request.app.state, "session_user_resolver", None)
    if resolver is None:
        return None
    result: CurrentUser | None = await resolver(request, uow)
    return result


@dataclass(frozen=True)
class AccountContext:
    """The account a request works in, and who works: the user and their role there."""

    account_id: int
    account: Any
    user: CurrentUser
    role: int
    account_user: Any

    @property
    def is_administrator(self) -> bool:
        return self.role == ROLE_ADMINISTRATOR

    def require_administrator(self) -> None:
        if not self.is_administrator:
            raise not_authorized()


async def provide_account(
    account_id: FromPath[int], current_user: NamedDependency[CurrentUser], uow: NamedDependency[UnitOfWork]
) -> AccountContext:
    row = (
        await uow.conn.execute(
            select(accounts, account_users.c.role, account_users.c.id.label("account_user_id"))
            .join(account_users, account_users.c.account_id == accounts.c.id)
            .where(accounts.c.id == account_id, account_users.c.user_id == current_user.id)
        )
    ).first()
    # A missing account and someone else's answer alike, so account ids cannot be probed.
    if row is None:
        raise Unauthorized("You are not authorized to access this account")
    if row.status != 0:
        raise Unauthorized("Account is suspended")
    return AccountContext(account_id=account_id, account=row, user=current_user, role=row.role, account_user=row)


# Handler parameter types: Litestar injects these by name (``uow``, ``account``, ``current_user``);
# a parsed body is ``payload: NamedDependency[SomeStruct]`` with ``dependencies={"payload": body(SomeStruct)}``.
Uow = NamedDependency[UnitOfWork]
Account = NamedDependency[AccountContext]
User = NamedDependency[CurrentUser]
