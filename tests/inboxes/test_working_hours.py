"""Working hours on the inbox API over real HTTP: the default week every inbox is created with, top-level
``working_hours: [...]`` on create and update (Chatwoot's ``update_working_hours``), validation naming the
entry, the stored week in the inbox payload, the Client API's inbox and the inbox webhook payload; and the
helpers other parts use (``frontdesk.message_templates.hours``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from frontdesk.inboxes.schemas import WorkingHour
from frontdesk.message_templates.hours import (
    default_week,
    is_known_timezone,
    is_out_of_office,
    load_working_hours,
    utc_offset,
)
from frontdesk.models import webhook_deliveries, working_hours
from tests.fixtures.api import Admin, make_admin, make_api_inbox
from tests.fixtures.server import RunningServer, ThrowawayDatabase, serve

DEFAULT_WEEK = [
    {
        "day_of_week": 0,
        "closed_all_day": True,
        "open_hour": None,
        "open_minutes": None,
        "close_hour": None,
        "close_minutes": None,
        "open_all_day": False,
    },
    *[
        {
            "day_of_week": day,
            "closed_all_day": False,
            "open_hour": 9,
            "open_minutes": 0,
            "close_hour": 17,
            "close_minutes": 0,
            "open_all_day": False,
        }
        for day in range(1, 6)
    ],
    {
        "day_of_week": 6,
        "closed_all_day": True,
        "open_hour": None,
        "open_minutes": None,
        "close_hour": None,
        "close_minutes": None,
        "open_all_day": False,
    },
]


def _stored_days(database: ThrowawayDatabase, inbox_id: int) -> list[int]:
    with database.sync_engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(working_hours.c.day_of_week)
                .where(working_hours.c.inbox_id == inbox_id)
                .order_by(working_hours.c.day_of_week)
            ).scalars()
        )


def test_every_inbox_starts_with_chatwoots_default_week(admin: Admin, test_database: ThrowawayDatabase) -> None:
    api_inbox = make_api_inbox(admin)
    assert api_inbox["working_hours"] == DEFAULT_WEEK
    website = admin.api.post(
        admin.path("/inboxes"),
        json={"name": "Site", "channel": {"type": "web_widget", "website_url": "https://acme.test"}},
    )
    assert website.status_code == 200, website.text
    assert website.json()["working_hours"] == DEFAULT_WEEK
    # Stored as rows (OutOfOffisable#create_default_working_hours), not only presented.
    assert _stored_days(test_database, api_inbox["id"]) == list(range(7))
    listed = admin.api.get(admin.path("/inboxes")).json()["payload"]
    assert [inbox["working_hours"] for inbox in listed] == [DEFAULT_WEEK, DEFAULT_WEEK]


def test_update_changes_the_days_it_names_and_keeps_the_others(admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    path = admin.path(f"/inboxes/{inbox['id']}")
    response = admin.api.patch(
        path,
        json={
            "working_hours_enabled": True,
            "timezone": "Asia/Kolkata",
            "out_of_office_message": "We are away",
            "working_hours": [
                {"day_of_week": 1, "open_hour": 8, "open_minutes": 30, "close_hour": 18, "close_minutes": 15},
                {"day_of_week": 0, "closed_all_day": False, "open_all_day": True},
                # Only one attribute: the rest of Friday stays as it was.
                {"day_of_week": 5, "close_hour": 12},
                {"day_of_week": 3, "closed_all_day": True},
            ],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["working_hours_enabled"] is True
    assert body["timezone"] == "Asia/Kolkata"
    week = {day["day_of_week"]: day for day in body["working_hours"]}
    assert [day["day_of_week"] for day in body["working_hours"]] == list(range(7))
    assert week[1] | {} == DEFAULT_WEEK[1] | {"open_hour": 8, "open_minutes": 30, "close_hour": 18, "close_minutes": 15}
    # WorkingHour#ensure_open_all_day_hours: an open-all-day day is 0:00-23:59.
    assert week[0] == {
        "day_of_week": 0,
        "closed_all_day": False,
        "open_hour": 0,
        "open_minutes": 0,
        "close_hour": 23,
        "close_minutes": 59,
        "open_all_day": True,
    }
    assert week[5] == DEFAULT_WEEK[5] | {"close_hour": 12}
    assert week[3]["closed_all_day"] is True
    assert week[2] == DEFAULT_WEEK[2] and week[4] == DEFAULT_WEEK[4] and week[6] == DEFAULT_WEEK[6]
    # Read back: the stored week, on the inbox and in the list.
    assert admin.api.get(path).json()["working_hours"] == body["working_hours"]
    # An update without working_hours leaves them alone.
    renamed = admin.api.patch(path, json={"name": "Renamed"})
    assert renamed.json()["working_hours"] == body["working_hours"]


def test_create_accepts_working_hours(admin: Admin) -> None:
    response = admin.api.post(
        admin.path("/inboxes"),
        json={
            "name": "Weekend shop",
            "channel": {"type": "api"},
            "working_hours": [
                {
                    "day_of_week": 6,
                    "closed_all_day": False,
                    "open_hour": 10,
                    "close_hour": 14,
                    "open_minutes": 0,
                    "close_minutes": 0,
                }
            ],
        },
    )
    assert response.status_code == 200, response.text
    saturday = response.json()["working_hours"][6]
    assert saturday == {
        "day_of_week": 6,
        "closed_all_day": False,
        "open_hour": 10,
        "open_minutes": 0,
        "close_hour": 14,
        "close_minutes": 0,
        "open_all_day": False,
    }


@pytest.mark.parametrize(
    ("entry", "attribute"),
    [
        ({"day_of_week": 7, "closed_all_day": True}, "working_hours[0].day_of_week"),
        ({"day_of_week": -1}, "working_hours[0].day_of_week"),
        ({"day_of_week": 1, "open_hour": 24}, "working_hours[0].open_hour"),
        ({"day_of_week": 1, "close_minutes": 60}, "working_hours[0].close_minutes"),
        ({"day_of_week": 1, "open_minutes": -5}, "working_hours[0].open_minutes"),
        ({"day_of_week": 1, "open_hour": 18}, "working_hours[0].close_hour"),
        (
            {"day_of_week": 2, "open_hour": 9, "open_minutes": 0, "close_hour": 9, "close_minutes": 0},
            "working_hours[0].close_hour",
        ),
        ({"day_of_week": 0, "closed_all_day": False}, "working_hours[0].open_hour"),
        ({"day_of_week": 1, "closed_all_day": True, "open_all_day": True}, "working_hours[0].open_all_day"),
    ],
)
def test_bad_working_hours_are_a_422_naming_the_entry(admin: Admin, entry: dict[str, Any], attribute: str) -> None:
    inbox = make_api_inbox(admin)
    path = admin.path(f"/inboxes/{inbox['id']}")
    response = admin.api.patch(path, json={"name": "Not renamed", "working_hours": [entry]})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["attributes"] == [attribute]
    assert body["message"].startswith("Working hours ")
    # Nothing was written: neither the week nor the other fields of the body.
    after = admin.api.get(path).json()
    assert after["working_hours"] == DEFAULT_WEEK
    assert after["name"] == inbox["name"]
    created = admin.api.post(
        admin.path("/inboxes"), json={"name": "X", "channel": {"type": "api"}, "working_hours": [entry]}
    )
    assert created.status_code == 422
    assert created.json()["attributes"] == [attribute]


def test_wrong_types_are_a_422_too(admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    path = admin.path(f"/inboxes/{inbox['id']}")
    for body in (
        {"working_hours": "all week"},
        {"working_hours": [{"open_hour": 9}]},
        {"working_hours": [{"day_of_week": 1, "open_hour": "nine"}]},
    ):
        response = admin.api.patch(path, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["attributes"] == ["working_hours"]


def test_rails_time_zone_names_are_accepted(admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    path = admin.path(f"/inboxes/{inbox['id']}")
    response = admin.api.patch(path, json={"timezone": "Eastern Time (US & Canada)"})
    assert response.status_code == 200, response.text
    assert response.json()["timezone"] == "Eastern Time (US & Canada)"
    refused = admin.api.patch(path, json={"timezone": "Mars/Olympus_Mons"})
    assert refused.status_code == 422
    assert refused.json()["attributes"] == ["timezone"]


def test_the_client_api_inbox_shows_the_stored_week(admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    admin.api.patch(
        admin.path(f"/inboxes/{inbox['id']}"), json={"working_hours": [{"day_of_week": 2, "closed_all_day": True}]}
    )
    public = admin.api.get(f"/public/api/v1/inboxes/{inbox['inbox_identifier']}")
    assert public.status_code == 200, public.text
    assert public.json()["working_hours"][2]["closed_all_day"] is True
    assert public.json()["working_hours"][1] == DEFAULT_WEEK[1]


def test_deleting_an_inbox_deletes_its_week(admin: Admin, test_database: ThrowawayDatabase) -> None:
    inbox = make_api_inbox(admin)
    assert admin.api.delete(admin.path(f"/inboxes/{inbox['id']}")).status_code == 200
    assert _stored_days(test_database, inbox["id"]) == []


@pytest.fixture(scope="module")
def hook_server(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    # No delivery worker: the outbox rows stay to be read.
    yield from serve(test_database, webhook_allow_private_network=True)


def test_the_inbox_webhook_payload_carries_the_week(
    hook_server: RunningServer, test_database: ThrowawayDatabase
) -> None:
    owner = make_admin(hook_server)
    hook = owner.api.post(
        owner.path("/webhooks"),
        json={"webhook": {"url": "http://127.0.0.1:9/hook", "subscriptions": ["inbox_created", "inbox_updated"]}},
    )
    assert hook.status_code == 200, hook.text
    inbox = make_api_inbox(owner)
    owner.api.patch(
        owner.path(f"/inboxes/{inbox['id']}"),
        json={"working_hours_enabled": True, "working_hours": [{"day_of_week": 1, "open_hour": 7}]},
    )
    with test_database.sync_engine.connect() as conn:
        rows = conn.execute(
            sa.select(webhook_deliveries.c.event, webhook_deliveries.c.payload).order_by(webhook_deliveries.c.id)
        ).all()
    payloads = {row.event: json.loads(row.payload) for row in rows}
    created, updated = payloads["inbox_created"], payloads["inbox_updated"]
    # Chatwoot's working_hours.as_json: the rows whole.
    assert [day["day_of_week"] for day in created["working_hours"]] == list(range(7))
    monday = created["working_hours"][1]
    assert {key: monday[key] for key in DEFAULT_WEEK[1]} == DEFAULT_WEEK[1]
    assert monday["inbox_id"] == inbox["id"] and monday["account_id"] == owner.account_id
    assert {"id", "created_at", "updated_at"} <= set(monday)
    assert updated["working_hours"][1]["open_hour"] == 7


# --- the helpers -------------------------------------------------------------------------------------


class _Inbox:
    def __init__(self, enabled: bool, timezone: str) -> None:
        self.working_hours_enabled = enabled
        self.timezone = timezone


def test_is_out_of_office_reads_the_week_in_the_inbox_time_zone() -> None:
    week = default_week()
    # Monday 2026-12-07 10:00 UTC.
    monday_morning = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    assert is_out_of_office(_Inbox(True, "UTC"), week, monday_morning) is False
    # Disabled working hours: never out of office.
    assert is_out_of_office(_Inbox(False, "UTC"), week, datetime(2026, 12, 6, 10, tzinfo=UTC)) is False
    # Sunday (closed all day).
    assert is_out_of_office(_Inbox(True, "UTC"), week, datetime(2026, 12, 6, 10, tzinfo=UTC)) is True
    # 10:00 UTC is 19:00 in Tokyo (after 17:00), 05:00 in New York (before 9:00), 15:30 in Kolkata (open).
    assert is_out_of_office(_Inbox(True, "Asia/Tokyo"), week, monday_morning) is True
    assert is_out_of_office(_Inbox(True, "Eastern Time (US & Canada)"), week, monday_morning) is True
    assert is_out_of_office(_Inbox(True, "Chennai"), week, monday_morning) is False
    # Both ends are inside (Chatwoot's between?).
    assert is_out_of_office(_Inbox(True, "UTC"), week, datetime(2026, 12, 7, 17, 0, tzinfo=UTC)) is False
    assert is_out_of_office(_Inbox(True, "UTC"), week, datetime(2026, 12, 7, 17, 1, tzinfo=UTC)) is True
    assert is_out_of_office(_Inbox(True, "UTC"), week, datetime(2026, 12, 7, 9, 0, tzinfo=UTC)) is False
    open_sunday = [WorkingHour(0, False, 0, 0, 23, 59, True), *week[1:]]
    assert is_out_of_office(_Inbox(True, "UTC"), open_sunday, datetime(2026, 12, 6, 23, 59, 30, tzinfo=UTC)) is False


def test_utc_offset_and_time_zone_names() -> None:
    assert utc_offset("Asia/Kolkata") == "+05:30"
    assert utc_offset("Chennai") == "+05:30"
    assert utc_offset("UTC") == "+00:00"
    assert utc_offset("America/St_Johns", datetime(2026, 1, 15, tzinfo=UTC)) == "-03:30"
    assert utc_offset("Eastern Time (US & Canada)", datetime(2026, 7, 1, tzinfo=UTC)) == "-04:00"
    assert utc_offset("Nowhere/Special") == "+00:00"
    assert is_known_timezone("Europe/Berlin") and is_known_timezone("Berlin")
    assert not is_known_timezone("Nowhere/Special")


def test_load_working_hours_is_the_stored_week(server: RunningServer, admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    admin.api.patch(
        admin.path(f"/inboxes/{inbox['id']}"), json={"working_hours": [{"day_of_week": 4, "close_hour": 20}]}
    )

    async def load() -> list[WorkingHour]:
        async with server.database.unit_of_work(write=False) as uow:
            return await load_working_hours(uow.conn, inbox["id"])

    week = server.run(load)
    assert [day.day_of_week for day in week] == list(range(7))
    assert week[4].close_hour == 20
    assert week[3] == default_week()[3]
