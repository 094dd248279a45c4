"""UTC time and the two wire formats Chatwoot uses: Unix seconds and ISO-8601."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def unix(value: datetime | None) -> int:
    """Unix seconds, with Chatwoot's ``nil.to_i`` → 0."""
    return int(value.timestamp()) if value is not None else 0


def unix_or_none(value: datetime | None) -> int | None:
    return int(value.timestamp()) if value is not None else None


def unix_float(value: datetime | None) -> float:
    """Chatwoot's conversation ``updated_at`` is a float of seconds."""
    return round(value.timestamp(), 3) if value is not None else 0.0


def iso(value: datetime | None) -> str | None:
    """ISO-8601 with milliseconds and a ``Z``, as Rails' ``as_json``."""
    if value is None:
        return None
    # "…T12:34:56.789+00:00" → "…T12:34:56.789Z" (isoformat is several times cheaper than strftime).
    return value.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def from_unix(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
