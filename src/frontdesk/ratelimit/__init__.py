"""Abuse limits: per-IP, per-token and Client API rate limits (see ``limiter``)."""
