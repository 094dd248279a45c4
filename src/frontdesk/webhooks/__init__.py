"""Webhooks: account webhooks, the delivery outbox written with each change, the worker that sends it, signing."""
