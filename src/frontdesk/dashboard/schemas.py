"""Wire shapes of sign-in."""

from __future__ import annotations

from typing import Annotated

import msgspec

from frontdesk.kit.schema import Schema, ShortStr
from frontdesk.profile.schemas import ProfilePayload


class SignIn(Schema):
    email: ShortStr
    password: Annotated[str, msgspec.Meta(max_length=128)]


class SessionPayload(msgspec.Struct):
    data: ProfilePayload
    # Send it back in ``X-CSRF-Token`` on every cookie-authenticated write.
    csrf_token: str


class SignedOut(msgspec.Struct):
    success: bool
