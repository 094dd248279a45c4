from __future__ import annotations

from typing import Any

from tests.contacts.helpers import CONTACT_KEYS, create
from tests.fixtures.api import Admin, make_admin, make_api_inbox
from tests.fixtures.observe import counted_queries
from tests.fixtures.server import RunningServer


def _list(admin: Admin, **params: Any) -> dict[str, Any]:
    response = admin.api.get(admin.path("/contacts"), params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_index_lists_only_resolved_contacts_with_their_inboxes(admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    with_email = admin.api.post(admin.path("/contacts"), json={"name": "E", "email": "e@x.io", "inbox_id": inbox["id"]})
    source_id = with_email.json()["payload"]["contact_inbox"]["source_id"]
    with_phone = create(admin, name="P", phone_number="+15550002222")
    with_identifier = create(admin, name="I", identifier="ext-1")
    create(admin, name="Anonymous")
    body = _list(admin)
    assert list(body) == ["meta", "payload"]
    assert body["meta"] == {"count": 3, "current_page": 1}
    assert [item["name"] for item in body["payload"]] == ["E", "P", "I"]
    first = body["payload"][0]
    assert list(first) == [*CONTACT_KEYS, "contact_inboxes"]
    assert first["contact_inboxes"] == [
        {
            "source_id": source_id,
            "inbox": {
                "id": inbox["id"],
                "avatar_url": "",
                "channel_id": inbox["channel_id"],
                "name": inbox["name"],
                "channel_type": "Channel::Api",
                "provider": None,
            },
        }
    ]
    assert body["payload"][1]["id"] == with_phone["id"]
    assert body["payload"][1]["contact_inboxes"] == []
    assert body["payload"][2]["id"] == with_identifier["id"]
    without = _list(admin, include_contact_inboxes="false")
    assert all("contact_inboxes" not in item for item in without["payload"])
    assert list(without["payload"][0]) == CONTACT_KEYS


def test_pagination_fifteen_a_page(admin: Admin) -> None:
    for index in range(15):
        create(admin, name=f"c{index:02d}", email=f"c{index:02d}@x.io")
    body = _list(admin)
    assert body["meta"] == {"count": 15, "current_page": 1}
    assert len(body["payload"]) == 15
    assert _list(admin, page="2")["payload"] == []
    create(admin, name="c15", email="c15@x.io")
    page_one = _list(admin, page="1")
    assert page_one["meta"] == {"count": 16, "current_page": "1"}
    assert len(page_one["payload"]) == 15
    page_two = _list(admin, page="2")
    assert page_two["meta"] == {"count": 16, "current_page": "2"}
    assert [item["name"] for item in page_two["payload"]] == ["c15"]
    # Kaminari reads a page below 1 (or not a number) as the first page; Chatwoot echoes what it was given.
    for odd in ("0", "-3", "abc"):
        body = _list(admin, page=odd)
        assert len(body["payload"]) == 15
        assert body["payload"][0]["name"] == "c00"
        assert body["meta"]["current_page"] == odd
    huge = _list(admin, page=str(10**30))
    assert huge["payload"] == []
    assert huge["meta"]["count"] == 16


def test_sort_keys_ascending_and_descending(admin: Admin) -> None:
    create(admin, name="bravo", email="b@x.io", additional_attributes={"company_name": "zeta", "city": "rome"})
    create(admin, name="Alpha", email="c@x.io", additional_attributes={"company_name": "acme", "country": "fr"})
    create(admin, name="charlie", email="a@x.io", phone_number="+15550000001")

    def names(sort: str) -> list[str]:
        return [item["name"] for item in _list(admin, sort=sort)["payload"]]

    assert names("name") == ["Alpha", "bravo", "charlie"]
    assert names("-name") == ["charlie", "bravo", "Alpha"]
    assert names("email") == ["charlie", "bravo", "Alpha"]
    assert names("-email") == ["Alpha", "bravo", "charlie"]
    # NULLS LAST both ways.
    assert names("company_name") == ["Alpha", "bravo", "charlie"]
    assert names("-company_name") == ["bravo", "Alpha", "charlie"]
    assert names("city") == ["bravo", "Alpha", "charlie"]
    assert names("-country") == ["Alpha", "bravo", "charlie"]
    assert names("created_at") == ["bravo", "Alpha", "charlie"]
    assert names("-created_at")[-1] in ("bravo", "Alpha", "charlie")
    # phone_number: NULLs last ascending, first descending (PostgreSQL's default).
    assert names("phone_number") == ["charlie", "bravo", "Alpha"]
    assert names("-phone_number") == ["bravo", "Alpha", "charlie"]
    # Unknown keys are ignored.
    assert names("password") == ["bravo", "Alpha", "charlie"]


def test_labels_filter_on_index(admin: Admin) -> None:
    vip = create(admin, name="vip", email="vip@x.io")
    lead = create(admin, name="lead", email="lead@x.io")
    create(admin, name="none", email="none@x.io")
    assert admin.api.post(admin.path(f"/contacts/{vip['id']}/labels"), json={"labels": ["VIP"]}).status_code == 200
    assert admin.api.post(admin.path(f"/contacts/{lead['id']}/labels"), json={"labels": ["lead"]}).status_code == 200
    response = admin.api.get(admin.path("/contacts"), params=[("labels[]", "vip"), ("labels[]", "lead")])
    assert response.status_code == 200
    assert sorted(item["name"] for item in response.json()["payload"]) == ["lead", "vip"]
    assert response.json()["meta"]["count"] == 2
    only_vip = admin.api.get(admin.path("/contacts"), params={"labels[]": "VIP"})
    assert [item["name"] for item in only_vip.json()["payload"]] == ["vip"]


def test_index_loads_contact_inboxes_in_one_query(server: RunningServer, admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    for index in range(2):
        create(admin, name=f"n{index}", email=f"n{index}@x.io", inbox_id=inbox["id"])
    with counted_queries(server) as few:
        assert len(_list(admin)["payload"]) == 2
    for index in range(2, 15):
        create(admin, name=f"n{index}", email=f"n{index}@x.io", inbox_id=inbox["id"])
    with counted_queries(server) as many:
        assert len(_list(admin)["payload"]) == 15
    assert len(many) == len(few)


def test_index_is_scoped_to_the_account(server: RunningServer, admin: Admin) -> None:
    other = make_admin(server, account_name="Other")
    create(other, name="theirs", email="theirs@x.io")
    create(admin, name="mine", email="mine@x.io")
    assert [item["name"] for item in _list(admin)["payload"]] == ["mine"]
    assert admin.api.get(admin.path("/contacts/search"), params={"q": "theirs"}).json()["payload"] == []


def test_search(admin: Admin) -> None:
    create(admin, name="Jane Doe", email="jane@acme.io")
    create(admin, name="John", phone_number="+4915100001111")
    create(admin, name="Nameless", identifier="CRM-42")
    create(admin, name="Anonymous visitor")

    def search(q: str, **params: Any) -> dict[str, Any]:
        response = admin.api.get(admin.path("/contacts/search"), params={"q": q, **params})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    body = search("JANE")
    assert list(body) == ["meta", "payload"]
    assert body["meta"] == {"count": 1, "current_page": 1, "has_more": False}
    assert body["payload"][0]["name"] == "Jane Doe"
    assert "contact_inboxes" in body["payload"][0]
    assert [item["name"] for item in search("ACME.io")["payload"]] == ["Jane Doe"]
    assert [item["name"] for item in search("4915100")["payload"]] == ["John"]
    assert [item["name"] for item in search("crm-4")["payload"]] == ["Nameless"]
    # Search is not limited to resolved contacts.
    assert [item["name"] for item in search("visitor")["payload"]] == ["Anonymous visitor"]
    assert search("  jane  ")["meta"]["count"] == 1
    # LIKE wildcards in q are literal.
    assert search("%")["payload"] == []
    assert search("_")["payload"] == []
    assert "contact_inboxes" not in search("jane", include_contact_inboxes="false")["payload"][0]


def test_search_pages_and_has_more(admin: Admin) -> None:
    for index in range(16):
        create(admin, name=f"match {index:02d}")
    first = admin.api.get(admin.path("/contacts/search"), params={"q": "match"}).json()
    assert first["meta"] == {"count": 15, "current_page": 1, "has_more": True}
    second = admin.api.get(admin.path("/contacts/search"), params={"q": "match", "page": "2"}).json()
    assert second["meta"] == {"count": 1, "current_page": "2", "has_more": False}
    assert [item["name"] for item in second["payload"]] == ["match 15"]
    zero = admin.api.get(admin.path("/contacts/search"), params={"q": "match", "page": "0"})
    assert zero.status_code == 200
    assert len(zero.json()["payload"]) == 15


def test_search_without_q_is_422(admin: Admin) -> None:
    for params in ({}, {"q": ""}, {"q": "   "}):
        response = admin.api.get(admin.path("/contacts/search"), params=params)
        assert response.status_code == 422
        assert response.json() == {"error": "Specify search string with parameter q"}


def test_list_requires_a_token(admin: Admin) -> None:
    response = admin.api.client.get(admin.path("/contacts"), headers={"api_access_token": ""})
    assert response.status_code == 401
    response = admin.api.client.get(admin.path("/contacts/search?q=a"), headers={"api_access_token": "nope"})
    assert response.status_code == 401
    assert response.json() == {"error": "Invalid Access Token"}
