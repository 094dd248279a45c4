"""Wire shapes of labels (Chatwoot's ``api/v1/accounts/labels/*`` views)."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from frontdesk.kit.schema import Schema


class LabelFields(Schema):
    """The body of create and update; absent fields are left as they are (or defaulted on create)."""

    title: str | None | UnsetType = UNSET
    description: str | None | UnsetType = UNSET
    color: str | None | UnsetType = UNSET
    show_on_sidebar: bool | None | UnsetType = UNSET

    def given(self) -> dict[str, Any]:
        """The fields the client sent, by name."""
        return {key: value for key in self.__struct_fields__ if (value := getattr(self, key)) is not UNSET}


class LabelPayload(msgspec.Struct):
    id: int
    title: str
    description: str | None
    color: str
    show_on_sidebar: bool


class LabelList(msgspec.Struct):
    payload: list[LabelPayload]
