"""Message enums as Chatwoot numbers them (the integers are what the messages table stores)."""

from __future__ import annotations

INCOMING = 0
OUTGOING = 1
ACTIVITY = 2
TEMPLATE = 3
MESSAGE_TYPES = {"incoming": INCOMING, "outgoing": OUTGOING, "activity": ACTIVITY, "template": TEMPLATE}

CONTENT_TYPES = {
    "text": 0,
    "input_text": 1,
    "input_textarea": 2,
    "input_email": 3,
    "input_select": 4,
    "cards": 5,
    "form": 6,
    "article": 7,
    "incoming_email": 8,
    "input_csat": 9,
    "integrations": 10,
    "sticker": 11,
    "voice_call": 12,
}
CONTENT_TYPE_NAMES = {value: key for key, value in CONTENT_TYPES.items()}

SENT = 0
DELIVERED = 1
READ = 2
FAILED = 3
STATUSES = {"sent": SENT, "delivered": DELIVERED, "read": READ, "failed": FAILED}
STATUS_NAMES = {value: key for key, value in STATUSES.items()}

SENDER_USER = "User"
SENDER_CONTACT = "Contact"

DELETED_CONTENT = "This message was deleted"
MAX_CONTENT_LENGTH = 150_000
