"""The widget's hot endpoints run a bounded number of statements, whatever the conversation's history."""

from __future__ import annotations

from tests.fixtures.observe import counted_queries
from tests.fixtures.server import RunningServer
from tests.widget.conftest import Visitor


def _own(statements: list[str]) -> list[str]:
    return [s for s in statements if not s.strip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE"))]


def test_sending_and_listing_are_bounded(server: RunningServer, visitor: Visitor) -> None:
    for index in range(30):
        assert visitor.post("/messages", json={"message": {"content": f"filler {index}"}}).status_code == 200
    with counted_queries(server) as sent:
        assert visitor.post("/messages", json={"message": {"content": "one more"}}).status_code == 200
    with counted_queries(server) as listed:
        assert len(visitor.get("/messages").json()["payload"]) == 20
    with counted_queries(server) as listed_after:
        assert len(visitor.get("/messages", params={"after": "1"}).json()["payload"]) == 30
    # The visitor (contact inbox, contact), its latest conversation, the conversation locked with its counts,
    # then the message's writes; the website inbox comes from the process's cache.
    assert len(_own(sent)) <= 8, _own(sent)
    assert sum(s.upper().count("INSERT INTO MESSAGES") for s in sent) == 1
    # The visitor, its conversation, one page of messages, their senders and attachments: as many
    # statements for 20 messages as for 30.
    assert len(_own(listed)) <= 7, _own(listed)
    assert len(_own(listed_after)) == len(_own(listed))
