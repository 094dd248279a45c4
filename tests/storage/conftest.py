"""Every storage test runs over both backends: a temporary directory and a bucket on a moto server.

The fixtures (``backend``, ``storage``, ``s3_server``, ``s3_settings``) come from ``tests.fixtures.s3``,
registered for the whole suite in ``tests/conftest.py``."""
