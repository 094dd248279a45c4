"""The visitor's widget token: a JWT (HS256) as Chatwoot's ``Widget::TokenService`` issues it.

Payload ``{source_id, inbox_id, iat, exp}``; ``exp`` is ``iat`` plus ``widget_token_expiry_days``. The
signing key is derived from the server secret (never the secret itself), so a widget token cannot be
turned into anything else the secret protects. A token that does not decode, is signed otherwise, names
another algorithm or has expired decodes to ``None``: the caller treats it as no token at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

import msgspec

from frontdesk.kit.tokens import constant_time_equal, utf8

_HEADER = {"alg": "HS256", "typ": "JWT"}
# Far larger than any token minted here (about 200 characters): anything longer is not one of ours.
MAX_TOKEN_LENGTH = 2048
_KEY_LABEL = b"frontdesk widget token"


@dataclass(frozen=True)
class WidgetClaims:
    source_id: str
    inbox_id: int
    iat: int
    exp: int


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes | None:
    if not text or not text.isascii():
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        return None


class WidgetTokens:
    def __init__(self, secret_key: str, expiry_days: int) -> None:
        self._key = hmac.new(utf8(secret_key), _KEY_LABEL, hashlib.sha256).digest()
        self.expiry_seconds = max(1, expiry_days) * 86_400

    def _sign(self, signing_input: str) -> str:
        return _b64encode(hmac.new(self._key, signing_input.encode("ascii"), hashlib.sha256).digest())

    def mint(self, source_id: str, inbox_id: int, *, now: float | None = None) -> str:
        issued = int(time.time() if now is None else now)
        payload = {"source_id": source_id, "inbox_id": inbox_id, "iat": issued, "exp": issued + self.expiry_seconds}
        signing_input = f"{_b64encode(msgspec.json.encode(_HEADER))}.{_b64encode(msgspec.json.encode(payload))}"
        return f"{signing_input}.{self._sign(signing_input)}"

    def decode(self, token: str | None, *, now: float | None = None) -> WidgetClaims | None:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        parts = token.strip().split(".")
        if len(parts) != 3 or not all(part.isascii() for part in parts):
            return None
        header_part, payload_part, signature = parts
        if not constant_time_equal(self._sign(f"{header_part}.{payload_part}"), signature):
            return None
        header_raw, payload_raw = _b64decode(header_part), _b64decode(payload_part)
        if header_raw is None or payload_raw is None:
            return None
        try:
            header = msgspec.json.decode(header_raw)
            payload = msgspec.json.decode(payload_raw)
        except msgspec.DecodeError:
            return None
        if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(payload, dict):
            return None
        source_id, inbox_id = payload.get("source_id"), payload.get("inbox_id")
        issued, expires = payload.get("iat", 0), payload.get("exp")
        if not isinstance(source_id, str) or not source_id:
            return None
        if isinstance(inbox_id, bool) or not isinstance(inbox_id, int):
            return None
        if isinstance(expires, bool) or not isinstance(expires, int) or isinstance(issued, bool):
            return None
        if expires <= (time.time() if now is None else now):
            return None
        return WidgetClaims(source_id, inbox_id, issued if isinstance(issued, int) else 0, expires)
