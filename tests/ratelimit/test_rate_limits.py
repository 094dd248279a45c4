"""Rate limits: 429 with Retry-After, recovery after the window, per IP and per token, safelist,
trusted proxies, and counters shared through Redis by two servers."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from frontdesk.config import Settings
from frontdesk.ratelimit.counters import MemoryCounters
from frontdesk.ratelimit.limiter import RateLimiter
from tests.fixtures.server import RunningServer, ThrowawayDatabase, serve

REDIS_URL = "redis://127.0.0.1:6379/0"
PERIOD = 2.0


def start_of_window(period: float = PERIOD) -> None:
    """Sleep until a fresh fixed window has just begun, so a burst cannot straddle two windows."""
    while time.time() % period > period * 0.1:
        time.sleep(0.01)


def get(server: RunningServer, path: str = "/api/v1/profile", **headers: str) -> httpx.Response:
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        return client.get(path, headers=headers)


@pytest.fixture
def per_ip(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    yield from serve(test_database, rate_limit_per_ip=3, rate_limit_period_seconds=PERIOD)


def test_the_ip_limit_answers_429_then_recovers(per_ip: RunningServer) -> None:
    start_of_window()
    assert [get(per_ip).status_code for _ in range(3)] == [401, 401, 401]
    refused = get(per_ip)
    assert refused.status_code == 429
    assert refused.json() == {"error": "Retry later"}
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= math.ceil(PERIOD)
    time.sleep(retry_after + 0.05)
    assert get(per_ip).status_code == 401


def test_writes_are_refused_before_they_run(per_ip: RunningServer) -> None:
    start_of_window()
    for _ in range(3):
        get(per_ip)
    with httpx.Client(base_url=per_ip.base_url, timeout=10) as client:
        response = client.post("/api/v1/accounts/1/contacts", json={"name": "x"}, headers={"Idempotency-Key": "k"})
    assert response.status_code == 429
    assert "retry-after" in response.headers


def test_health_is_never_limited(per_ip: RunningServer) -> None:
    start_of_window()
    assert {get(per_ip, "/health").status_code for _ in range(8)} == {200}


@pytest.fixture
def per_token(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    yield from serve(test_database, rate_limit_per_ip=0, rate_limit_per_token=2, rate_limit_period_seconds=PERIOD)


def test_the_token_limit_counts_each_token_apart(per_token: RunningServer) -> None:
    start_of_window()
    assert [get(per_token, api_access_token="token-a").status_code for _ in range(2)] == [401, 401]
    assert get(per_token, api_access_token="token-a").status_code == 429
    assert get(per_token, Authorization="Bearer token-a").status_code == 429
    assert get(per_token, api_access_token="token-b").status_code == 401
    # No token, no token limit (and the IP limit is disabled here).
    assert {get(per_token).status_code for _ in range(5)} == {401}


@pytest.fixture
def safelisted(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    yield from serve(test_database, rate_limit_per_ip=1, rate_limit_safelist="127.0.0.1, ::1")


def test_safelisted_ips_are_not_limited(safelisted: RunningServer) -> None:
    assert {get(safelisted).status_code for _ in range(5)} == {401}


def test_each_forwarded_client_counts_apart(per_ip: RunningServer) -> None:
    """The test server is uvicorn with its defaults: X-Forwarded-For from the loopback proxy names the client."""
    start_of_window()
    one = {"X-Forwarded-For": "203.0.113.9"}
    assert [get(per_ip, **one).status_code for _ in range(4)] == [401, 401, 401, 429]
    assert get(per_ip, **{"X-Forwarded-For": "203.0.113.10"}).status_code == 401


def test_limits_of_zero_disable_their_rule() -> None:
    settings = Settings(
        data_dir=__import__("pathlib").Path("/tmp"),
        database_url="sqlite+aiosqlite://",
        secret_key="x",
        rate_limit_per_ip=0,
        rate_limit_per_token=0,
        rate_limit_public_conversations=0,
        rate_limit_public_contact_updates=0,
    )
    limiter = RateLimiter(settings, MemoryCounters())
    assert limiter.rules_for("POST", "/public/api/v1/inboxes/i/contacts/c/conversations", "1.2.3.4", "t") == []


def test_which_requests_count_against_the_client_api_limits() -> None:
    settings = Settings(data_dir=__import__("pathlib").Path("/tmp"), database_url="sqlite+aiosqlite://", secret_key="x")
    limiter = RateLimiter(settings, MemoryCounters())

    def names(method: str, path: str) -> list[str]:
        return [rule.name for rule, _ in limiter.rules_for(method, path, "1.2.3.4", None)]

    base = "/public/api/v1/inboxes/abc/contacts/src-1"
    assert names("POST", base + "/conversations") == ["req/ip", "public/conversations"]
    assert names("GET", base + "/conversations") == ["req/ip"]
    assert names("POST", base + "/conversations/3/messages") == ["req/ip"]
    assert names("PATCH", base) == ["req/ip", "public/contacts"]
    assert names("PUT", base) == ["req/ip", "public/contacts"]
    assert names("GET", base) == ["req/ip"]
    assert names("GET", "/health") == []
    conversations = limiter.public_conversations
    assert (conversations.limit, conversations.period) == (6, 12 * 3600)
    contacts = limiter.public_contacts
    assert (contacts.limit, contacts.period) == (60, 3600)
    assert (limiter.per_ip.limit, limiter.per_ip.period) == (3000, 60)


def redis_reachable() -> bool:
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


@pytest.fixture
def two_servers_sharing_redis(test_database: ThrowawayDatabase) -> Iterator[tuple[RunningServer, RunningServer]]:
    if not redis_reachable():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    overrides = {
        "redis_url": REDIS_URL,
        "rate_limit_redis_prefix": f"frontdesk-test:{uuid.uuid4().hex}",
        "rate_limit_per_ip": 4,
        "rate_limit_period_seconds": PERIOD,
    }
    first = serve(test_database, **overrides)
    second = serve(test_database, **overrides)
    try:
        yield next(first), next(second)
    finally:
        for generator in (first, second):
            generator.close()


def test_redis_counters_are_shared_across_processes(
    two_servers_sharing_redis: tuple[RunningServer, RunningServer],
) -> None:
    one, two = two_servers_sharing_redis
    start_of_window()
    assert [get(one).status_code, get(two).status_code, get(one).status_code, get(two).status_code] == [401] * 4
    refused = get(one)
    assert refused.status_code == 429
    assert get(two).status_code == 429
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= math.ceil(PERIOD)
    time.sleep(retry_after + 0.05)
    assert get(two).status_code == 401
