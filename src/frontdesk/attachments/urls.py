"""Signed, expiring file URLs and signed blob ids.

``data_url`` / ``thumb_url`` / ``avatar_url`` point at ``/files/<token>/<name>`` (disk) or are presigned
S3 URLs. A token names one blob, one variant and an expiry, signed with a key derived from the
installation's secret over the blob's *account* as well: a URL is good for that blob only, and a token
cut from one account's URL does not open another account's file. ``signed_id`` is what Chatwoot's
direct-upload flow hands back (``attachments[]`` may carry it instead of a file); it does not expire.
Avatar URLs (``/avatars/<blob id>.<signature>/<name>``) do not expire either: they sit in payloads that
clients and webhook receivers keep. A blob's id is in it, so a new avatar is a new URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from frontdesk.attachments.file_types import serves_inline
from frontdesk.config import Settings
from frontdesk.kit.tokens import constant_time_equal
from frontdesk.storage.base import Storage

ORIGINAL = "o"
THUMB = "t"
UPLOAD = "u"
_VARIANTS = frozenset({ORIGINAL, THUMB, UPLOAD})


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class FileToken:
    blob_id: int
    variant: str
    expires: int


class FileUrls:
    """Builds and checks the URLs of stored files for one installation."""

    def __init__(self, settings: Settings, storage: Storage) -> None:
        self.base_url = settings.base_url
        self.ttl = max(1, settings.file_url_ttl_seconds)
        self.storage = storage
        self._key = hmac.new(settings.secret_key.encode(), b"frontdesk file urls", hashlib.sha256).digest()

    def _signature(self, purpose: str, account_id: int, blob_id: int, *parts: Any) -> str:
        message = ".".join(str(part) for part in (purpose, account_id, blob_id, *parts)).encode()
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest()[:20])

    # Tokens for /files.

    def token(self, account_id: int, blob_id: int, variant: str, expires: int) -> str:
        return f"{blob_id}.{variant}.{expires}.{self._signature('file', account_id, blob_id, variant, expires)}"

    @staticmethod
    def parse_token(token: str) -> tuple[FileToken, str] | None:
        parts = token.split(".")
        if len(parts) != 4 or parts[1] not in _VARIANTS or not parts[0].isdigit() or not parts[2].isdigit():
            return None
        blob_id, expires = int(parts[0]), int(parts[2])
        if not 0 < blob_id <= 2_147_483_647:
            return None
        return FileToken(blob_id, parts[1], expires), parts[3]

    def verify(self, account_id: int, parsed: FileToken, signature: str) -> bool:
        expected = self._signature("file", account_id, parsed.blob_id, parsed.variant, parsed.expires)
        return constant_time_equal(expected, signature)

    def _expiry(self) -> int:
        # Rounded up to the minute: payloads built within one minute carry the same URL.
        return (int(time.time()) + self.ttl + 59) // 60 * 60

    def route_url(self, blob: Any, variant: str, *, expires: int | None = None) -> str:
        token = self.token(blob.account_id, blob.id, variant, expires or self._expiry())
        return f"{self.base_url}/files/{token}/{quote(blob.filename, safe='')}"

    def url(self, blob: Any, variant: str = ORIGINAL) -> str:
        """The URL a client fetches ``blob`` (or its thumbnail) from."""
        key, content_type = blob.key, blob.content_type
        meta = blob.meta or {}
        if variant == THUMB and meta.get("thumb_key"):
            key, content_type = meta["thumb_key"], meta.get("thumb_content_type") or "image/jpeg"
        if blob.service == self.storage.name:
            direct = self.storage.signed_url(
                key,
                filename=blob.filename,
                content_type=content_type,
                disposition="inline" if serves_inline(content_type) else "attachment",
                expires_in=self.ttl,
            )
            if direct is not None:
                return direct
        return self.route_url(blob, variant)

    def upload_url(self, blob: Any, expires_in: int = 3600) -> str:
        """Where a direct upload PUTs its bytes."""
        token = self.token(blob.account_id, blob.id, UPLOAD, int(time.time()) + expires_in)
        return f"{self.base_url}/files/uploads/{token}"

    # Avatars: signed, never expiring.

    def avatar_url(self, blob: Any) -> str:
        """Where an avatar blob is served; good for this blob of this account only."""
        token = f"{blob.id}.{self._signature('avatar', blob.account_id, blob.id)}"
        return f"{self.base_url}/avatars/{token}/{quote(blob.filename, safe='')}"

    @staticmethod
    def parse_avatar_token(token: str) -> tuple[int, str] | None:
        blob_id, separator, signature = token.partition(".")
        if not separator or not blob_id.isdigit() or not 0 < int(blob_id) <= 2_147_483_647:
            return None
        return int(blob_id), signature

    def verify_avatar(self, account_id: int, blob_id: int, signature: str) -> bool:
        return constant_time_equal(self._signature("avatar", account_id, blob_id), signature)

    # Signed blob ids (direct uploads).

    def signed_id(self, account_id: int, blob_id: int) -> str:
        return f"{_b64(str(blob_id).encode())}--{self._signature('blob', account_id, blob_id)}"

    @staticmethod
    def blob_id_of(signed_id: str) -> int | None:
        encoded, separator, _ = signed_id.partition("--")
        if not separator:
            return None
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        return int(raw) if raw.isdigit() and 0 < int(raw) <= 2_147_483_647 else None

    def verify_signed_id(self, account_id: int, signed_id: str) -> int | None:
        blob_id = self.blob_id_of(signed_id)
        if blob_id is None:
            return None
        _, _, signature = signed_id.partition("--")
        return blob_id if constant_time_equal(self._signature("blob", account_id, blob_id), signature) else None


def equip(database: Any, settings: Settings) -> None:
    """Give a process's database its storage and file URLs (``serve``, ``worker``, commands)."""
    from frontdesk.storage import storage_from_settings

    database.storage = storage_from_settings(settings)
    database.files = FileUrls(settings, database.storage)
