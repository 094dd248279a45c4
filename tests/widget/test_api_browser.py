"""What the widget records of the visitor's browser (Chatwoot's ``browser`` gem fields)."""

from __future__ import annotations

import pytest

from frontdesk.widget.browser import browser_details, browser_language

AGENTS = [
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
        ("Firefox", "121.0", "Unknown", "Windows", "10.0"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile "
        "Safari/537.36",
        ("Chrome", "120.0.6099.144", "Android", "Android", "14"),
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
        "Safari/537.36 Edg/120.0.2210.91",
        ("Microsoft Edge", "120.0.2210.91", "Unknown", "Windows", "10.0"),
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 "
        "Mobile/15E148 Safari/604.1",
        ("Safari", "16.6", "iPad", "iOS", "16.6"),
    ),
    ("curl/8.5.0", ("Unknown", "0", "Unknown", "Unknown", "0")),
    ("", ("Unknown", "0", "Unknown", "Unknown", "0")),
]


@pytest.mark.parametrize(("agent", "expected"), AGENTS)
def test_browser_details(agent: str, expected: tuple[str, str, str, str, str]) -> None:
    details = browser_details(agent)
    found = (
        details["browser_name"],
        details["browser_version"],
        details["device_name"],
        details["platform_name"],
        details["platform_version"],
    )
    assert found == expected


def test_browser_language() -> None:
    assert browser_language("en-US,en;q=0.9,fr;q=0.8") == "en"
    assert browser_language("fr;q=0.5, de-CH;q=0.9") == "de"
    assert browser_language("*") is None
    assert browser_language(None) is None
    assert browser_language("x;q=abc, es") == "es"
    assert browser_language("en;q=0") is None
