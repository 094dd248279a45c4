"""The storage a process uses, chosen by ``FRONTDESK_STORAGE`` (``disk``, the default, or ``s3``)."""

from __future__ import annotations

from frontdesk.config import Settings
from frontdesk.storage.base import Storage
from frontdesk.storage.disk import DiskStorage


def storage_from_settings(settings: Settings) -> Storage:
    if settings.storage == "s3":
        from frontdesk.storage.s3 import S3Storage

        return S3Storage.from_settings(settings)
    return DiskStorage(settings.storage_dir)
