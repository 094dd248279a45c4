"""Which limits a request counts against, and the verdict.

The rules follow Chatwoot's rack-attack set-up (config/initializers/rack_attack.rb):

* ``req/ip``: every request per client IP, 3000 a minute by default;
* ``req/token``: every request per access token, the same limit (Frontdesk's addition: one token
  used from many IPs is still one caller);
* ``public/conversations``: conversations created through the Client API per client IP, 6 in 12 hours
  (Chatwoot's widget ``api/v1/widget/conversations``);
* ``public/contacts``: contact updates through the Client API per client IP, 60 an hour (Chatwoot's
  widget ``api/v1/widget/contacts``);
* ``widget/conversations``: ``POST /api/v1/widget/conversations`` per client IP, 6 in 12 hours;
* ``widget/page``: ``GET /widget`` without a ``cw_conversation`` token per client IP, 5 an hour (each
  such page mints an anonymous contact).

``/health`` is never limited, nor the IPs of ``rate_limit_safelist``. A limit of 0 disables its rule.
Chatwoot safelists 127.0.0.1 and ::1; Frontdesk does not by default, since behind a reverse proxy on
the same host every client would arrive from loopback. The client IP is the one the server sees:
``frontdesk serve`` runs uvicorn with ``proxy_headers``, which believes ``X-Forwarded-For`` from the
proxies of ``FORWARDED_ALLOW_IPS`` (uvicorn's setting, 127.0.0.1 by default).
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import parse_qsl

from frontdesk.config import Settings
from frontdesk.kit.tokens import utf8
from frontdesk.ratelimit.counters import Counters, MemoryCounters, RedisCounters

_PUBLIC_CONVERSATIONS = re.compile(r"^/public/api/v1/inboxes/[^/]+/contacts/[^/]+/conversations/?$")
_PUBLIC_CONTACT = re.compile(r"^/public/api/v1/inboxes/[^/]+/contacts/[^/]+/?$")
_WIDGET_CONVERSATIONS = re.compile(r"^/api/v1/widget/conversations/?$")
NEVER_LIMITED = frozenset({"/health"})


@dataclass(frozen=True)
class Rule:
    name: str
    limit: int
    period: float


@dataclass(frozen=True)
class Refusal:
    rule: str
    retry_after: int


def _ip_set(raw: str) -> frozenset[str]:
    addresses: set[str] = set()
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        addresses.add(normalized_ip(part))
    return frozenset(addresses)


def normalized_ip(address: str) -> str:
    try:
        return str(ip_address(address.strip()))
    except ValueError:
        return address.strip()


class RateLimiter:
    def __init__(self, settings: Settings, counters: Counters) -> None:
        self.counters = counters
        self.safelist = _ip_set(settings.rate_limit_safelist)
        period = settings.rate_limit_period_seconds
        self.per_ip = Rule("req/ip", settings.rate_limit_per_ip, period)
        self.per_token = Rule("req/token", settings.rate_limit_per_token, period)
        self.public_conversations = Rule(
            "public/conversations",
            settings.rate_limit_public_conversations,
            settings.rate_limit_public_conversations_period_seconds,
        )
        self.public_contacts = Rule(
            "public/contacts",
            settings.rate_limit_public_contact_updates,
            settings.rate_limit_public_contact_updates_period_seconds,
        )
        self.widget_conversations = Rule(
            "widget/conversations",
            settings.rate_limit_widget_conversations,
            settings.rate_limit_widget_conversations_period_seconds,
        )
        self.widget_page = Rule(
            "widget/page", settings.rate_limit_widget_page, settings.rate_limit_widget_page_period_seconds
        )

    def rules_for(self, method: str, path: str, ip: str, token: str | None, query: str = "") -> list[tuple[Rule, str]]:
        if path in NEVER_LIMITED or ip in self.safelist:
            return []
        rules: list[tuple[Rule, str]] = [(self.per_ip, ip)]
        if token:
            rules.append((self.per_token, hashlib.sha256(utf8(token)).hexdigest()))
        if path.startswith("/public/"):
            if method == "POST" and _PUBLIC_CONVERSATIONS.match(path):
                rules.append((self.public_conversations, ip))
            elif method in ("PATCH", "PUT") and _PUBLIC_CONTACT.match(path):
                rules.append((self.public_contacts, ip))
        elif method == "POST" and _WIDGET_CONVERSATIONS.match(path):
            rules.append((self.widget_conversations, ip))
        elif method in ("GET", "HEAD") and path in ("/widget", "/widget/") and not _has_param(query, "cw_conversation"):
            rules.append((self.widget_page, ip))
        return [(rule, who) for rule, who in rules if rule.limit > 0 and rule.period > 0]

    async def check(self, method: str, path: str, ip: str, token: str | None, query: str = "") -> Refusal | None:
        """Count the request against its rules; the first rule it exceeds, if any."""
        for rule, who in self.rules_for(method, path, ip, token, query):
            hit = await self.counters.hit(f"{rule.name}:{who}", rule.period)
            if hit is not None and hit.count > rule.limit:
                return Refusal(rule.name, max(1, math.ceil(hit.reset_after)))
        return None

    async def close(self) -> None:
        await self.counters.close()


def _has_param(query: str, name: str) -> bool:
    """Whether the query string carries a non-blank ``name`` (Rails' ``params[name].present?``)."""
    return any(value.strip() for key, value in parse_qsl(query, keep_blank_values=True) if key == name)


def build_rate_limiter(settings: Settings) -> RateLimiter:
    counters: Counters = (
        RedisCounters(settings.redis_url, settings.rate_limit_redis_prefix) if settings.redis_url else MemoryCounters()
    )
    return RateLimiter(settings, counters)
