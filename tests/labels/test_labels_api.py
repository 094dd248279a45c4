from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from frontdesk.models import contact_labels, conversation_labels, conversations, labels
from tests.fixtures.api import Admin, Api, make_admin, make_agent
from tests.fixtures.server import RunningServer, ThrowawayDatabase
from tests.teams.factories import insert_contact, insert_conversation, query

NOT_AUTHORIZED = {"error": "You are not authorized to do this action"}
NOT_FOUND = {"error": "Resource could not be found"}


def create(admin: Admin, **fields: Any) -> dict[str, Any]:
    response = admin.api.post(admin.path("/labels"), json={"label": fields})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_create_answers_the_label_with_defaults(admin: Admin) -> None:
    response = admin.api.post(admin.path("/labels"), json={"label": {"title": "Billing"}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["id", "title", "description", "color", "show_on_sidebar"]
    assert isinstance(body["id"], int)
    assert body["title"] == "billing"
    assert body["description"] is None
    assert body["color"] == "#1f93ff"
    assert body["show_on_sidebar"] is True


def test_create_takes_every_field_flat_wrapped_and_form(admin: Admin) -> None:
    flat = admin.api.post(
        admin.path("/labels"),
        json={"title": "VIP-Customer", "description": "Pays a lot", "color": "#FF0000", "show_on_sidebar": False},
    )
    assert flat.status_code == 200, flat.text
    assert flat.json()["title"] == "vip-customer"
    assert flat.json()["description"] == "Pays a lot"
    assert flat.json()["color"] == "#FF0000"
    assert flat.json()["show_on_sidebar"] is False

    form = admin.api.post(
        admin.path("/labels"),
        data={"label[title]": "from_form", "label[show_on_sidebar]": "false", "label[color]": "#00ff00"},
    )
    assert form.status_code == 200, form.text
    assert form.json()["title"] == "from_form"
    assert form.json()["show_on_sidebar"] is False
    assert form.json()["color"] == "#00ff00"

    flat_form = admin.api.post(admin.path("/labels"), data={"title": "Flat2", "show_on_sidebar": "true"})
    assert flat_form.status_code == 200, flat_form.text
    assert flat_form.json()["title"] == "flat2"
    assert flat_form.json()["show_on_sidebar"] is True


def test_list_is_wrapped_in_payload_and_ordered_by_title(server: RunningServer, admin: Admin) -> None:
    assert admin.api.get(admin.path("/labels")).json() == {"payload": []}
    zeta = create(admin, title="zeta")
    alpha = create(admin, title="alpha", description="first", color="#123456", show_on_sidebar=False)
    other = make_admin(server, account_name="Other")
    create(other, title="elsewhere")
    response = admin.api.get(admin.path("/labels"))
    assert response.status_code == 200
    assert response.json() == {
        "payload": [
            {"id": alpha["id"], "title": "alpha", "description": "first", "color": "#123456", "show_on_sidebar": False},
            {"id": zeta["id"], "title": "zeta", "description": None, "color": "#1f93ff", "show_on_sidebar": True},
        ]
    }


def test_title_is_unique_per_account_whatever_its_case(server: RunningServer, admin: Admin) -> None:
    create(admin, title="Urgent")
    response = admin.api.post(admin.path("/labels"), json={"title": "URGENT"})
    assert response.status_code == 422
    assert response.json() == {"message": "Title has already been taken", "attributes": ["title"]}
    other = make_admin(server, account_name="Other")
    assert other.api.post(other.path("/labels"), json={"title": "urgent"}).status_code == 200
    assert len(admin.api.get(admin.path("/labels")).json()["payload"]) == 1


def test_title_format_follows_chatwoot(admin: Admin) -> None:
    for bad in ["a", "_leading", "-leading", "with space", "semi;colon", "dot.ted", "emoji😀", " padded"]:
        response = admin.api.post(admin.path("/labels"), json={"title": bad})
        assert response.status_code == 422, bad
        assert response.json() == {"message": "Title is invalid", "attributes": ["title"]}, bad
    for good in ["ab", "a_", "x-1", "2fa", "café", "日本語", "Ünïcödé_ok"]:
        response = admin.api.post(admin.path("/labels"), json={"title": good})
        assert response.status_code == 200, (good, response.text)
        assert response.json()["title"] == good.lower()


def test_missing_blank_and_oversized_fields_are_named(admin: Admin) -> None:
    for body in [{}, {"label": {"color": "#000000"}}, {"title": None}, {"title": ""}]:
        response = admin.api.post(admin.path("/labels"), json=body)
        assert response.status_code == 422, body
        assert response.json() == {"message": "Title must not be blank, Title is invalid", "attributes": ["title"]}
    response = admin.api.post(admin.path("/labels"), json={"title": "x" * 256})
    assert response.status_code == 422
    assert response.json() == {"message": "Title is too long (maximum is 255 characters)", "attributes": ["title"]}
    response = admin.api.post(admin.path("/labels"), json={"title": "ok", "description": "d" * 20_001})
    assert response.status_code == 422
    assert response.json() == {
        "message": "Description is too long (maximum is 20000 characters)",
        "attributes": ["description"],
    }
    response = admin.api.post(admin.path("/labels"), json={"title": "ok", "color": "#" * 33})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["color"]
    response = admin.api.post(admin.path("/labels"), json={"title": "ok", "color": None})
    assert response.status_code == 422
    assert response.json() == {"message": "Color must not be blank", "attributes": ["color"]}
    assert admin.api.get(admin.path("/labels")).json() == {"payload": []}


def test_wrong_types_are_named(admin: Admin) -> None:
    for field, value in [("title", 12), ("description", ["x"]), ("color", 5), ("show_on_sidebar", "maybe")]:
        body = {"title": "typed", field: value} if field != "title" else {"title": value}
        response = admin.api.post(admin.path("/labels"), json=body)
        assert response.status_code == 422, (field, response.text)
        assert response.json()["attributes"] == [field]
    response = admin.api.post(admin.path("/labels"), content=b"{oops", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert admin.api.get(admin.path("/labels")).json() == {"payload": []}


def test_show_update_and_delete(admin: Admin) -> None:
    label = create(admin, title="bug", description="Broken things")
    shown = admin.api.get(admin.path(f"/labels/{label['id']}"))
    assert shown.status_code == 200
    assert shown.json() == label

    partial = admin.api.patch(admin.path(f"/labels/{label['id']}"), json={"color": "#abcdef"})
    assert partial.status_code == 200, partial.text
    assert partial.json() == {**label, "color": "#abcdef"}

    wrapped = admin.api.patch(
        admin.path(f"/labels/{label['id']}"),
        json={"label": {"title": "Defect", "description": None, "show_on_sidebar": False}},
    )
    assert wrapped.status_code == 200, wrapped.text
    assert wrapped.json() == {
        "id": label["id"],
        "title": "defect",
        "description": None,
        "color": "#abcdef",
        "show_on_sidebar": False,
    }
    same_title = admin.api.patch(admin.path(f"/labels/{label['id']}"), json={"title": "DEFECT"})
    assert same_title.status_code == 200
    assert same_title.json()["title"] == "defect"

    deleted = admin.api.delete(admin.path(f"/labels/{label['id']}"))
    assert deleted.status_code == 200
    assert deleted.json() == {}
    assert admin.api.get(admin.path(f"/labels/{label['id']}")).status_code == 404
    assert admin.api.delete(admin.path(f"/labels/{label['id']}")).status_code == 404
    assert admin.api.get(admin.path("/labels")).json() == {"payload": []}


def test_update_validates_like_create(admin: Admin) -> None:
    first = create(admin, title="first")
    create(admin, title="second")
    path = admin.path(f"/labels/{first['id']}")
    taken = admin.api.patch(path, json={"title": "Second"})
    assert taken.status_code == 422
    assert taken.json() == {"message": "Title has already been taken", "attributes": ["title"]}
    invalid = admin.api.patch(path, json={"title": "no spaces"})
    assert invalid.status_code == 422
    assert invalid.json() == {"message": "Title is invalid", "attributes": ["title"]}
    blank = admin.api.patch(path, json={"label": {"title": None}})
    assert blank.status_code == 422
    assert blank.json()["attributes"] == ["title"]
    wrong = admin.api.patch(path, json={"show_on_sidebar": None})
    assert wrong.status_code == 422
    assert wrong.json()["attributes"] == ["show_on_sidebar"]
    assert admin.api.get(path).json() == first


def test_agents_list_but_only_administrators_show_and_write(server: RunningServer, admin: Admin) -> None:
    label = create(admin, title="shared")
    agent = make_agent(server, admin)
    listed = agent.api.get(admin.path("/labels"))
    assert listed.status_code == 200
    assert listed.json() == {"payload": [label]}
    path = admin.path(f"/labels/{label['id']}")
    for response in [
        agent.api.get(path),
        agent.api.post(admin.path("/labels"), json={"title": "mine"}),
        agent.api.patch(path, json={"title": "renamed"}),
        agent.api.delete(path),
    ]:
        assert response.status_code == 401
        assert response.json() == NOT_AUTHORIZED
    assert admin.api.get(admin.path("/labels")).json() == {"payload": [label]}

    second_admin = make_agent(server, admin, role="administrator")
    assert second_admin.api.post(admin.path("/labels"), json={"title": "by-admin"}).status_code == 200


def test_other_accounts_and_strangers(server: RunningServer, admin: Admin) -> None:
    other = make_admin(server, account_name="Other")
    theirs = create(other, title="theirs")
    path = admin.path(f"/labels/{theirs['id']}")
    for response in [admin.api.get(path), admin.api.patch(path, json={"title": "mine"}), admin.api.delete(path)]:
        assert response.status_code == 404
        assert response.json() == NOT_FOUND
    agent = make_agent(server, admin)
    assert agent.api.get(path).status_code == 404
    assert other.api.get(other.path(f"/labels/{theirs['id']}")).json() == theirs

    outsider = admin.api.get(other.path("/labels"))
    assert outsider.status_code == 401
    anonymous = Api(server)
    assert anonymous.get(admin.path("/labels")).status_code == 401
    assert anonymous.post(admin.path("/labels"), json={"title": "anon"}).status_code == 401
    assert Api(server, "not-a-token").get(admin.path("/labels")).status_code == 401


def _tag(
    test_database: ThrowawayDatabase, table: sa.Table, owner: str, owner_id: int, account_id: int, *titles: str
) -> None:
    with test_database.sync_engine.begin() as conn:
        for title in titles:
            conn.execute(sa.insert(table).values({"account_id": account_id, owner: owner_id, "title": title}))


def _conversation_tags(test_database: ThrowawayDatabase, conversation_id: int) -> list[str]:
    rows = query(
        test_database,
        sa.select(conversation_labels.c.title)
        .where(conversation_labels.c.conversation_id == conversation_id)
        .order_by(conversation_labels.c.title),
    )
    return [row.title for row in rows]


def _contact_tags(test_database: ThrowawayDatabase, contact_id: int) -> list[str]:
    rows = query(
        test_database,
        sa.select(contact_labels.c.title)
        .where(contact_labels.c.contact_id == contact_id)
        .order_by(contact_labels.c.title),
    )
    return [row.title for row in rows]


def _cached(test_database: ThrowawayDatabase, conversation_id: int) -> str:
    rows = query(
        test_database, sa.select(conversations.c.cached_label_list).where(conversations.c.id == conversation_id)
    )
    value: str = rows[0].cached_label_list
    return value


def test_renaming_a_label_renames_its_tags(
    server: RunningServer, admin: Admin, test_database: ThrowawayDatabase
) -> None:
    label = create(admin, title="old")
    tagged = insert_conversation(test_database, admin.account_id, cached_label_list="vip, old, billing")
    _tag(test_database, conversation_labels, "conversation_id", tagged, admin.account_id, "vip", "old", "billing")
    both = insert_conversation(test_database, admin.account_id, cached_label_list="old, new")
    _tag(test_database, conversation_labels, "conversation_id", both, admin.account_id, "old", "new")
    untouched = insert_conversation(test_database, admin.account_id, cached_label_list="older")
    _tag(test_database, conversation_labels, "conversation_id", untouched, admin.account_id, "older")
    contact = insert_contact(test_database, admin.account_id)
    _tag(test_database, contact_labels, "contact_id", contact, admin.account_id, "old", "vip")
    other = make_admin(server, account_name="Other")
    foreign = insert_conversation(test_database, other.account_id, cached_label_list="old")
    _tag(test_database, conversation_labels, "conversation_id", foreign, other.account_id, "old")
    foreign_contact = insert_contact(test_database, other.account_id)
    _tag(test_database, contact_labels, "contact_id", foreign_contact, other.account_id, "old")

    response = admin.api.patch(admin.path(f"/labels/{label['id']}"), json={"title": "New"})
    assert response.status_code == 200, response.text

    assert _conversation_tags(test_database, tagged) == ["billing", "new", "vip"]
    assert _cached(test_database, tagged) == "vip, new, billing"
    assert _conversation_tags(test_database, both) == ["new"]
    assert _cached(test_database, both) == "new"
    assert _conversation_tags(test_database, untouched) == ["older"]
    assert _cached(test_database, untouched) == "older"
    assert _contact_tags(test_database, contact) == ["new", "vip"]
    assert _conversation_tags(test_database, foreign) == ["old"]
    assert _cached(test_database, foreign) == "old"
    assert _contact_tags(test_database, foreign_contact) == ["old"]


def test_a_rejected_rename_changes_no_tag(admin: Admin, test_database: ThrowawayDatabase) -> None:
    label = create(admin, title="keep")
    create(admin, title="taken")
    conversation = insert_conversation(test_database, admin.account_id, cached_label_list="keep")
    _tag(test_database, conversation_labels, "conversation_id", conversation, admin.account_id, "keep")
    assert admin.api.patch(admin.path(f"/labels/{label['id']}"), json={"title": "taken"}).status_code == 422
    assert _conversation_tags(test_database, conversation) == ["keep"]
    assert _cached(test_database, conversation) == "keep"


def test_deleting_a_label_takes_its_tag_off(
    server: RunningServer, admin: Admin, test_database: ThrowawayDatabase
) -> None:
    label = create(admin, title="gone")
    create(admin, title="stays")
    conversation = insert_conversation(test_database, admin.account_id, cached_label_list="stays, gone")
    _tag(test_database, conversation_labels, "conversation_id", conversation, admin.account_id, "stays", "gone")
    contact = insert_contact(test_database, admin.account_id)
    _tag(test_database, contact_labels, "contact_id", contact, admin.account_id, "gone", "stays")
    other = make_admin(server, account_name="Other")
    foreign = insert_conversation(test_database, other.account_id, cached_label_list="gone")
    _tag(test_database, conversation_labels, "conversation_id", foreign, other.account_id, "gone")

    assert admin.api.delete(admin.path(f"/labels/{label['id']}")).status_code == 200

    assert _conversation_tags(test_database, conversation) == ["stays"]
    assert _cached(test_database, conversation) == "stays"
    assert _contact_tags(test_database, contact) == ["stays"]
    assert _conversation_tags(test_database, foreign) == ["gone"]
    assert _cached(test_database, foreign) == "gone"
    remaining = query(test_database, sa.select(labels.c.title).where(labels.c.account_id == admin.account_id))
    assert [row.title for row in remaining] == ["stays"]


def test_ids_beyond_the_integer_range_are_not_found(admin: Admin) -> None:
    for label_id in (2_147_483_648, 99_999_999_999_999_999_999, 0):
        path = admin.path(f"/labels/{label_id}")
        for response in [admin.api.get(path), admin.api.patch(path, json={"title": "x1"}), admin.api.delete(path)]:
            assert response.status_code == 404, (label_id, response.text)
            assert response.json() == NOT_FOUND


def test_concurrent_creates_of_one_title_make_one_label(server: RunningServer, admin: Admin) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def attempt(_: int) -> tuple[int, Any]:
        response = Api(server, admin.token).post(admin.path("/labels"), json={"title": "Race"})
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(8)))
    assert sorted(status for status, _ in results) == [200] + [422] * 7
    for status, body in results:
        if status == 422:
            assert body == {"message": "Title has already been taken", "attributes": ["title"]}
    assert [label["title"] for label in admin.api.get(admin.path("/labels")).json()["payload"]] == ["race"]
