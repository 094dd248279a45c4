"""/metrics after a scripted run: the counts match what was done, and every line parses."""

from __future__ import annotations

import re
import time

import httpx

from tests.fixtures.api import make_admin, make_api_inbox, make_conversation
from tests.fixtures.receiver import Receiver
from tests.fixtures.server import RunningServer

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
_SAMPLE = re.compile(rf"^({_NAME})(\{{(?:{_LABEL})(?:,{_LABEL})*\}})? (-?[0-9.e+-]+|\+Inf|NaN)$")
_META = re.compile(rf"^# (HELP|TYPE) ({_NAME}) (.+)$")
_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

ROUTE = "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages"


def parse(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Strict: every line is a HELP/TYPE comment or a sample; a sample's family was TYPEd first."""
    assert text.endswith("\n")
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    types: dict[str, str] = {}
    for line in text.splitlines():
        meta = _META.match(line)
        if meta:
            if meta.group(1) == "TYPE":
                assert meta.group(3) in {"counter", "gauge", "histogram"}, line
                types[meta.group(2)] = meta.group(3)
            continue
        match = _SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name = match.group(1)
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert family in types, f"no TYPE for {name}"
        if types[family] == "counter":
            assert name.endswith("_total")
        labels = frozenset(_PAIR.findall(match.group(2) or ""))
        samples[(name, labels)] = float(match.group(3))
    return samples


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(server: RunningServer) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = httpx.get(server.base_url + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


def test_counts_after_a_scripted_run(hook_server: RunningServer, receiver: Receiver) -> None:
    owner = make_admin(hook_server)
    inbox = make_api_inbox(owner, webhook_url=receiver.url())
    conversation = make_conversation(owner, inbox["id"])
    deadline = time.monotonic() + 20
    while value(scrape(hook_server), "frontdesk_webhook_outbox_pending") > 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    before = scrape(hook_server)
    received_before = len(receiver.requests)

    creates, misses = 7, 4
    path = owner.path(f"/conversations/{conversation['id']}/messages")
    for number in range(creates):
        response = owner.api.post(path, json={"content": f"hello {number}", "message_type": "incoming"})
        assert response.status_code == 200, response.text
    for number in range(misses):
        assert owner.api.get(f"/no/such/path/{number}").status_code == 404
    deadline = time.monotonic() + 20
    while len(receiver.requests) < received_before + creates:
        assert time.monotonic() < deadline, "the deliveries did not arrive"
        time.sleep(0.05)
    time.sleep(0.3)  # the worker records the outcomes in its next cycle
    after = scrape(hook_server)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("frontdesk_http_requests_total", route=ROUTE, method="POST", status="200") == creates
    assert delta("frontdesk_http_request_duration_seconds_count", route=ROUTE, method="POST") == creates
    assert delta("frontdesk_http_request_duration_seconds_bucket", route=ROUTE, method="POST", le="+Inf") == creates
    assert delta("frontdesk_http_requests_total", route="unmatched", method="GET", status="404") == misses
    # No raw path becomes a label.
    assert not [key for key in after if any(v.startswith("/no/such") for _, v in key[1])]
    delivered = len(receiver.requests) - received_before
    assert delta("frontdesk_webhook_deliveries_total", outcome="delivered") == delivered
    assert delta("frontdesk_webhook_worker_lag_seconds_count") == delivered
    assert value(after, "frontdesk_webhook_outbox_pending") == 0
    assert value(after, "frontdesk_webhook_outbox_oldest_due_seconds") == 0
    assert value(after, "frontdesk_db_pool_size", pool="write") >= 1
    assert ("frontdesk_realtime_sockets_open", frozenset()) in after


def test_retried_and_dead_attempts_are_counted(hook_server: RunningServer, receiver: Receiver) -> None:
    owner = make_admin(hook_server)
    inbox = make_api_inbox(owner, webhook_url=receiver.url())
    conversation = make_conversation(owner, inbox["id"])
    time.sleep(0.5)
    before = scrape(hook_server)
    receiver.fail(2, 500)
    response = owner.api.post(
        owner.path(f"/conversations/{conversation['id']}/messages"), json={"content": "x", "message_type": "incoming"}
    )
    assert response.status_code == 200
    deadline = time.monotonic() + 20
    while True:
        after = scrape(hook_server)
        retried = value(after, "frontdesk_webhook_deliveries_total", outcome="retried") - value(
            before, "frontdesk_webhook_deliveries_total", outcome="retried"
        )
        if retried >= 2 and value(after, "frontdesk_webhook_outbox_pending") == 0:
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert retried == 2


def test_a_token_guards_the_metrics_when_set(test_database: object) -> None:
    from tests.fixtures.server import serve

    for server in serve(test_database, metrics_token="scrape-me"):  # type: ignore[arg-type]
        assert httpx.get(server.base_url + "/metrics").status_code == 403
        wrong = httpx.get(server.base_url + "/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403
        right = httpx.get(server.base_url + "/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert right.status_code == 200
        parse(right.text)
        assert "/metrics" not in httpx.get(server.base_url + "/openapi.json").text
