"""Request signatures: Chatwoot's ``X-Chatwoot-*`` headers and the Standard Webhooks headers.

During a secret's grace period (after a reset) each signature header carries two values, the one
made with the current secret first:

* ``X-Chatwoot-Signature: sha256=<hex new>, sha256=<hex old>`` (an HTTP list: split on commas);
* ``webhook-signature: v1,<b64 new> v1,<b64 old>`` (space-separated, as the Standard Webhooks spec).

A receiver accepts the request when any value matches the one it computes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence


def chatwoot_signature(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256(secret, "<ts>.<body>")>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256(secret, "<id>.<ts>.<body>")>``.

    The secret's UTF-8 bytes are the key (Chatwoot-style secrets are not ``whsec_`` base64 keys).
    """
    mac = hmac.new(secret.encode(), f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def signed_headers(
    body: bytes, *, delivery_id: str, event_id: str, timestamp: int, secrets: Sequence[str]
) -> dict[str, str]:
    """Every header of one attempt; ``secrets`` is the current secret, then the previous one in its grace period."""
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": "Frontdesk-Webhooks",
        "X-Chatwoot-Delivery": delivery_id,
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
    }
    usable = [secret for secret in secrets if secret]
    if usable:
        headers["X-Chatwoot-Timestamp"] = str(timestamp)
        headers["X-Chatwoot-Signature"] = ", ".join(chatwoot_signature(s, timestamp, body) for s in usable)
        headers["webhook-signature"] = " ".join(standard_signature(s, event_id, timestamp, body) for s in usable)
    return headers
