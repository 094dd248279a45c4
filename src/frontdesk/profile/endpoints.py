"""``/api/v1/profile``: the token owner's own profile, which shows the access token."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, delete, get, post, put
from litestar.di import NamedDependency

from frontdesk.attachments.requests import FilesForm, files_form, remove_unclaimed
from frontdesk.auth.dependencies import Uow, User
from frontdesk.avatars.service import avatar_limits, is_avatar_field, uploaded_avatar
from frontdesk.kit.body import body
from frontdesk.profile import service
from frontdesk.profile.presenters import present_profile
from frontdesk.profile.schemas import AvailabilityUpdate, ProfilePayload, ProfileUpdate


async def _profile(request: Request[Any, Any, Any], uow: Uow, user_id: int) -> ProfilePayload:
    return present_profile(*await service.load_profile(uow, request.app.state.vault, user_id))


@get("/", summary="Fetch user profile", operation_id="fetchProfile")
async def show_profile(request: Request[Any, Any, Any], current_user: User, uow: Uow) -> ProfilePayload:
    return await _profile(request, uow, current_user.id)


@put(
    "/",
    summary="Update user profile",
    operation_id="updateProfile",
    dependencies=files_form(
        ProfileUpdate, "profile", avatar_limits, file_field="avatar", is_file_field=is_avatar_field
    ),
    request_max_body_size=None,
    after_response=remove_unclaimed,
)
async def update_profile(
    request: Request[Any, Any, Any],
    current_user: User,
    uow: Uow,
    payload: NamedDependency[ProfileUpdate],
    form: NamedDependency[FilesForm],
) -> ProfilePayload:
    """JSON, or multipart with an ``avatar`` file."""
    changes = {key: getattr(payload, key) for key in payload.__struct_fields__ if getattr(payload, key) is not None}
    await service.update_profile(uow, current_user.id, changes, avatar=uploaded_avatar(form))
    return await _profile(request, uow, current_user.id)


@delete("/avatar", status_code=200, summary="Remove the user's avatar", operation_id="deleteProfileAvatar")
async def delete_avatar(request: Request[Any, Any, Any], current_user: User, uow: Uow) -> ProfilePayload:
    await service.remove_avatar(uow, current_user.id)
    return await _profile(request, uow, current_user.id)


@post("/reset_access_token", status_code=200, summary="Reset the access token")
async def reset_access_token(request: Request[Any, Any, Any], current_user: User, uow: Uow) -> ProfilePayload:
    await service.reset_access_token(uow, request.app.state.vault, current_user.id)
    return await _profile(request, uow, current_user.id)


@post(
    "/availability",
    status_code=200,
    summary="Set availability in an account",
    dependencies={"payload": body(AvailabilityUpdate, wrap="profile")},
)
async def set_availability(
    request: Request[Any, Any, Any], current_user: User, uow: Uow, payload: NamedDependency[AvailabilityUpdate]
) -> ProfilePayload:
    await service.set_availability(uow, current_user.id, payload.account_id, payload.availability)
    return await _profile(request, uow, current_user.id)


router = Router(
    path="/api/v1/profile",
    route_handlers=[show_profile, update_profile, delete_avatar, reset_access_token, set_availability],
    tags=["Profile"],
)
