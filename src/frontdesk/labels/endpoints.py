"""``/api/v1/accounts/{account_id}/labels``: the account's labels (Chatwoot's LabelsController).

Agents may list labels; showing one and every write is for administrators (Chatwoot's LabelPolicy).
"""

from __future__ import annotations

from litestar import Router, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from frontdesk.auth.dependencies import Account, Uow
from frontdesk.kit.body import body
from frontdesk.kit.schema import EmptyResponse
from frontdesk.labels import service
from frontdesk.labels.presenters import present_label, present_labels
from frontdesk.labels.schemas import LabelFields, LabelList, LabelPayload


@get("/", summary="List all labels", operation_id="list-all-labels")
async def list_labels(account: Account, uow: Uow) -> LabelList:
    return present_labels(await service.list_labels(uow, account.account_id))


@post(
    "/",
    status_code=200,
    summary="Create a label",
    operation_id="create-a-label",
    dependencies={"payload": body(LabelFields, wrap="label")},
)
async def create_label(account: Account, uow: Uow, payload: NamedDependency[LabelFields]) -> LabelPayload:
    account.require_administrator()
    return present_label(await service.create_label(uow, account.account_id, payload.given()))


@get("/{label_id:int}", summary="Get a single label", operation_id="get-details-of-a-single-label")
async def show_label(account: Account, uow: Uow, label_id: FromPath[int]) -> LabelPayload:
    row = await service.get_label(uow, account.account_id, label_id)
    account.require_administrator()
    return present_label(row)


@patch(
    "/{label_id:int}",
    summary="Update a label",
    operation_id="update-a-label",
    dependencies={"payload": body(LabelFields, wrap="label")},
)
async def update_label(
    account: Account, uow: Uow, label_id: FromPath[int], payload: NamedDependency[LabelFields]
) -> LabelPayload:
    label = await service.get_label(uow, account.account_id, label_id)
    account.require_administrator()
    return present_label(await service.update_label(uow, label, payload.given()))


@delete("/{label_id:int}", status_code=200, summary="Delete a label", operation_id="delete-a-label")
async def delete_label(account: Account, uow: Uow, label_id: FromPath[int]) -> EmptyResponse:
    label = await service.get_label(uow, account.account_id, label_id)
    account.require_administrator()
    await service.delete_label(uow, label)
    return EmptyResponse()


router = Router(
    path="/api/v1/accounts/{account_id:int}/labels",
    route_handlers=[list_labels, create_label, show_label, update_label, delete_label],
    tags=["Labels"],
)
