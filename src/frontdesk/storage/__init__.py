"""Where attachment and avatar bytes live: one small interface (:class:`Storage`), on disk or in S3."""

from frontdesk.storage.base import ObjectInfo, Storage, StoredObject, TooLarge, new_key
from frontdesk.storage.factory import storage_from_settings

__all__ = ["ObjectInfo", "Storage", "StoredObject", "TooLarge", "new_key", "storage_from_settings"]
