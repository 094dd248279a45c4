"""Pure pieces: address classification, Retry-After parsing, backoff bounds, signature headers."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from frontdesk.config import Settings
from frontdesk.webhooks.signing import signed_headers
from frontdesk.webhooks.ssrf import is_refused_address
from frontdesk.webhooks.worker import backoff_seconds, classify_status, parse_retry_after


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("172.31.255.255", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("0.0.0.0", True),
        ("224.0.0.251", True),
        ("::1", True),
        ("fe80::1", True),
        ("fd00:ec2::254", True),
        ("::ffff:10.0.0.1", True),
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
    ],
)
def test_refused_addresses(address: str, refused: bool) -> None:
    assert is_refused_address(ipaddress.ip_address(address)) is refused


def test_retry_after_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_backoff_is_full_jitter_under_a_growing_ceiling_and_honours_retry_after() -> None:
    settings = Settings(data_dir=Path("."), database_url="sqlite://", secret_key="x")
    for attempts, ceiling in [(1, 2.0), (2, 4.0), (5, 32.0), (30, 3600.0)]:
        delays = [backoff_seconds(settings, attempts, None) for _ in range(200)]
        assert all(0 <= delay <= ceiling for delay in delays)
        assert max(delays) > ceiling / 2
    assert all(backoff_seconds(settings, 1, 90.0) >= 90.0 for _ in range(50))


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (200, "succeeded"),
        (204, "succeeded"),
        (301, "dead"),
        (400, "dead"),
        (404, "dead"),
        (408, "retry"),
        (429, "retry"),
        (500, "retry"),
        (503, "retry"),
    ],
)
def test_status_classes(status: int, kind: str) -> None:
    assert classify_status(status) == kind


def test_signed_headers_with_two_secrets() -> None:
    body = b'{"event":"message_created"}'
    headers = signed_headers(body, delivery_id="d-1", event_id="e-1", timestamp=1700000000, secrets=["new", "old"])
    expected = [
        "sha256=" + hmac.new(secret, b"1700000000." + body, hashlib.sha256).hexdigest() for secret in (b"new", b"old")
    ]
    assert headers["X-Chatwoot-Signature"] == ", ".join(expected)
    assert headers["X-Chatwoot-Delivery"] == "d-1"
    assert headers["webhook-id"] == "e-1"
    assert headers["X-Chatwoot-Timestamp"] == headers["webhook-timestamp"] == "1700000000"
    assert [value[:3] for value in headers["webhook-signature"].split(" ")] == ["v1,", "v1,"]
