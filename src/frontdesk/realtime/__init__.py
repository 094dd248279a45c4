"""The realtime feed: Chatwoot's ActionCable ``RoomChannel`` at ``/cable``.

Wire protocol (subprotocol ``actioncable-v1-json``), as Rails' ActionCable speaks it:

* server → client: ``{"type":"welcome"}`` once, ``{"type":"ping","message":<unix ts>}`` every 3 s,
  ``{"identifier":<id>,"type":"confirm_subscription"|"reject_subscription"}`` and event frames
  ``{"identifier":<id>,"message":{"event":"message.created","data":{…,"account_id":1},"cursor":"…"}}``.
* client → server: ``{"command":"subscribe"|"unsubscribe","identifier":<id>}`` and
  ``{"command":"message","identifier":<id>,"data":"{\\"action\\":\\"update_presence\\"}"}``.
  ``<id>`` is the JSON string ``{"channel":"RoomChannel","pubsub_token":…,"account_id":…,"user_id":…}``.

Additions of Frontdesk (ignored by Chatwoot's own clients):

* every event frame's ``message`` carries ``"cursor"``: an opaque, per-account, increasing position.
  ``presence.update`` (sent on subscribe and on ``update_presence``) carries the account's latest cursor,
  so a client knows where it stands before any event arrived.
* ``{"command":"message","identifier":<id>,"data":"{\\"action\\":\\"resume\\",\\"cursor\\":\\"…\\"}"}``
  replays, in order, every event for the subscription's streams after that cursor, then continues live
  (no duplicate, no gap). When the events after the cursor are no longer kept (older than the window:
  ``FRONTDESK_REALTIME_BUFFER_SIZE`` events / ``FRONTDESK_REALTIME_WINDOW_SECONDS`` per account, or
  kept by a server that restarted), the answer is one ``{"event":"reload","data":{"account_id":…,
  "reason":"cursor_expired"},"cursor":<latest>}`` frame: the client reloads its state over HTTP and
  carries on from that cursor.
* a socket that falls more than ``FRONTDESK_REALTIME_SEND_QUEUE`` frames behind is sent
  ``{"type":"disconnect","reason":"slow_consumer","reconnect":true}`` and closed; it reconnects and resumes.

A subscription only receives events of the account it subscribed for (Chatwoot also pushes a user's
other accounts' events on the user stream, which its dashboard then drops by ``account_id``).

With ``FRONTDESK_REDIS_URL`` set, events go through Redis (a stream per account for resume, pub/sub
for live delivery) so a socket held by any server process gets them; without it, in-process.
"""
