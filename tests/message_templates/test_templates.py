"""Template messages over real HTTP with the job runner running: the out-of-office reply, the greeting and
the email collect after an incoming message, the CSAT survey on resolution; each once, none where nothing is
enabled, and nothing twice when a job runs again."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from frontdesk.message_templates.service import (
    CSAT_DEFAULT_MESSAGE,
    CSAT_NOT_SENT,
    EMAIL_INPUT,
    WAYS_TO_REACH_YOU,
    send_templates_after_incoming,
)
from frontdesk.models import jobs
from tests.fixtures.api import Admin, make_api_inbox, make_contact, make_conversation
from tests.fixtures.observe import counted_queries
from tests.fixtures.receiver import Receiver
from tests.fixtures.server import RunningServer, ThrowawayDatabase
from tests.message_templates.conftest import (
    conversation_id,
    eventually,
    incoming,
    incoming_in_website_inbox,
    listed,
    template_jobs,
    templates,
    wait_for_jobs,
)
from tests.realtime.cable import Cable, contact_inbox_pubsub_token, identifier

ALL_WEEK_CLOSED = [{"day_of_week": day, "closed_all_day": True} for day in range(7)]
ALL_WEEK_OPEN = [{"day_of_week": day, "closed_all_day": False, "open_all_day": True} for day in range(7)]
AWAY = "We are away right now and will answer tomorrow."
HELLO = "Hello! Tell us what you need."


def _configure(owner: Admin, inbox_id: int, **fields: Any) -> dict[str, Any]:
    response = owner.api.patch(owner.path(f"/inboxes/{inbox_id}"), json=fields)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _website_inbox(owner: Admin, **fields: Any) -> dict[str, Any]:
    response = owner.api.post(
        owner.path("/inboxes"),
        json={"name": "Site", "channel": {"type": "web_widget", "website_url": "https://acme.test"}, **fields},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_out_of_office_reply_outside_working_hours_once_a_day(
    owner: Admin, test_database: ThrowawayDatabase, receiver: Receiver
) -> None:
    hook = owner.api.post(
        owner.path("/webhooks"),
        json={"webhook": {"url": receiver.url("/account"), "subscriptions": ["message_created"]}},
    )
    assert hook.status_code == 200, hook.text
    inbox = make_api_inbox(owner)
    _configure(
        owner,
        inbox["id"],
        working_hours_enabled=True,
        out_of_office_message=AWAY,
        timezone="Asia/Tokyo",
        working_hours=ALL_WEEK_CLOSED,
    )
    conversation = make_conversation(owner, inbox["id"])
    incoming(owner, conversation["id"])
    wait_for_jobs(test_database, 1)
    [reply] = templates(owner, conversation["id"])
    assert reply["content"] == AWAY
    assert reply["message_type"] == 3
    assert reply["content_type"] == "text"
    assert reply["private"] is False
    # Written by Frontdesk itself: no sender.
    assert reply.get("sender") is None and reply.get("sender_id") is None

    # The webhook of any message went out for it.
    def delivered() -> list[dict[str, Any]]:
        bodies = [json.loads(item.body) for item in receiver.received("/account", accepted_only=True)]
        return [body for body in bodies if body.get("message_type") == "template"]

    [payload] = eventually(delivered)
    assert payload["event"] == "message_created"
    assert payload["content"] == AWAY
    assert payload["conversation"]["id"] == conversation["id"]
    # A second message the same day: no second reply (a template was already sent today).
    incoming(owner, conversation["id"], "Anyone?")
    wait_for_jobs(test_database, 2)
    assert [message["content"] for message in templates(owner, conversation["id"])] == [AWAY]


def test_no_out_of_office_reply_within_working_hours(owner: Admin, test_database: ThrowawayDatabase) -> None:
    inbox = make_api_inbox(owner)
    _configure(owner, inbox["id"], working_hours_enabled=True, out_of_office_message=AWAY, working_hours=ALL_WEEK_OPEN)
    conversation = make_conversation(owner, inbox["id"])
    incoming(owner, conversation["id"])
    # The inbox could send one, so a job ran; it found the inbox open.
    wait_for_jobs(test_database, 1)
    assert templates(owner, conversation["id"]) == []


def test_no_out_of_office_reply_when_working_hours_are_disabled(owner: Admin, test_database: ThrowawayDatabase) -> None:
    inbox = make_api_inbox(owner)
    _configure(
        owner, inbox["id"], working_hours_enabled=False, out_of_office_message=AWAY, working_hours=ALL_WEEK_CLOSED
    )
    conversation = make_conversation(owner, inbox["id"])
    incoming(owner, conversation["id"])
    assert template_jobs(test_database) == []
    assert templates(owner, conversation["id"]) == []


def test_no_out_of_office_reply_while_an_agent_is_answering(owner: Admin, test_database: ThrowawayDatabase) -> None:
    inbox = make_api_inbox(owner)
    _configure(
        owner, inbox["id"], working_hours_enabled=True, out_of_office_message=AWAY, working_hours=ALL_WEEK_CLOSED
    )
    conversation = make_conversation(owner, inbox["id"])
    answered = owner.api.post(owner.path(f"/conversations/{conversation['id']}/messages"), json={"content": "On it"})
    assert answered.status_code == 200
    incoming(owner, conversation["id"])
    wait_for_jobs(test_database, 1)
    assert templates(owner, conversation["id"]) == []


def test_greeting_once(owner: Admin, test_database: ThrowawayDatabase) -> None:
    inbox = make_api_inbox(owner)
    _configure(owner, inbox["id"], greeting_enabled=True, greeting_message=HELLO)
    conversation = make_conversation(owner, inbox["id"])
    incoming(owner, conversation["id"])
    wait_for_jobs(test_database, 1)
    incoming(owner, conversation["id"], "Second message")
    wait_for_jobs(test_database, 2)
    messages = listed(owner, conversation["id"])
    assert [(m["message_type"], m["content"]) for m in messages] == [
        (0, "Hello?"),
        (3, HELLO),
        (0, "Second message"),
    ]


def test_no_greeting_once_an_agent_has_answered(owner: Admin, test_database: ThrowawayDatabase) -> None:
    inbox = make_api_inbox(owner)
    _configure(owner, inbox["id"], greeting_enabled=True, greeting_message=HELLO)
    conversation = make_conversation(owner, inbox["id"])
    owner.api.post(owner.path(f"/conversations/{conversation['id']}/messages"), json={"content": "Hi, how can I help?"})
    incoming(owner, conversation["id"])
    wait_for_jobs(test_database, 1)
    assert templates(owner, conversation["id"]) == []


def test_out_of_office_stands_in_for_the_greeting(owner: Admin, test_database: ThrowawayDatabase) -> None:
    """Chatwoot's order: the out-of-office reply first, then the greeting only if no template was sent."""
    inbox = make_api_inbox(owner)
    _configure(
        owner,
        inbox["id"],
        greeting_enabled=True,
        greeting_message=HELLO,
        working_hours_enabled=True,
        out_of_office_message=AWAY,
        working_hours=ALL_WEEK_CLOSED,
    )
    conversation = make_conversation(owner, inbox["id"])
    incoming(owner, conversation["id"])
    wait_for_jobs(test_database, 1)
    assert [message["content"] for message in templates(owner, conversation["id"])] == [AWAY]


def test_email_collect_in_a_website_inbox(
    working_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase
) -> None:
    inbox = _website_inbox(owner)
    assert inbox["enable_email_collect"] is True
    conversation = make_conversation(owner, inbox["id"])
    internal = conversation_id(test_database, owner.account_id, conversation["id"])
    incoming_in_website_inbox(working_server, internal)
    wait_for_jobs(test_database, 1)
    found = templates(owner, conversation["id"])
    assert [(m["content_type"], m["content"]) for m in found] == [
        ("text", WAYS_TO_REACH_YOU),
        ("input_email", EMAIL_INPUT),
    ]
    # Once per conversation.
    incoming_in_website_inbox(working_server, internal, "Still there?")
    wait_for_jobs(test_database, 2)
    assert len(templates(owner, conversation["id"])) == 2


def test_no_email_collect_for_a_contact_with_an_email(
    working_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase
) -> None:
    inbox = _website_inbox(owner)
    contact = make_contact(owner, inbox["id"], email="known@example.com")
    created = owner.api.post(owner.path("/conversations"), json={"source_id": contact["contact_inbox"]["source_id"]})
    assert created.status_code == 200, created.text
    display_id = created.json()["id"]
    incoming_in_website_inbox(working_server, conversation_id(test_database, owner.account_id, display_id))
    # Decided in the message's transaction: nothing could apply, so no job was written.
    assert template_jobs(test_database) == []
    assert templates(owner, display_id) == []


def test_no_email_collect_when_disabled(
    working_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase
) -> None:
    inbox = _website_inbox(owner, enable_email_collect=False)
    conversation = make_conversation(owner, inbox["id"])
    incoming_in_website_inbox(working_server, conversation_id(test_database, owner.account_id, conversation["id"]))
    assert template_jobs(test_database) == []
    assert templates(owner, conversation["id"]) == []


def _resolve(owner: Admin, display_id: int, status: str = "resolved") -> None:
    response = owner.api.post(owner.path(f"/conversations/{display_id}/toggle_status"), json={"status": status})
    assert response.status_code == 200, response.text


def test_csat_survey_on_resolution_once(owner: Admin, test_database: ThrowawayDatabase) -> None:
    inbox = make_api_inbox(owner)
    _configure(owner, inbox["id"], csat_survey_enabled=True)
    conversation = make_conversation(owner, inbox["id"])
    _resolve(owner, conversation["id"])
    wait_for_jobs(test_database, 1)
    [survey] = templates(owner, conversation["id"])
    assert survey["content_type"] == "input_csat"
    assert survey["content"] == CSAT_DEFAULT_MESSAGE
    assert survey["content_attributes"] == {"display_type": "emoji"}
    # Reopened and resolved again: the survey was sent already.
    _resolve(owner, conversation["id"], "open")
    _resolve(owner, conversation["id"])
    wait_for_jobs(test_database, 2)
    assert len(templates(owner, conversation["id"])) == 1
    # The conversation stays resolved (a template message does not reopen it).
    shown = owner.api.get(owner.path(f"/conversations/{conversation['id']}")).json()
    assert shown["status"] == "resolved"


def test_csat_uses_the_configured_message_and_survey_rules(owner: Admin, test_database: ThrowawayDatabase) -> None:
    inbox = make_api_inbox(owner)
    _configure(
        owner,
        inbox["id"],
        csat_survey_enabled=True,
        csat_config={
            "message": "How did we do?",
            "display_type": "star",
            "survey_rules": {"operator": "contains", "values": ["vip"]},
        },
    )
    plain = make_conversation(owner, inbox["id"])
    vip = make_conversation(owner, inbox["id"])
    labelled = owner.api.post(owner.path(f"/conversations/{vip['id']}/labels"), json={"labels": ["vip"]})
    assert labelled.status_code == 200, labelled.text
    _resolve(owner, plain["id"])
    _resolve(owner, vip["id"])
    wait_for_jobs(test_database, 2)
    assert templates(owner, plain["id"]) == []
    [survey] = templates(owner, vip["id"])
    assert survey["content"] == "How did we do?"
    assert survey["content_attributes"] == {"display_type": "star"}


def test_no_csat_when_disabled(owner: Admin, test_database: ThrowawayDatabase) -> None:
    inbox = make_api_inbox(owner)
    conversation = make_conversation(owner, inbox["id"])
    _resolve(owner, conversation["id"])
    assert template_jobs(test_database) == []
    assert templates(owner, conversation["id"]) == []


def test_a_job_run_again_writes_nothing_twice(
    working_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase
) -> None:
    inbox = _website_inbox(owner, greeting_enabled=True, greeting_message=HELLO)
    conversation = make_conversation(owner, inbox["id"])
    internal = conversation_id(test_database, owner.account_id, conversation["id"])
    incoming_in_website_inbox(working_server, internal)
    [job] = wait_for_jobs(test_database, 1)
    assert len(templates(owner, conversation["id"])) == 3
    # As after a crash between the handler's commit and the job's outcome: the job is due again.
    with test_database.sync_engine.begin() as conn:
        conn.execute(
            sa.update(jobs)
            .where(jobs.c.id == job.id)
            .values(
                status="pending", finished_at=None, leased_until=None, lease_owner=None, next_attempt_at=sa.func.now()
            )
        )

    def ran_again() -> bool:
        [again] = template_jobs(test_database)
        return bool(again.status == "succeeded" and again.attempts == 2)

    assert eventually(ran_again)
    # And the handler's work itself, run once more by hand.

    async def rerun() -> list[Any]:
        async with working_server.database.unit_of_work() as uow:
            return await send_templates_after_incoming(uow, internal, job.payload["message_id"], flood_limit=200)

    assert working_server.run(rerun) == []
    assert [(m["content_type"], m["content"]) for m in templates(owner, conversation["id"])] == [
        ("text", HELLO),
        ("text", WAYS_TO_REACH_YOU),
        ("input_email", EMAIL_INPUT),
    ]


def test_an_api_inbox_without_templates_gets_nothing_and_pays_nothing(
    working_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase
) -> None:
    inbox = make_api_inbox(owner)
    conversation = make_conversation(owner, inbox["id"])
    incoming(owner, conversation["id"], "warm-up")
    with counted_queries(working_server) as statements:
        incoming(owner, conversation["id"])
    assert not [statement for statement in statements if "jobs" in statement.lower()]
    _resolve(owner, conversation["id"])
    assert template_jobs(test_database) == []
    assert [m["message_type"] for m in listed(owner, conversation["id"])] == [0, 0]
    assert templates(owner, conversation["id"]) == []


def test_csat_outside_the_reply_window_is_an_activity_message(owner: Admin, test_database: ThrowawayDatabase) -> None:
    inbox = make_api_inbox(owner)
    _configure(
        owner,
        inbox["id"],
        csat_survey_enabled=True,
        channel={"additional_attributes": {"agent_reply_time_window": "1"}},
    )
    # No incoming message at all: outside the window.
    silent = make_conversation(owner, inbox["id"])
    # An incoming message just now: inside it.
    talking = make_conversation(owner, inbox["id"])
    incoming(owner, talking["id"])
    _resolve(owner, silent["id"])
    _resolve(owner, talking["id"])
    wait_for_jobs(test_database, 2)
    assert templates(owner, silent["id"]) == []
    activity = [m["content"] for m in listed(owner, silent["id"]) if m["message_type"] == 2]
    assert CSAT_NOT_SENT in activity
    [survey] = templates(owner, talking["id"])
    assert survey["content_type"] == "input_csat"


def test_the_contact_sees_the_greeting_live(
    working_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase
) -> None:
    inbox = make_api_inbox(owner)
    _configure(owner, inbox["id"], greeting_enabled=True, greeting_message=HELLO)
    contact = make_contact(owner, inbox["id"])
    source_id = contact["contact_inbox"]["source_id"]
    created = owner.api.post(owner.path("/conversations"), json={"source_id": source_id})
    assert created.status_code == 200, created.text
    with Cable(working_server) as cable:
        ident = identifier(contact_inbox_pubsub_token(test_database, source_id))
        assert cable.subscribe(ident)["type"] == "confirm_subscription"
        incoming(owner, created.json()["id"])

        def greeting() -> dict[str, Any] | None:
            frame = cable.event("message.created", timeout=10)
            return frame if frame["data"]["message_type"] == 3 else None

        frame = greeting() or greeting()
    assert frame is not None
    assert frame["data"]["content"] == HELLO
    assert frame["data"]["conversation_id"] == created.json()["id"]
