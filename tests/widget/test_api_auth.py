"""Who may call the Widget API: the website token names the inbox, the widget token the visitor; a token
that is missing, forged, expired or minted for another inbox names nobody."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx
import pytest

from frontdesk.widget.tokens import WidgetTokens
from tests.fixtures.api import Admin
from tests.fixtures.server import RunningServer
from tests.widget.conftest import Visitor, WidgetInbox, make_widget_inbox, new_visitor

# Every route that needs a visitor, with a harmless body.
VISITOR_ROUTES: list[tuple[str, str, dict[str, object] | None]] = [
    ("GET", "/contact", None),
    ("PATCH", "/contact", {"name": "x"}),
    ("PATCH", "/contact/set_user", {"identifier": "x"}),
    ("POST", "/contact/destroy_custom_attributes", {"custom_attributes": ["a"]}),
]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _jwt(payload: dict[str, object], key: bytes, alg: str = "HS256") -> str:
    head = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = _b64(json.dumps(payload).encode())
    signature = _b64(hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{signature}"


def test_tokens_round_trip_and_refuse_tampering() -> None:
    tokens = WidgetTokens("secret", 180)
    token = tokens.mint("abc", 7, now=1_000)
    claims = tokens.decode(token, now=2_000)
    assert claims is not None
    assert (claims.source_id, claims.inbox_id, claims.iat, claims.exp) == ("abc", 7, 1_000, 1_000 + 180 * 86_400)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert tokens.decode(token, now=1_000 + 180 * 86_400) is None  # expired
    assert WidgetTokens("other secret", 180).decode(token, now=2_000) is None
    # Signed with the raw server secret (not the derived key), or unsigned: not ours.
    assert tokens.decode(_jwt({"source_id": "abc", "inbox_id": 7, "iat": 1, "exp": 10**10}, b"secret")) is None
    head, body, _ = token.split(".")
    assert tokens.decode(f"{_b64(json.dumps({'alg': 'none'}).encode())}.{body}.") is None
    assert (
        tokens.decode(f"{head}.{_b64(json.dumps({'source_id': 'zzz', 'inbox_id': 7}).encode())}.{token.split('.')[2]}")
        is None
    )
    for garbage in ("", "a.b", "a.b.c.d", "ä.b.c", "x" * 5000, token + "x"):
        assert tokens.decode(garbage) is None


def test_every_visitor_route_refuses_a_missing_or_bad_token(
    server: RunningServer, admin: Admin, widget: WidgetInbox
) -> None:
    genuine = new_visitor(server, widget)
    other_inbox = make_widget_inbox(admin, name="Other site")
    foreign = new_visitor(server, other_inbox)
    tokens = WidgetTokens(server.settings.secret_key, 180)
    source_id = tokens.decode(genuine.token)
    assert source_id is not None
    expired = tokens.mint(source_id.source_id, widget.id, now=time.time() - 181 * 86_400)
    # A token of inbox B carrying inbox A's id is still signed for B's visitor: it names nobody in A.
    wrong_inbox = tokens.mint(source_id.source_id, other_inbox.id)
    assert genuine.token is not None
    cases = {
        "no token": None,
        "forged": genuine.token[:-3] + ("AAA" if not genuine.token.endswith("AAA") else "BBB"),
        "expired": expired,
        "another inbox's token": foreign.token,
        "a token naming another inbox": wrong_inbox,
        "garbage": "not-a-jwt",
    }
    wrong = []
    for label, token in cases.items():
        caller = Visitor(server, widget.website_token, token)
        for method, path, body in VISITOR_ROUTES:
            response = caller.request(method, path, json=body)
            if response.status_code != 404:
                wrong.append((label, method, path, response.status_code, response.text[:100]))
        caller.client.close()
    assert not wrong, wrong
    # The genuine token works on the same routes.
    assert genuine.get("/contact").status_code == 200


@pytest.mark.parametrize("website_token", [None, "unknown-token", "x" * 500])
def test_an_unknown_website_token_is_404(server: RunningServer, visitor: Visitor, website_token: str | None) -> None:
    params = {} if website_token is None else {"website_token": website_token}
    for method, path, body in [*VISITOR_ROUTES, ("POST", "/config", None)]:
        response = httpx.request(
            method,
            f"{server.base_url}/api/v1/widget{path}",
            params=params,
            json=body,
            headers={"X-Auth-Token": visitor.token or ""},
        )
        assert response.status_code == 404, (method, path, response.text)
        assert response.json() == {"error": "web widget does not exist"}


def test_the_website_token_may_come_in_the_json_body(
    server: RunningServer, widget: WidgetInbox, visitor: Visitor
) -> None:
    response = httpx.patch(
        f"{server.base_url}/api/v1/widget/contact",
        json={"website_token": widget.website_token, "name": "From body"},
        headers={"X-Auth-Token": visitor.token or ""},
    )
    assert response.status_code == 200, response.text
    assert response.json()["has_name"] is True


def test_credentials_are_checked_before_the_body(server: RunningServer, widget: WidgetInbox) -> None:
    stranger = Visitor(server, widget.website_token, None)
    response = stranger.request("PATCH", "/contact", content=b'{"name": ', headers={"content-type": "application/json"})
    assert response.status_code == 404
    stranger.client.close()
