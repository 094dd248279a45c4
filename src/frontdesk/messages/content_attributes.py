"""The item checks Chatwoot's ContentAttributeValidator runs for interactive content types."""

from __future__ import annotations

from typing import Any

SELECT_ITEM_KEYS = {"title", "value"}
CARD_ITEM_KEYS = {"title", "description", "media_url", "actions"}
CARD_ACTION_KEYS = {"text", "type", "payload", "uri"}
FORM_ITEM_KEYS = {
    "type",
    "placeholder",
    "label",
    "name",
    "options",
    "default",
    "required",
    "pattern",
    "title",
    "pattern_error",
}
ARTICLE_KEYS = {"title", "description", "link"}
ITEM_KEYS = {"input_select": SELECT_ITEM_KEYS, "cards": CARD_ITEM_KEYS, "form": FORM_ITEM_KEYS, "article": ARTICLE_KEYS}


def _symbols(keys: list[str]) -> str:
    """Ruby's inspect of an array of symbols, as Chatwoot's messages show them."""
    return "[" + ", ".join(f":{key}" for key in keys) + "]"


def content_attribute_errors(content_type: str, attributes: dict[str, Any]) -> list[str]:
    """The problems with ``items`` for ``content_type`` (empty when fine), worded as Chatwoot words them."""
    allowed = ITEM_KEYS.get(content_type)
    if allowed is None:
        return []
    items = attributes.get("items")
    errors: list[str] = []
    if not items:
        errors.append("At least one item is required.")
    items = items if isinstance(items, list) else [items] if items else []
    hashes = [item for item in items if isinstance(item, dict)]
    if len(hashes) != len(items):
        errors.append("Items should be a hash.")
    invalid = [key for item in hashes for key in item if key not in allowed]
    if invalid:
        errors.append(f"contains invalid keys for items : {_symbols(invalid)}")
    if content_type == "cards":
        if any(not item.get("actions") for item in hashes):
            errors.append("contains items missing actions")
        else:
            action_keys = [
                key
                for item in hashes
                for action in (item["actions"] if isinstance(item["actions"], list) else [])
                if isinstance(action, dict)
                for key in action
            ]
            invalid_actions = [key for key in action_keys if key not in CARD_ACTION_KEYS]
            if invalid_actions:
                errors.append(f"contains invalid keys for actions:  {_symbols(invalid_actions)}")
    return errors
