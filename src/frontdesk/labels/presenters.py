"""Label payloads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from frontdesk.labels.schemas import LabelList, LabelPayload


def present_label(row: Any) -> LabelPayload:
    return LabelPayload(
        id=row.id,
        title=row.title,
        description=row.description,
        color=row.color,
        show_on_sidebar=row.show_on_sidebar,
    )


def present_labels(rows: Iterable[Any]) -> LabelList:
    return LabelList(payload=[present_label(row) for row in rows])
