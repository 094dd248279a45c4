"""``GET/PATCH /api/v1/accounts/{account_id}``."""

from __future__ import annotations

from litestar import Router, get, patch
from litestar.di import NamedDependency

from frontdesk.accounts import service
from frontdesk.accounts.presenters import present_account
from frontdesk.accounts.schemas import AccountPayload, AccountUpdate
from frontdesk.auth.dependencies import Account, Uow
from frontdesk.kit.body import body


@get("/", summary="Get account details", operation_id="get-account-details")
async def show_account(account: Account, uow: Uow) -> AccountPayload:
    return present_account(await service.get_account(uow, account.account_id))


@patch(
    "/",
    summary="Update account",
    operation_id="update-account",
    dependencies={"payload": body(AccountUpdate, wrap="account")},
)
async def update_account(account: Account, uow: Uow, payload: NamedDependency[AccountUpdate]) -> AccountPayload:
    account.require_administrator()
    changes = {key: getattr(payload, key) for key in payload.__struct_fields__ if getattr(payload, key) is not None}
    return present_account(await service.update_account(uow, account.account_id, changes))


router = Router(
    path="/api/v1/accounts/{account_id:int}", route_handlers=[show_account, update_account], tags=["Account"]
)
