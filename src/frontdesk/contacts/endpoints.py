"""``/api/v1/accounts/{account_id}/contacts``: contacts, their contact inboxes and labels.

Contacts are visible to every user of the account, agents included, as in Chatwoot.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Router, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter

from frontdesk.attachments.requests import FilesForm, files_form, remove_unclaimed
from frontdesk.auth.dependencies import Account, Uow
from frontdesk.avatars.service import avatar_limits, is_avatar_field, uploaded_avatar
from frontdesk.contacts import service
from frontdesk.contacts.presenters import present_contact, present_inbox_record
from frontdesk.contacts.schemas import (
    ContactableInbox,
    ContactableInboxes,
    ContactCreate,
    ContactCreateResponse,
    ContactFilter,
    ContactInboxCreate,
    ContactInboxPayload,
    ContactList,
    ContactListMeta,
    ContactPayload,
    ContactResponse,
    ContactSearchMeta,
    ContactSearchResult,
    ContactUpdate,
    CreatedContact,
    CreatedContactInbox,
    CustomAttributeKeys,
    LabelList,
    LabelsUpdate,
)
from frontdesk.errors import Unprocessable
from frontdesk.inboxes.presenters import present_inbox_slim
from frontdesk.kit.body import body
from frontdesk.kit.schema import EmptyResponse

LabelsQuery = Annotated[list[str] | None, QueryParameter(name="labels[]", required=False)]
PlainLabelsQuery = Annotated[list[str] | None, QueryParameter(name="labels", required=False)]


def _avatar_form(struct: type[Any]) -> dict[str, Any]:
    """JSON and url-encoded bodies as before; multipart may carry an ``avatar`` file, stored before the
    write transaction opens (attachments.requests)."""
    return files_form(struct, "contact", avatar_limits, file_field="avatar", is_file_field=is_avatar_field)


def _include_contact_inboxes(raw: str | None) -> bool:
    """Chatwoot: absent means true; present means ``== "true"``."""
    return raw is None or raw == "" or raw == "true"


def _current_page(raw: Any) -> Any:
    # Chatwoot echoes ``params[:page] || 1``: the string it was given, or 1.
    return raw if raw not in (None, "") else 1


async def _online(request: Request[Any, Any, Any], account_id: int) -> frozenset[int]:
    """Contacts present on the realtime feed right now (Chatwoot's OnlineStatusTracker)."""
    realtime = getattr(request.app.state, "realtime", None)
    presence = getattr(realtime, "presence", None)
    if presence is None:
        return frozenset()
    return frozenset(await presence.present(account_id, "Contact"))


def _payloads(page: service.ContactPage, online: frozenset[int]) -> list[ContactPayload]:
    inboxes = page.contact_inboxes
    return [
        present_contact(row, inboxes[row.id] if inboxes is not None else None, online=row.id in online)
        for row in page.contacts
    ]


@get("/", summary="List contacts", operation_id="contactList")
async def list_contacts(
    request: Request[Any, Any, Any],
    account: Account,
    uow: Uow,
    page: FromQuery[str | None] = None,
    sort: FromQuery[str | None] = None,
    labels: LabelsQuery = None,
    plain_labels: PlainLabelsQuery = None,
    include_contact_inboxes: FromQuery[str | None] = None,
) -> ContactList:
    result = await service.list_contacts(
        uow,
        account.account_id,
        page=service.parse_page(page),
        sort=sort,
        labels=[*(labels or []), *(plain_labels or [])],
        include_contact_inboxes=_include_contact_inboxes(include_contact_inboxes),
    )
    return ContactList(
        meta=ContactListMeta(count=result.count, current_page=_current_page(page)),
        payload=_payloads(result, await _online(request, account.account_id)),
    )


@post(
    "/",
    status_code=200,
    summary="Create contact",
    operation_id="contactCreate",
    dependencies=_avatar_form(ContactCreate),
    request_max_body_size=None,
    after_response=remove_unclaimed,
)
async def create_contact(
    account: Account, uow: Uow, payload: NamedDependency[ContactCreate], form: NamedDependency[FilesForm]
) -> ContactCreateResponse:
    fields = {key: getattr(payload, key) for key in payload.__struct_fields__}
    created = await service.create_contact(
        uow, account.account_id, fields, performer_id=account.user.id, avatar=uploaded_avatar(form)
    )
    return ContactCreateResponse(
        payload=CreatedContact(
            contact=present_contact(created.contact, created.contact_inboxes),
            contact_inbox=CreatedContactInbox(
                inbox=present_inbox_record(created.inbox) if created.inbox is not None else None,
                source_id=created.source_id,
            ),
        )
    )


@get("/active", summary="List online contacts", operation_id="contactActiveList")
async def list_active_contacts(
    request: Request[Any, Any, Any],
    account: Account,
    uow: Uow,
    page: FromQuery[str | None] = None,
    sort: FromQuery[str | None] = None,
    include_contact_inboxes: FromQuery[str | None] = None,
) -> ContactList:
    online = await _online(request, account.account_id)
    result = await service.list_active_contacts(
        uow,
        account.account_id,
        online,
        page=service.parse_page(page),
        sort=sort,
        include_contact_inboxes=_include_contact_inboxes(include_contact_inboxes),
    )
    return ContactList(
        meta=ContactListMeta(count=result.count, current_page=_current_page(page)), payload=_payloads(result, online)
    )


@get("/search", summary="Search contacts", operation_id="contactSearch")
async def search_contacts(
    request: Request[Any, Any, Any],
    account: Account,
    uow: Uow,
    q: FromQuery[str | None] = None,
    page: FromQuery[str | None] = None,
    sort: FromQuery[str | None] = None,
    include_contact_inboxes: FromQuery[str | None] = None,
) -> ContactSearchResult:
    if q is None or not q.strip():
        raise Unprocessable("Specify search string with parameter q")
    result = await service.search_contacts(
        uow,
        account.account_id,
        q=q,
        page=service.parse_page(page),
        sort=sort,
        include_contact_inboxes=_include_contact_inboxes(include_contact_inboxes),
    )
    return ContactSearchResult(
        meta=ContactSearchMeta(count=result.count, current_page=_current_page(page), has_more=result.has_more),
        payload=_payloads(result, await _online(request, account.account_id)),
    )


@post(
    "/filter",
    status_code=200,
    summary="Filter contacts",
    operation_id="contactFilter",
    dependencies={"payload": body(ContactFilter)},
)
async def filter_contacts(
    request: Request[Any, Any, Any],
    account: Account,
    uow: Uow,
    payload: NamedDependency[ContactFilter],
    page: FromQuery[str | None] = None,
    sort: FromQuery[str | None] = None,
    include_contact_inboxes: FromQuery[str | None] = None,
) -> ContactList:
    condition = service.build_filter(account.account_id, payload.payload)
    raw_page = payload.page if payload.page is not None else page
    result = await service.filter_contacts(
        uow,
        account.account_id,
        condition,
        page=service.parse_page(str(raw_page) if raw_page is not None else None),
        sort=sort,
        include_contact_inboxes=_include_contact_inboxes(include_contact_inboxes),
    )
    return ContactList(
        meta=ContactListMeta(count=result.count, current_page=_current_page(raw_page)),
        payload=_payloads(result, await _online(request, account.account_id)),
    )


async def _contact_payload(
    request: Request[Any, Any, Any], uow: Any, row: Any, include_contact_inboxes: bool
) -> ContactPayload:
    inboxes = (await service.contact_inboxes_of(uow, [row.id]))[row.id] if include_contact_inboxes else None
    return present_contact(row, inboxes, online=row.id in await _online(request, row.account_id))


@get("/{contact_id:int}", summary="Show contact", operation_id="contactDetails")
async def show_contact(
    request: Request[Any, Any, Any],
    account: Account,
    uow: Uow,
    contact_id: FromPath[int],
    include_contact_inboxes: FromQuery[str | None] = None,
) -> ContactResponse:
    row = await service.get_contact(uow, account.account_id, contact_id)
    return ContactResponse(
        payload=await _contact_payload(request, uow, row, _include_contact_inboxes(include_contact_inboxes))
    )


async def _update(
    request: Request[Any, Any, Any],
    account: Account,
    uow: Uow,
    contact_id: int,
    payload: ContactUpdate,
    form: FilesForm,
    include_contact_inboxes: str | None,
) -> ContactResponse:
    fields = {
        key: getattr(payload, key) for key in payload.__struct_fields__ if getattr(payload, key) is not msgspec.UNSET
    }
    row = await service.update_contact(
        uow, account.account_id, contact_id, fields, performer_id=account.user.id, avatar=uploaded_avatar(form)
    )
    return ContactResponse(
        payload=await _contact_payload(request, uow, row, _include_contact_inboxes(include_contact_inboxes))
    )


@put(
    "/{contact_id:int}",
    summary="Update contact",
    operation_id="contactUpdate",
    dependencies=_avatar_form(ContactUpdate),
    request_max_body_size=None,
    after_response=remove_unclaimed,
)
async def update_contact(
    request: Request[Any, Any, Any],
    account: Account,
    uow: Uow,
    contact_id: FromPath[int],
    payload: NamedDependency[ContactUpdate],
    form: NamedDependency[FilesForm],
    include_contact_inboxes: FromQuery[str | None] = None,
) -> ContactResponse:
    return await _update(request, account, uow, contact_id, payload, form, include_contact_inboxes)


@patch(
    "/{contact_id:int}",
    summary="Update contact",
    operation_id="contactPatch",
    dependencies=_avatar_form(ContactUpdate),
    request_max_body_size=None,
    after_response=remove_unclaimed,
)
async def patch_contact(
    request: Request[Any, Any, Any],
    account: Account,
    uow: Uow,
    contact_id: FromPath[int],
    payload: NamedDependency[ContactUpdate],
    form: NamedDependency[FilesForm],
    include_contact_inboxes: FromQuery[str | None] = None,
) -> ContactResponse:
    return await _update(request, account, uow, contact_id, payload, form, include_contact_inboxes)


@delete("/{contact_id:int}", status_code=200, summary="Delete contact", operation_id="contactDelete")
async def delete_contact(
    request: Request[Any, Any, Any], account: Account, uow: Uow, contact_id: FromPath[int]
) -> EmptyResponse:
    await service.delete_contact(uow, account.account_id, contact_id, performer_id=account.user.id)
    return EmptyResponse()


@post(
    "/{contact_id:int}/destroy_custom_attributes",
    status_code=200,
    summary="Remove custom attributes of a contact",
    operation_id="contactDestroyCustomAttributes",
    dependencies={"payload": body(CustomAttributeKeys, wrap="contact")},
)
async def destroy_custom_attributes(
    request: Request[Any, Any, Any],
    account: Account,
    uow: Uow,
    contact_id: FromPath[int],
    payload: NamedDependency[CustomAttributeKeys],
) -> ContactResponse:
    row = await service.remove_custom_attributes(
        uow, account.account_id, contact_id, payload.custom_attributes or [], performer_id=account.user.id
    )
    return ContactResponse(payload=await _contact_payload(request, uow, row, True))


@delete(
    "/{contact_id:int}/avatar", status_code=200, summary="Remove a contact's avatar", operation_id="contactAvatarDelete"
)
async def delete_avatar(
    request: Request[Any, Any, Any], account: Account, uow: Uow, contact_id: FromPath[int]
) -> ContactResponse:
    row = await service.remove_avatar(uow, account.account_id, contact_id, performer_id=account.user.id)
    return ContactResponse(payload=await _contact_payload(request, uow, row, False))


@post(
    "/{contact_id:int}/contact_inboxes",
    status_code=200,
    summary="Create contact inbox",
    operation_id="contactInboxCreation",
    dependencies={"payload": body(ContactInboxCreate, wrap="contact_inbox")},
)
async def create_contact_inbox(
    account: Account, uow: Uow, contact_id: FromPath[int], payload: NamedDependency[ContactInboxCreate]
) -> ContactInboxPayload:
    source_id = str(payload.source_id) if payload.source_id is not None else None
    contact_inbox, inbox = await service.create_contact_inbox(
        uow, account, contact_id, payload.inbox_id, source_id, bool(payload.hmac_verified)
    )
    return ContactInboxPayload(source_id=contact_inbox.source_id, inbox=present_inbox_slim(inbox))


@get(
    "/{contact_id:int}/contactable_inboxes",
    summary="Get contactable inboxes",
    operation_id="contactableInboxesGet",
)
async def contactable_inboxes(account: Account, uow: Uow, contact_id: FromPath[int]) -> ContactableInboxes:
    found = await service.contactable_inboxes(uow, account, contact_id)
    return ContactableInboxes(
        payload=[ContactableInbox(inbox=present_inbox_slim(inbox), source_id=source_id) for inbox, source_id in found]
    )


@get("/{contact_id:int}/labels", summary="List labels of a contact", operation_id="contactLabelsList")
async def list_contact_labels(account: Account, uow: Uow, contact_id: FromPath[int]) -> LabelList:
    return LabelList(payload=await service.contact_labels(uow, account.account_id, contact_id))


@post(
    "/{contact_id:int}/labels",
    status_code=200,
    summary="Replace the labels of a contact",
    operation_id="contactLabelsReplace",
    dependencies={"payload": body(LabelsUpdate, wrap="label")},
)
async def replace_contact_labels(
    account: Account, uow: Uow, contact_id: FromPath[int], payload: NamedDependency[LabelsUpdate]
) -> LabelList:
    titles = await service.set_contact_labels(uow, account.account_id, contact_id, payload.labels or [])
    return LabelList(payload=titles)


router = Router(
    path="/api/v1/accounts/{account_id:int}/contacts",
    route_handlers=[
        list_contacts,
        create_contact,
        search_contacts,
        list_active_contacts,
        filter_contacts,
        show_contact,
        update_contact,
        patch_contact,
        delete_contact,
        destroy_custom_attributes,
        delete_avatar,
        create_contact_inbox,
        contactable_inboxes,
        list_contact_labels,
        replace_contact_labels,
    ],
    tags=["Contacts"],
)
