"""Log configuration for ``frontdesk serve`` and ``frontdesk worker``.

``FRONTDESK_LOG_FORMAT=text`` (the default) keeps uvicorn's own configuration. ``json`` writes one JSON
object per line to stderr for every logger (Frontdesk's, uvicorn's, the libraries'): ``time``,
``level``, ``logger``, ``message``, ``request_id`` (the request being served, or null) and, when there
is one, ``exception``.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from frontdesk.observability.context import current_request_id


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request being served (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id.get(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def json_log_config(level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` (and uvicorn ``log_config``) sending every logger through JSON."""
    level_name = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "frontdesk.observability.logging.RequestIdFilter"}},
        "formatters": {"json": {"()": "frontdesk.observability.logging.JsonFormatter"}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "json",
                "filters": ["request_id"],
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["json"], "level": level_name, "propagate": False},
            "uvicorn.error": {"handlers": ["json"], "level": level_name, "propagate": False},
            "uvicorn.access": {"handlers": ["json"], "level": level_name, "propagate": False},
        },
        "root": {"handlers": ["json"], "level": level_name},
    }


def log_config(log_format: str, level: str) -> dict[str, Any] | None:
    """The configuration for ``log_format``, or None for uvicorn's default (today's text)."""
    if log_format.strip().lower() == "json":
        return json_log_config(level)
    return None
