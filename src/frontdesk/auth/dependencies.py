"""The request's unit of work, its user and its account: Litestar dependencies every endpoint shares."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy import select

from frontdesk.auth.tokens import find_user_and_membership, find_user_by_token, membership_columns
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
_USER_KEY = "frontdesk.current_user"
_ACCOUNT_KEY = "frontdesk.account"
# Ids are int4 on PostgreSQL: a larger account id names no account.
MAX_ACCOUNT_ID = 2_147_483_647


async def provide_uow(request: Request[Any, Any, State]) -> UnitOfWork:
    """The request's transaction; ``TransactionMiddleware`` commits or rolls it back by the response status."""
    database: Database = request.app.state.database
    return await request_unit_of_work(request.scope, database, write=request.method not in _READ_METHODS)


@dataclass(frozen=True)
class Membership:
    """The user's place in one account: their account_users row and the account's name and status."""

    account_id: int
    role: int
    availability: int
    auto_offline: bool
    account_name: str
    account_status: int


@dataclass(frozen=True)
class CurrentUser:
    id: int
    name: str
    email: str
    row: Any
    # Token requests on an account path learn the membership in the same statement as the user:
    # ``(account_id, membership or None)``; ``None`` when it was not looked up.
    preloaded_membership: tuple[int, Membership | None] | None = None


def token_from_headers(request: Request[Any, Any, Any]) -> str | None:
    token = request.headers.get("api_access_token") or request.headers.get("api-access-token")
    if token:
        return token.strip()
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return None


def _is_account_id(value: object) -> bool:
    return isinstance(value, int) and 0 < value <= MAX_ACCOUNT_ID


def _path_account_id(request: Request[Any, Any, Any]) -> int | None:
    value = request.path_params.get("account_id")
    return value if _is_account_id(value) else None


def _membership(account_id: int, row: Any) -> Membership | None:
    if row is None or row.membership_id is None:
        return None
    return Membership(
        account_id=account_id,
        role=row.membership_role,
        availability=row.membership_availability,
        auto_offline=row.membership_auto_offline,
        account_name=row.account_name,
        account_status=row.account_status,
    )


def _request_state(request: Request[Any, Any, Any]) -> dict[str, Any]:
    state: dict[str, Any] = request.scope.setdefault("state", {})
    return state


async def provide_current_user(request: Request[Any, Any, State], uow: NamedDependency[UnitOfWork]) -> CurrentUser:
    """The request's user (resolved once per request: :func:`authenticate` may have done it already)."""
    state = _request_state(request)
    known: CurrentUser | None = state.get(_USER_KEY)
    if known is None:
        known = state[_USER_KEY] = await _resolve_current_user(request, uow)
    return known


async def _resolve_current_user(request: Request[Any, Any, State], uow: UnitOfWork) -> CurrentUser:
    token = token_from_headers(request)
    if not token:
        session_user = await _user_from_session(request, uow)
        if session_user is not None:
            return session_user
        raise NotSignedIn()
    vault: TokenVault = request.app.state.vault
    account_id = _path_account_id(request)
    digest = vault.digest(token)

    async def load() -> CurrentUser | None:
        if account_id is None:
            row = await find_user_by_token(uow, digest)
            preloaded = None
        else:
            # User and membership in one statement.
            row = await find_user_and_membership(uow, digest, account_id)
            preloaded = (account_id, _membership(account_id, row))
        if row is None:
            return None
        return CurrentUser(id=row.id, name=row.name, email=row.email, row=row, preloaded_membership=preloaded)

    # The hot path: a token seen before costs no statement (invalidated by any change to tokens, users,
    # memberships or accounts). An unknown token is not remembered, so a new one works at once.
    user = await uow.database.cache.get("auth", (digest, account_id), load, uow.written)
    if user is None:
        raise Unauthorized("Invalid Access Token")
    return user


async def _user_from_session(request: Request[Any, Any, State], uow: UnitOfWork) -> CurrentUser | None:
    """The dashboard's signed-in session, where one exists (hook for the dashboard's cookie sessions)."""
    resolver = getattr(request.app.state, "session_user_resolver", None)
    if resolver is None:
        return None
    result: CurrentUser | None = await resolver(request, uow)
    return result


@dataclass(frozen=True)
class AccountContext:
    """The account a request works in, and who works: the user and their membership there."""

    account_id: int
    user: CurrentUser
    role: int
    # None for the Client API's stand-in actor (a contact acting on its own conversations).
    membership: Membership | None = None

    @property
    def is_administrator(self) -> bool:
        return self.role == ROLE_ADMINISTRATOR

    def require_administrator(self) -> None:
        if not self.is_administrator:
            raise not_authorized()

    def acting_user_row(self) -> Any | None:
        """The user as an agent of this account (the users columns plus ``role``, ``availability`` and
        ``auto_offline`` of the membership), from what authentication already read; None without it."""
        if self.membership is None or self.user.row is None:
            return None
        values = dict(self.user.row._mapping)
        values.update(
            role=self.membership.role,
            availability=self.membership.availability,
            auto_offline=self.membership.auto_offline,
        )
        return SimpleNamespace(**values)


async def find_membership(uow: UnitOfWork, account_id: int, user_id: int) -> Membership | None:
    row = (
        await uow.conn.execute(
            select(*membership_columns())
            .select_from(account_users)
            .join(accounts, accounts.c.id == account_users.c.account_id)
            .where(account_users.c.account_id == account_id, account_users.c.user_id == user_id)
        )
    ).first()
    return _membership(account_id, row)


async def provide_account(
    request: Request[Any, Any, State],
    account_id: FromPath[int],
    current_user: NamedDependency[CurrentUser],
    uow: NamedDependency[UnitOfWork],
) -> AccountContext:
    """The request's account and the user's role there (resolved once per request)."""
    state = _request_state(request)
    known: AccountContext | None = state.get(_ACCOUNT_KEY)
    if known is None or known.account_id != account_id:
        known = state[_ACCOUNT_KEY] = await _resolve_account(account_id, current_user, uow)
    return known


async def authenticate(request: Request[Any, Any, State]) -> None:
    """Resolve the user (and account) the request's handler asks for now, before anything else: a body
    provider calls this so that a request without valid credentials answers 401, not a body error."""
    parameters = request.route_handler.parsed_fn_signature.parameters
    if "account" not in parameters and "current_user" not in parameters:
        return
    uow = await provide_uow(request)
    user = await provide_current_user(request, uow)
    if "account" in parameters:
        await provide_account(request, request.path_params["account_id"], user, uow)


async def _resolve_account(account_id: int, current_user: CurrentUser, uow: UnitOfWork) -> AccountContext:
    preloaded = current_user.preloaded_membership
    if preloaded is not None and preloaded[0] == account_id:
        membership = preloaded[1]
    elif _is_account_id(account_id):
        membership = await find_membership(uow, account_id, current_user.id)
    else:
        membership = None
    # A missing account and someone else's answer alike, so account ids cannot be probed.
    if membership is None:
        raise Unauthorized("You are not authorized to access this account")
    if membership.account_status != 0:
        raise Unauthorized("Account is suspended")
    return AccountContext(account_id=account_id, user=current_user, role=membership.role, membership=membership)


# Handler parameter types: Litestar injects these by name (``uow``, ``account``, ``current_user``);
# a parsed body is ``payload: NamedDependency[SomeStruct]`` with ``dependencies={"payload": body(SomeStruct)}``.
Uow = NamedDependency[UnitOfWork]
Account = NamedDependency[AccountContext]
User = NamedDependency[CurrentUser]
