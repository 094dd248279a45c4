"""Shared pieces of wire schemas."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

# Chatwoot validates every string column at 255 characters and text columns at 20 000.
ShortStr = Annotated[str, msgspec.Meta(max_length=255)]
LongStr = Annotated[str, msgspec.Meta(max_length=20_000)]
JsonObject = dict[str, Any]
# A row id in a body: positive and within PostgreSQL's integer range.
Id = Annotated[int, msgspec.Meta(ge=1, le=2_147_483_647)]


class Schema(msgspec.Struct, kw_only=True):
    """Base for request bodies: unknown fields are ignored, as Rails' strong parameters drop them."""


class EmptyResponse(msgspec.Struct):
    """A 200 with ``{}`` where Chatwoot answers ``head :ok``."""
