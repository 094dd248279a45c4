"""Every router of the HTTP API, in one list."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from frontdesk.accounts.endpoints import router as accounts_router
from frontdesk.agents.endpoints import router as agents_router
from frontdesk.attachments.endpoints import router as attachments_router
from frontdesk.avatars.endpoints import router as avatars_router
from frontdesk.contacts.endpoints import router as contacts_router
from frontdesk.conversations.endpoints import router as conversations_router
from frontdesk.dashboard.endpoints import router as dashboard_router
from frontdesk.inboxes.endpoints import router as inboxes_router
from frontdesk.labels.endpoints import router as labels_router
from frontdesk.messages.endpoints import router as messages_router
from frontdesk.profile.endpoints import router as profile_router
from frontdesk.public.endpoints import router as public_router
from frontdesk.realtime.endpoints import router as realtime_router
from frontdesk.teams.endpoints import router as teams_router
from frontdesk.webhooks.endpoints import router as webhooks_router
from frontdesk.widget.endpoints import router as widget_router


def route_handlers() -> list[ControllerRouterHandler]:
    return [
        profile_router,
        accounts_router,
        contacts_router,
        agents_router,
        inboxes_router,
        labels_router,
        teams_router,
        conversations_router,
        messages_router,
        attachments_router,
        avatars_router,
        webhooks_router,
        realtime_router,
        public_router,
        widget_router,
        dashboard_router,
    ]
