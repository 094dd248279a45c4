"""Random tokens, and the keyed digest and encryption that keep access tokens safe at rest."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def utf8(text: str) -> bytes:
    """UTF-8 bytes of text that may come from a client: a JSON body can carry lone surrogates
    (``"\\ud800"``), which plain ``encode()`` refuses; they are kept, so distinct texts stay distinct."""
    return text.encode("utf-8", "surrogatepass")


def constant_time_equal(a: str | bytes, b: str | bytes) -> bool:
    """``hmac.compare_digest`` for any text: it raises TypeError on non-ASCII ``str``, so both sides
    are compared as UTF-8 bytes."""
    return hmac.compare_digest(utf8(a) if isinstance(a, str) else a, utf8(b) if isinstance(b, str) else b)


def secure_token(length: int = 24) -> str:
    """A base58 token like Rails' ``has_secure_token`` (24 characters by default)."""
    return "".join(secrets.choice(_BASE58) for _ in range(length))


class TokenVault:
    """Digests tokens for look-up and encrypts them for display, both keyed by the server secret."""

    def __init__(self, secret_key: str) -> None:
        root = secret_key.encode()
        self._digest_key = hmac.new(root, b"frontdesk access-token digest", hashlib.sha256).digest()
        self._aead = AESGCM(hmac.new(root, b"frontdesk access-token encryption", hashlib.sha256).digest())

    def digest(self, token: str) -> str:
        return hmac.new(self._digest_key, utf8(token), hashlib.sha256).hexdigest()

    def encrypt(self, token: str) -> str:
        nonce = os.urandom(12)
        return base64.urlsafe_b64encode(nonce + self._aead.encrypt(nonce, token.encode(), None)).decode()

    def decrypt(self, ciphertext: str) -> str:
        raw = base64.urlsafe_b64decode(ciphertext.encode())
        return self._aead.decrypt(raw[:12], raw[12:], None).decode()
