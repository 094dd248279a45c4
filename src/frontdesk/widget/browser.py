"""What Chatwoot's widget controllers record of the visitor's browser (the ``browser`` gem's view of the
request): ``browser_language`` from ``Accept-Language`` and ``browser`` from ``User-Agent``, as
``{browser_name, browser_version, device_name, platform_name, platform_version}``. A small parser of
the common browsers, not a full user-agent database; what it does not recognise is ``"Unknown"``."""

from __future__ import annotations

import re

UNKNOWN = "Unknown"
# Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
_BROWSERS: list[tuple[str, re.Pattern[str]]] = [
    ("Microsoft Edge", re.compile(r"Edg(?:e|A|iOS)?/([\d.]+)")),
    ("Opera", re.compile(r"(?:OPR|Opera)/([\d.]+)")),
    ("Samsung Browser", re.compile(r"SamsungBrowser/([\d.]+)")),
    ("Firefox", re.compile(r"(?:Firefox|FxiOS)/([\d.]+)")),
    ("Chrome", re.compile(r"(?:Chrome|CriOS)/([\d.]+)")),
    ("Safari", re.compile(r"Version/([\d.]+).*Safari/")),
    ("Internet Explorer", re.compile(r"(?:MSIE |Trident/.*rv:)([\d.]+)")),
]
_PLATFORMS: list[tuple[str, re.Pattern[str]]] = [
    ("iOS", re.compile(r"(?:iPhone|iPad|iPod).*?OS ([\d_]+)")),
    ("Android", re.compile(r"Android ([\d.]+)")),
    ("Windows", re.compile(r"Windows NT ([\d.]+)")),
    ("macOS", re.compile(r"Mac OS X ([\d_.]+)")),
    ("Chrome OS", re.compile(r"CrOS \S+ ([\d.]+)")),
    ("Linux", re.compile(r"Linux()")),
]
_DEVICES: list[tuple[str, re.Pattern[str]]] = [
    ("iPhone", re.compile(r"iPhone")),
    ("iPad", re.compile(r"iPad")),
    ("iPod Touch", re.compile(r"iPod")),
    ("Android", re.compile(r"Android")),
]
_LANGUAGE = re.compile(r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([\d.]+))?\s*$")
MAX_HEADER = 1024


def browser_language(accept_language: str | None) -> str | None:
    """The language code of the most preferred entry of ``Accept-Language`` (``"en-US,fr;q=0.8"`` → ``"en"``)."""
    best: tuple[float, int, str] | None = None
    for index, part in enumerate((accept_language or "")[:MAX_HEADER].split(",")):
        match = _LANGUAGE.match(part)
        if match is None or match.group(1) == "*":
            continue
        try:
            quality = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        candidate = (-quality, index, match.group(1).lower())
        if quality > 0 and (best is None or candidate < best):
            best = candidate
    return best[2] if best is not None else None


def browser_details(user_agent: str | None) -> dict[str, str]:
    agent = (user_agent or "")[:MAX_HEADER]
    name, version = UNKNOWN, "0"
    for candidate, pattern in _BROWSERS:
        match = pattern.search(agent)
        if match:
            name, version = candidate, match.group(1)
            break
    platform, platform_version = UNKNOWN, "0"
    for candidate, pattern in _PLATFORMS:
        match = pattern.search(agent)
        if match:
            platform, platform_version = candidate, (match.group(1) or "0").replace("_", ".")
            break
    device = next((candidate for candidate, pattern in _DEVICES if pattern.search(agent)), UNKNOWN)
    return {
        "browser_name": name,
        "browser_version": version,
        "device_name": device,
        "platform_name": platform,
        "platform_version": platform_version,
    }
