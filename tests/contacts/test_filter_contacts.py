from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from frontdesk.models import contacts
from tests.contacts.helpers import create
from tests.fixtures.api import Admin, make_admin
from tests.fixtures.server import RunningServer, ThrowawayDatabase


def _condition(key: str, operator: str, values: Any = None, query_operator: str | None = None) -> dict[str, Any]:
    return {"attribute_key": key, "filter_operator": operator, "values": values, "query_operator": query_operator}


def _names(admin: Admin, *conditions: dict[str, Any], **extra: Any) -> list[str]:
    response = admin.api.post(admin.path("/contacts/filter"), json={"payload": list(conditions), **extra})
    assert response.status_code == 200, response.text
    return sorted(item["name"] for item in response.json()["payload"])


def _seed(admin: Admin) -> None:
    create(
        admin,
        name="Alice Martin",
        email="alice@acme.io",
        phone_number="+33612345678",
        identifier="crm-1",
        additional_attributes={"city": "Paris", "company_name": "Acme", "country_code": "fr"},
    )
    create(
        admin,
        name="Bob Stone",
        email="bob@globex.io",
        additional_attributes={"city": "Berlin", "company_name": "Globex", "country_code": "de"},
        blocked=True,
    )
    create(admin, name="Carol", identifier="crm-3")
    create(admin, name="Unreachable")


def test_filter_text_keys(admin: Admin) -> None:
    _seed(admin)
    assert _names(admin, _condition("name", "equal_to", ["ALICE MARTIN"])) == ["Alice Martin"]
    assert _names(admin, _condition("name", "not_equal_to", ["alice martin"])) == ["Bob Stone", "Carol"]
    assert _names(admin, _condition("name", "contains", ["stone", "caro"])) == ["Bob Stone", "Carol"]
    assert _names(admin, _condition("name", "does_not_contain", ["o"])) == ["Alice Martin"]
    assert _names(admin, _condition("email", "contains", ["GLOBEX"])) == ["Bob Stone"]
    assert _names(admin, _condition("email", "is_present")) == ["Alice Martin", "Bob Stone"]
    assert _names(admin, _condition("email", "is_not_present")) == ["Carol"]
    assert _names(admin, _condition("phone_number", "equal_to", ["33612345678"])) == ["Alice Martin"]
    assert _names(admin, _condition("phone_number", "starts_with", ["+336"])) == ["Alice Martin"]
    assert _names(admin, _condition("identifier", "equal_to", ["CRM-3"])) == ["Carol"]
    assert _names(admin, _condition("city", "equal_to", ["paris"])) == ["Alice Martin"]
    assert _names(admin, _condition("city", "contains", ["erl"])) == ["Bob Stone"]
    assert _names(admin, _condition("company_name", "not_equal_to", ["acme"])) == ["Bob Stone"]
    assert _names(admin, _condition("country_code", "equal_to", ["DE"])) == ["Bob Stone"]
    assert _names(admin, _condition("blocked", "equal_to", [True])) == ["Bob Stone"]
    assert _names(admin, _condition("blocked", "not_equal_to", ["true"])) == ["Alice Martin", "Carol"]
    # Wildcards are literal.
    assert _names(admin, _condition("name", "contains", ["%"])) == []


def test_filter_chains_with_query_operators(admin: Admin) -> None:
    _seed(admin)
    both = _names(admin, _condition("city", "equal_to", ["paris"], "AND"), _condition("email", "contains", ["acme"]))
    assert both == ["Alice Martin"]
    either = _names(admin, _condition("city", "equal_to", ["paris"], "OR"), _condition("name", "equal_to", ["carol"]))
    assert either == ["Alice Martin", "Carol"]
    # a AND b OR c: AND binds first, as in SQL.
    mixed = _names(
        admin,
        _condition("city", "equal_to", ["paris"], "and"),
        _condition("blocked", "equal_to", [True], "or"),
        _condition("name", "equal_to", ["carol"]),
    )
    assert mixed == ["Carol"]
    assert _names(admin) == ["Alice Martin", "Bob Stone", "Carol"]


def test_filter_labels_and_dates(admin: Admin, test_database: ThrowawayDatabase) -> None:
    _seed(admin)
    listed = admin.api.get(admin.path("/contacts")).json()["payload"]
    by_name = {item["name"]: item["id"] for item in listed}
    admin.api.post(admin.path(f"/contacts/{by_name['Carol']}/labels"), json={"labels": ["vip"]})
    assert _names(admin, _condition("labels", "equal_to", ["VIP"])) == ["Carol"]
    assert _names(admin, _condition("labels", "not_equal_to", ["vip"])) == ["Alice Martin", "Bob Stone"]
    assert _names(admin, _condition("labels", "is_present")) == ["Carol"]
    assert _names(admin, _condition("labels", "is_not_present")) == ["Alice Martin", "Bob Stone"]
    old = datetime.now(UTC) - timedelta(days=30)
    with test_database.sync_engine.begin() as conn:
        conn.execute(sa.update(contacts).where(contacts.c.id == by_name["Bob Stone"]).values(created_at=old))
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    assert _names(admin, _condition("created_at", "is_greater_than", [yesterday])) == ["Alice Martin", "Carol"]
    assert _names(admin, _condition("created_at", "is_less_than", [yesterday])) == ["Bob Stone"]
    assert _names(admin, _condition("created_at", "days_before", ["7"])) == ["Bob Stone"]
    assert _names(admin, _condition("last_activity_at", "is_less_than", [yesterday])) == []


def test_filter_meta_and_paging(admin: Admin) -> None:
    for index in range(16):
        create(admin, name=f"f{index:02d}", email=f"f{index:02d}@x.io")
    response = admin.api.post(
        admin.path("/contacts/filter"), json={"payload": [_condition("email", "contains", ["@x.io"])], "page": 2}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["meta"] == {"count": 16, "current_page": 2}
    assert [item["name"] for item in body["payload"]] == ["f15"]
    assert "contact_inboxes" in body["payload"][0]


def test_filter_rejects_bad_keys_operators_and_values(admin: Admin) -> None:
    path = admin.path("/contacts/filter")
    unknown = admin.api.post(path, json={"payload": [_condition("shoe_size", "equal_to", ["42"])]})
    assert unknown.status_code == 422
    assert unknown.json()["error"].startswith("Invalid attribute key - [shoe_size].")
    operator = admin.api.post(path, json={"payload": [_condition("identifier", "contains", ["x"])]})
    assert operator.status_code == 422
    assert operator.json() == {
        "error": "Invalid operator. The allowed operators for identifier are [equal_to,not_equal_to]."
    }
    missing_value = admin.api.post(path, json={"payload": [_condition("name", "equal_to", [])]})
    assert missing_value.status_code == 422
    assert missing_value.json() == {"error": "Invalid value. The values provided for name are invalid"}
    bad_date = admin.api.post(path, json={"payload": [_condition("created_at", "is_greater_than", ["soon"])]})
    assert bad_date.status_code == 422
    assert bad_date.json() == {"error": "Invalid value. The values provided for created_at are invalid"}
    for days in ("1000000", "99999999999", "-5000000"):
        far = admin.api.post(path, json={"payload": [_condition("created_at", "days_before", [days])]})
        assert far.status_code == 422, (days, far.text)
        assert far.json() == {"error": "Invalid value. The values provided for created_at are invalid"}
    bad_joiner = admin.api.post(path, json={"payload": [_condition("name", "equal_to", ["a"], "XOR")]})
    assert bad_joiner.status_code == 422
    assert bad_joiner.json() == {"error": 'Query operator must be either "AND" or "OR".'}
    no_payload = admin.api.post(path, json={})
    assert no_payload.status_code == 422
    assert no_payload.json()["attributes"] == ["payload"]
    wrong_shape = admin.api.post(path, json={"payload": [{"attribute_key": "name"}]})
    assert wrong_shape.status_code == 422


def test_filter_is_scoped_to_the_account(server: RunningServer, admin: Admin) -> None:
    other = make_admin(server, account_name="Other")
    create(other, name="Theirs", email="theirs@x.io")
    assert _names(admin, _condition("email", "is_present")) == []
