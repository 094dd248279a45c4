"""Every router of the HTTP API, in one list."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from frontdesk.accounts.endpoints import router as accounts_router
from frontdesk.agents.endpoints import router as agents_router
from frontdesk.contacts.endpoints import router as contacts_router
from frontdesk.inboxes.endpoints import router as inboxes_router
from frontdesk.profile.endpoints import router as profile_router


def route_handlers() -> list[ControllerRouterHandler]:
    return [
        profile_router,
        accounts_router,
        contacts_router,
        agents_router,
        inboxes_router,
    ]
