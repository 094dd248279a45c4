"""Every storage test runs over both backends: a temporary directory and a bucket on a moto server."""

from tests.fixtures.s3 import backend, s3_server, s3_settings, storage, storage_backend

__all__ = ["backend", "s3_server", "s3_settings", "storage", "storage_backend"]
