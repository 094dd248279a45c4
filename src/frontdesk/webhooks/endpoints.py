"""``/api/v1/accounts/{account_id}/webhooks`` (Chatwoot's CRUD), secret resets, the delivery log, redeliver, replay.

Administrators only, as Chatwoot's webhook policy.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from frontdesk.auth.dependencies import Account, Uow
from frontdesk.config import Settings
from frontdesk.kit.body import body
from frontdesk.kit.schema import EmptyResponse
from frontdesk.webhooks import service
from frontdesk.webhooks.presenters import present_delivery, present_webhook
from frontdesk.webhooks.schemas import (
    DeliveryEnvelope,
    DeliveryList,
    DeliveryMeta,
    ReplayBody,
    ReplayEnvelope,
    ReplayResult,
    WebhookCreate,
    WebhookEnvelope,
    WebhookItems,
    WebhookList,
    WebhookOnly,
    WebhookUpdate,
)


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _envelope(uow: Uow, row: Any) -> WebhookEnvelope:
    inbox = (await service.inboxes_of(uow, [row])).get(row.inbox_id) if row.inbox_id is not None else None
    return WebhookEnvelope(WebhookOnly(present_webhook(row, inbox)))


@get("/webhooks", summary="List all webhooks", operation_id="listAllWebhooks")
async def list_webhooks(account: Account, uow: Uow) -> WebhookList:
    account.require_administrator()
    rows = await service.list_webhooks(uow, account.account_id)
    found = await service.inboxes_of(uow, rows)
    items = [present_webhook(row, found.get(row.inbox_id) if row.inbox_id else None) for row in rows]
    return WebhookList(WebhookItems(items))


@post(
    "/webhooks",
    status_code=200,
    summary="Add a webhook",
    operation_id="createAWebhook",
    dependencies={"payload": body(WebhookCreate, wrap="webhook")},
)
async def create_webhook(
    request: Request[Any, Any, Any], account: Account, uow: Uow, payload: NamedDependency[WebhookCreate]
) -> WebhookEnvelope:
    account.require_administrator()
    allow = _settings(request).webhook_allow_private_network
    row = await service.create_webhook(uow, account.account_id, payload, allow_private=allow)
    return await _envelope(uow, row)


async def _update(
    request: Request[Any, Any, Any], account: Account, uow: Uow, webhook_id: int, payload: WebhookUpdate
) -> WebhookEnvelope:
    account.require_administrator()
    allow = _settings(request).webhook_allow_private_network
    row = await service.update_webhook(uow, account.account_id, webhook_id, payload, allow_private=allow)
    return await _envelope(uow, row)


@patch(
    "/webhooks/{webhook_id:int}",
    summary="Update a webhook",
    operation_id="updateAWebhook",
    dependencies={"payload": body(WebhookUpdate, wrap="webhook")},
)
async def update_webhook(
    request: Request[Any, Any, Any],
    account: Account,
    uow: Uow,
    webhook_id: FromPath[int],
    payload: NamedDependency[WebhookUpdate],
) -> WebhookEnvelope:
    return await _update(request, account, uow, webhook_id, payload)


@put(
    "/webhooks/{webhook_id:int}",
    summary="Update a webhook (PUT)",
    operation_id="replaceAWebhook",
    dependencies={"payload": body(WebhookUpdate, wrap="webhook")},
)
async def put_webhook(
    request: Request[Any, Any, Any],
    account: Account,
    uow: Uow,
    webhook_id: FromPath[int],
    payload: NamedDependency[WebhookUpdate],
) -> WebhookEnvelope:
    return await _update(request, account, uow, webhook_id, payload)


@delete("/webhooks/{webhook_id:int}", status_code=200, summary="Delete a webhook", operation_id="deleteAWebhook")
async def delete_webhook(account: Account, uow: Uow, webhook_id: FromPath[int]) -> EmptyResponse:
    account.require_administrator()
    await service.delete_webhook(uow, account.account_id, webhook_id)
    return EmptyResponse()


@post(
    "/webhooks/{webhook_id:int}/reset_secret",
    status_code=200,
    summary="Reset a webhook's signing secret (the old one keeps signing for a grace period)",
    operation_id="resetWebhookSecret",
)
async def reset_webhook_secret(
    request: Request[Any, Any, Any], account: Account, uow: Uow, webhook_id: FromPath[int]
) -> WebhookEnvelope:
    account.require_administrator()
    grace = _settings(request).webhook_secret_grace_hours
    row = await service.reset_webhook_secret(uow, account.account_id, webhook_id, grace_hours=grace)
    return await _envelope(uow, row)


def _delivery_list(rows: list[Any], count: int, page: int) -> DeliveryList:
    return DeliveryList(
        [present_delivery(row) for row in rows],
        DeliveryMeta(count=count, current_page=max(page, 1), per_page=service.DELIVERIES_PER_PAGE),
    )


@get(
    "/webhooks/{webhook_id:int}/deliveries",
    summary="A webhook's deliveries, newest first",
    operation_id="listWebhookDeliveries",
)
async def webhook_deliveries(
    account: Account, uow: Uow, webhook_id: FromPath[int], page: FromQuery[int] = 1
) -> DeliveryList:
    account.require_administrator()
    rows, count = await service.list_deliveries(uow, account.account_id, webhook_id=webhook_id, page=page)
    return _delivery_list(rows, count, page)


@get(
    "/inboxes/{inbox_id:int}/webhook_deliveries",
    summary="An API inbox's webhook deliveries, newest first",
    operation_id="listInboxWebhookDeliveries",
)
async def inbox_deliveries(
    account: Account, uow: Uow, inbox_id: FromPath[int], page: FromQuery[int] = 1
) -> DeliveryList:
    account.require_administrator()
    rows, count = await service.list_deliveries(uow, account.account_id, inbox_id=inbox_id, page=page)
    return _delivery_list(rows, count, page)


@post(
    "/webhook_deliveries/{delivery_id:str}/redeliver",
    status_code=200,
    summary="Send a delivery's payload again (a new delivery, same event id)",
    operation_id="redeliverWebhookDelivery",
)
async def redeliver(account: Account, uow: Uow, delivery_id: FromPath[str]) -> DeliveryEnvelope:
    account.require_administrator()
    row = await service.redeliver(uow, account.account_id, delivery_id)
    return DeliveryEnvelope(present_delivery(row))


@post(
    "/webhooks/{webhook_id:int}/replay",
    status_code=200,
    summary="Send again every event since a time or a delivery, in order",
    operation_id="replayWebhook",
    dependencies={"payload": body(ReplayBody)},
)
async def replay_webhook(
    account: Account, uow: Uow, webhook_id: FromPath[int], payload: NamedDependency[ReplayBody]
) -> ReplayEnvelope:
    account.require_administrator()
    count = await service.replay(
        uow,
        account.account_id,
        webhook_id=webhook_id,
        since=payload.since,
        since_delivery_id=payload.since_delivery_id,
    )
    return ReplayEnvelope(ReplayResult(enqueued=count))


@post(
    "/inboxes/{inbox_id:int}/webhook_replay",
    status_code=200,
    summary="Send again every event of an API inbox since a time or a delivery, in order",
    operation_id="replayInboxWebhook",
    dependencies={"payload": body(ReplayBody)},
)
async def replay_inbox(
    account: Account, uow: Uow, inbox_id: FromPath[int], payload: NamedDependency[ReplayBody]
) -> ReplayEnvelope:
    account.require_administrator()
    count = await service.replay(
        uow,
        account.account_id,
        inbox_id=inbox_id,
        since=payload.since,
        since_delivery_id=payload.since_delivery_id,
    )
    return ReplayEnvelope(ReplayResult(enqueued=count))


router = Router(
    path="/api/v1/accounts/{account_id:int}",
    route_handlers=[
        list_webhooks,
        create_webhook,
        update_webhook,
        put_webhook,
        delete_webhook,
        reset_webhook_secret,
        webhook_deliveries,
        inbox_deliveries,
        redeliver,
        replay_webhook,
        replay_inbox,
    ],
    tags=["Webhooks"],
)
