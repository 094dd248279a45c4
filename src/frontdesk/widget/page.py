"""``GET /widget``: the HTML page the SDK's iframe loads (Chatwoot's ``widgets/show.html.erb``), and its
headers. ``allowed_domains`` is enforced here and only here, as the ``frame-ancestors`` of the page's CSP
(Chatwoot's ``allow_iframe_requests``); the page is never sent with ``X-Frame-Options``."""

from __future__ import annotations

import html
import secrets
from typing import Any

import msgspec

from frontdesk.widget.static_files import BASE, WidgetEntry

_CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:{files}; media-src 'self' blob:{files}; connect-src 'self' ws: wss:{files}; "
    "font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {ancestors}"
)


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def _script_json(value: Any) -> str:
    """JSON that is safe inside an inline ``<script>``: no ``</script>``, no ``<!--``, no line separators
    that end a JavaScript string."""
    text = msgspec.json.encode(value).decode()
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def frame_ancestors(allowed_domains: str | None, *, open_to_all: bool) -> str:
    """``frame-ancestors`` from the comma-separated ``allowed_domains``; ``*`` when blank (or for a
    mobile web view that the inbox allows)."""
    domains = [part.strip() for part in (allowed_domains or "").split(",") if part.strip()]
    # A CSP source cannot contain spaces or semicolons: such a value would inject directives.
    domains = [domain for domain in domains if not any(char in domain for char in " ;,\t\r\n'\"")]
    if open_to_all or not domains:
        return "*"
    return " ".join(domains)


def content_security_policy(nonce: str, ancestors: str, files_origin: str) -> str:
    return _CSP.format(nonce=nonce, files=files_origin, ancestors=ancestors)


def render_page(
    *,
    lang: str,
    title: str,
    entry: WidgetEntry,
    nonce: str,
    web_channel: dict[str, Any],
    pubsub_token: str,
    auth_token: str,
    global_config: dict[str, Any],
) -> bytes:
    styles = "".join(f'<link rel="stylesheet" href="{html.escape(BASE + css)}">' for css in entry.styles)
    script = (
        f"window.chatwootWebChannel = {_script_json(web_channel)};\n"
        f"window.chatwootPubsubToken = {_script_json(pubsub_token)};\n"
        f"window.authToken = {_script_json(auth_token)};\n"
        f"window.globalConfig = {_script_json(global_config)};\n"
    )
    page = (
        "<!doctype html>"
        f'<html lang="{html.escape(lang)}">'
        "<head>"
        '<meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1, maximum-scale=1, user-scalable=0">'
        f"{styles}"
        f'<script nonce="{nonce}">\n{script}</script>'
        f'<script type="module" src="{html.escape(BASE + entry.script)}"></script>'
        "</head>"
        '<body><div id="app" class="h-full"></div></body>'
        "</html>"
    )
    return page.encode()
