"""Wire shapes of the webhooks API (Chatwoot's ``api/v1/accounts/webhooks`` views) and of the delivery log."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from frontdesk.kit.schema import Schema, ShortStr

UrlStr = Annotated[str, msgspec.Meta(max_length=2048)]


class WebhookCreate(Schema):
    url: UrlStr
    name: ShortStr | None = None
    subscriptions: list[str] | None = None
    inbox_id: int | None = None


class WebhookUpdate(Schema):
    url: UrlStr | UnsetType = UNSET
    name: ShortStr | None | UnsetType = UNSET
    subscriptions: list[str] | None | UnsetType = UNSET
    inbox_id: int | None | UnsetType = UNSET


class WebhookInbox(msgspec.Struct):
    id: int
    name: str


class WebhookPayload(msgspec.Struct):
    """Chatwoot's ``_webhook`` partial; ``inbox`` only when the webhook names one."""

    id: int
    name: str | None
    url: str
    account_id: int
    subscriptions: list[str]
    secret: str
    inbox: WebhookInbox | UnsetType = UNSET


class WebhookOnly(msgspec.Struct):
    webhook: WebhookPayload


class WebhookEnvelope(msgspec.Struct):
    payload: WebhookOnly


class WebhookItems(msgspec.Struct):
    webhooks: list[WebhookPayload]


class WebhookList(msgspec.Struct):
    payload: WebhookItems


class DeliveryPayload(msgspec.Struct):
    """One delivery of the log: ``id`` is the ``X-Chatwoot-Delivery`` value, ``event_id`` the ``webhook-id``."""

    id: str
    event_id: str
    event: str
    url: str
    status: str
    attempts: int
    last_error: str | None
    response_code: int | None
    next_attempt_at: int | None
    created_at: int
    delivered_at: int | None


class DeliveryMeta(msgspec.Struct):
    count: int
    current_page: int
    per_page: int


class DeliveryList(msgspec.Struct):
    payload: list[DeliveryPayload]
    meta: DeliveryMeta


class DeliveryEnvelope(msgspec.Struct):
    payload: DeliveryPayload


class ReplayBody(Schema):
    since: int | None = None
    since_delivery_id: str | None = None


class ReplayResult(msgspec.Struct):
    enqueued: int


class ReplayEnvelope(msgspec.Struct):
    payload: ReplayResult
