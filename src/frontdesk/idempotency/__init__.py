"""Idempotent writes: the ``Idempotency-Key`` header (see ``middleware``)."""
