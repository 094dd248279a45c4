"""Writes that are safe to retry: the ``Idempotency-Key`` header.

Every POST, PUT and PATCH under ``/api/v1`` and ``/public/api/v1`` may carry ``Idempotency-Key``
(1 to 255 characters, else 422). The key is scoped to the caller (the access token's digest, the
dashboard session, for the Client API the inbox and contact of the path plus the client IP where
the path names no contact, for the Widget API the visitor's widget token), the method and the path:

* the first request claims the key (an INSERT that only one claimer wins), runs, and its answer
  (status, headers, body) is stored before it leaves: a successful answer in the request's own
  transaction (``TransactionMiddleware`` commits it with the request's changes, so a crash never
  keeps the one without the other), any other answer in a transaction of its own;
* a retry with the same request (query string and body) gets the stored answer back with
  ``Idempotent-Replayed: true``, and nothing runs again; a retry that arrives while the first is still
  running waits for it (bounded by ``idempotency_wait_seconds``, then 409) and replays;
* the same key with a different request is a 422;
* a 5xx answer is not stored: the key is released so that a retry runs afresh;
* keys are kept ``idempotency_ttl_hours`` (24 h by default); expired ones are purged as requests come.

This middleware sits outside ``TransactionMiddleware``, so what it stores itself is exactly what the
client saw, including a commit that failed and was answered 422 (the answer written in the failed
transaction went with it).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import tempfile
import time
from datetime import timedelta
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPRequestEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from frontdesk.config import Settings
from frontdesk.db import Database, UnitOfWork
from frontdesk.idempotency import store
from frontdesk.kit.time import utc_now
from frontdesk.kit.tokens import utf8
from frontdesk.kit.transactions import ANSWER_RECORDER

logger = logging.getLogger(__name__)

HEADER = b"idempotency-key"
REPLAYED_HEADER = b"idempotent-replayed"
MAX_KEY_LENGTH = 255
METHODS = frozenset({"POST", "PUT", "PATCH"})
PREFIXES = ("/api/v1/", "/public/api/v1/")
# Litestar's own limit on request bodies (create_app's request_max_body_size).
MAX_BODY_BYTES = 20 * 1024 * 1024
# Headers not repeated by a replay: recomputed per response, or not the request's to repeat.
_NOT_REPLAYED = frozenset({b"content-length", b"date", b"server", b"set-cookie", b"connection", b"transfer-encoding"})
# Expired keys are purged at most this often per process.
PURGE_INTERVAL_SECONDS = 60.0

_BOUNDARY = re.compile(rb"boundary=\"?([^\";]+)\"?", re.IGNORECASE)
_PUBLIC_CONTACT = re.compile(r"^/public/api/v1/inboxes/([^/]+)/contacts/([^/]+)")

KEY_INVALID = "Idempotency-Key must be between 1 and 255 characters"
KEY_REUSED = "Idempotency-Key reused with a different request body"
KEY_IN_PROGRESS = "A request with this Idempotency-Key is still in progress"


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value)
    return None


def _sha256(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def caller_of(scope: Scope) -> bytes:
    """Who is asking, as stable bytes: never the secret itself, only its digest."""
    path: str = scope.get("path", "")
    if path.startswith("/public/"):
        match = _PUBLIC_CONTACT.match(path)
        if match:
            return b"contact:" + utf8(match.group(1)) + b":" + utf8(match.group(2))
        # No contact in the path (creating one): the client IP keeps two end users apart.
        client = scope.get("client")
        return b"public-ip:" + (client[0] if client else "").encode()
    if path.startswith("/api/v1/widget/"):
        # The visitor's widget token: two visitors behind one IP never share an answer.
        visitor = (_header(scope, b"x-auth-token") or b"").strip()
        client = scope.get("client")
        return b"widget:" + hashlib.sha256(visitor).hexdigest().encode() + b":" + (client[0] if client else "").encode()
    token = _header(scope, b"api_access_token") or _header(scope, b"api-access-token")
    if not token:
        authorization = _header(scope, b"authorization") or b""
        if authorization.lower().startswith(b"bearer "):
            token = authorization[7:].strip()
    if token:
        return b"token:" + hashlib.sha256(token.strip()).hexdigest().encode()
    devise = [_header(scope, name) or b"" for name in (b"access-token", b"client", b"uid")]
    if any(devise):
        return b"devise:" + _sha256(*devise).encode()
    cookie = _header(scope, b"cookie")
    if cookie:
        return b"session:" + hashlib.sha256(cookie).hexdigest().encode()
    client = scope.get("client")
    return b"anonymous:" + (client[0] if client else "").encode()


class RequestFingerprint:
    """The request's fingerprint, fed as the body streams: query string and body (a multipart boundary
    does not count, since clients draw a new one per attempt)."""

    def __init__(self, scope: Scope) -> None:
        content_type = _header(scope, b"content-type") or b""
        match = _BOUNDARY.search(content_type)
        self.boundary = match.group(1) if match and match.group(1) else b""
        self.digest = hashlib.sha256()
        query = bytes(scope.get("query_string", b""))
        self.digest.update(len(query).to_bytes(8, "big"))
        self.digest.update(query)
        # Bytes held back: the start of a boundary may be split across two chunks.
        self.carry = b""

    def update(self, chunk: bytes) -> None:
        if not self.boundary:
            self.digest.update(chunk)
            return
        joined = (self.carry + chunk).replace(self.boundary, b"BOUNDARY")
        keep = len(self.boundary) - 1
        self.carry = joined[-keep:] if keep and len(joined) > keep else (joined if keep else b"")
        self.digest.update(joined[: len(joined) - len(self.carry)])

    def hexdigest(self) -> str:
        self.digest.update(self.carry)
        self.carry = b""
        return self.digest.hexdigest()


class SpooledBody:
    """The request body, kept in memory while small and in a temporary file beyond that, so a retried
    upload never sits whole in memory; replayed to the application in chunks."""

    MEMORY_LIMIT = 1024 * 1024
    CHUNK = 256 * 1024

    def __init__(self) -> None:
        self.file = tempfile.SpooledTemporaryFile(max_size=self.MEMORY_LIMIT)  # noqa: SIM115
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self.file.write(chunk)

    def events(self) -> Any:
        self.file.seek(0)
        while True:
            chunk = self.file.read(self.CHUNK)
            more = self.file.tell() < self.size
            yield {"type": "http.request", "body": chunk, "more_body": more}
            if not more:
                return

    def close(self) -> None:
        self.file.close()


def max_body_bytes(scope: Scope, settings: Settings) -> int:
    """Bodies are capped as the routes cap them: uploads at every permitted file at its size limit."""
    content_type = (_header(scope, b"content-type") or b"").split(b";")[0].strip().lower()
    if content_type == b"multipart/form-data" or (
        scope.get("method") == "PUT" and str(scope.get("path", "")).startswith("/files/")
    ):
        return max(MAX_BODY_BYTES, max(1, settings.max_attachments) * settings.max_upload_bytes + MAX_BODY_BYTES)
    return MAX_BODY_BYTES


def _json_messages(status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None) -> list[Message]:
    payload = msgspec.json.encode(body)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    headers.extend(extra or [])
    return [
        {"type": "http.response.start", "status": status, "headers": headers},
        {"type": "http.response.body", "body": payload, "more_body": False},
    ]


async def _answer(send: Send, messages: list[Message]) -> None:
    for message in messages:
        await send(message)


def _replay_messages(stored: store.StoredKey) -> list[Message]:
    body = stored.response_body or b""
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in stored.response_headers]
    headers.append((b"content-length", str(len(body)).encode()))
    headers.append((REPLAYED_HEADER, b"true"))
    return [
        {"type": "http.response.start", "status": stored.response_status or 200, "headers": headers},
        {"type": "http.response.body", "body": body, "more_body": False},
    ]


def _stored_fields(start: HTTPResponseStartEvent) -> tuple[str | None, list[list[str]]]:
    """The content type and the headers a replay repeats."""
    headers: list[list[str]] = []
    content_type: str | None = None
    for name, value in start.get("headers", []):
        lowered = bytes(name).lower()
        if lowered in _NOT_REPLAYED:
            continue
        decoded = bytes(value).decode("latin-1")
        if lowered == b"content-type":
            content_type = decoded
        headers.append([lowered.decode("latin-1"), decoded])
    return content_type, headers


class _Claim:
    """This request's claim on its key, as ``TransactionMiddleware``'s answer recorder."""

    __slots__ = ("key_id", "stored")

    def __init__(self, key_id: int) -> None:
        self.key_id = key_id
        self.stored = False

    async def record(self, uow: UnitOfWork, start: HTTPResponseStartEvent, body: bytes) -> None:
        content_type, headers = _stored_fields(start)
        await store.complete_in(
            uow, self.key_id, status=int(start["status"]), content_type=content_type, headers=headers, body=body
        )


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != ScopeType.HTTP
            or scope.get("method") not in METHODS
            or not scope.get("path", "").startswith(PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        raw_key = _header(scope, HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            await _answer(send, _json_messages(422, {"error": KEY_INVALID}))
            return

        app_state = scope["app"].state
        settings: Settings = app_state.settings
        fingerprint = RequestFingerprint(scope)
        body = await _spool_body(receive, fingerprint, max_body_bytes(scope, settings))
        if body is None:
            await _answer(send, _json_messages(413, {"error": "Request Entity Too Large"}))
            return
        try:
            await self._handle(scope, receive, send, key, body, fingerprint.hexdigest(), app_state)
        finally:
            body.close()

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: str,
        body: SpooledBody,
        request_hash: str,
        app_state: Any,
    ) -> None:
        database: Database = app_state.database
        settings: Settings = app_state.settings
        scope_hash = _sha256(caller_of(scope), str(scope.get("method")).encode(), str(scope["path"]).encode())
        ttl = timedelta(hours=settings.idempotency_ttl_hours)
        lease = timedelta(seconds=settings.idempotency_lease_seconds)

        await _maybe_purge(app_state, database)
        deadline = time.monotonic() + settings.idempotency_wait_seconds
        delay = 0.02
        while True:
            # Read first: a retry of a running request then waits without touching the writer (SQLite
            # has one, and the first request holds it while it runs).
            existing = await store.load(database, scope_hash, key)
            if existing is not None and existing.expires_at <= utc_now():
                await store.delete_expired_key(database, existing.id)
                existing = None
            if existing is None:
                claimed = await store.claim(database, scope_hash, key, request_hash, ttl=ttl, lease=lease)
                if claimed is not None:
                    await self._run(scope, body, receive, send, database, claimed)
                    return
                # Another request claimed it in between: look again.
                continue
            if existing.request_hash != request_hash:
                await _answer(send, _json_messages(422, {"error": KEY_REUSED}))
                return
            if existing.state == store.COMPLETED:
                await _answer(send, _replay_messages(existing))
                return
            if (
                existing.locked_until is not None
                and existing.locked_until <= utc_now()
                and await store.take_over(database, existing.id, request_hash, lease=lease)
            ):
                logger.warning("idempotency key %s taken over after its first request's lease ran out", existing.id)
                await self._run(scope, body, receive, send, database, existing.id)
                return
            if time.monotonic() >= deadline:
                await _answer(send, _json_messages(409, {"error": KEY_IN_PROGRESS}, [(b"retry-after", b"1")]))
                return
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.25)

    async def _run(
        self, scope: Scope, body: SpooledBody, receive: Receive, send: Send, database: Database, key_id: int
    ) -> None:
        """Run the request once; its answer is stored before it leaves (unless 5xx, which releases the key),
        by the request's transaction when it committed one, else here."""
        replay = body.events()
        replayed_body = False

        async def receive_body() -> ReceiveMessage:
            nonlocal replayed_body
            if not replayed_body:
                event: HTTPRequestEvent = next(replay)
                replayed_body = not event["more_body"]
                return event
            return await receive()

        start: HTTPResponseStartEvent | None = None
        chunks: list[bytes] = []
        finished = False
        claim = _Claim(key_id)
        scope.setdefault("state", {})[ANSWER_RECORDER] = claim

        async def capture(message: Message) -> None:
            nonlocal start, finished
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(bytes(message.get("body", b"")))
            if message.get("more_body", False):
                return
            finished = True
            if not claim.stored:
                await self._finish(database, key_id, start, b"".join(chunks))
            await send(start)
            await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": False})

        try:
            await self.app(scope, receive_body, capture)
        finally:
            if not finished:
                await _release_quietly(database, key_id)

    async def _finish(self, database: Database, key_id: int, start: HTTPResponseStartEvent, body: bytes) -> None:
        status = int(start["status"])
        if status >= 500:
            await _release_quietly(database, key_id)
            return
        content_type, headers = _stored_fields(start)
        try:
            await store.complete(database, key_id, status=status, content_type=content_type, headers=headers, body=body)
        except Exception:
            # The request's work committed; giving the key up would let a retry do it twice. It stays
            # "in progress" until its lease runs out.
            logger.exception("could not store the answer of idempotency key %s", key_id)


async def _spool_body(receive: Receive, fingerprint: RequestFingerprint, limit: int) -> SpooledBody | None:
    body = SpooledBody()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = bytes(message.get("body", b""))
        if body.size + len(chunk) > limit:
            body.close()
            return None
        fingerprint.update(chunk)
        if len(chunk) > 64 * 1024:
            await asyncio.to_thread(body.write, chunk)
        else:
            body.write(chunk)
        if not message.get("more_body", False):
            break
    return body


async def _release_quietly(database: Database, key_id: int) -> None:
    try:
        await store.release(database, key_id)
    except Exception:
        logger.exception("could not release idempotency key %s", key_id)


async def _maybe_purge(app_state: Any, database: Database) -> None:
    now = time.monotonic()
    last: float = getattr(app_state, "idempotency_last_purge", 0.0)
    if now - last < PURGE_INTERVAL_SECONDS:
        return
    app_state.idempotency_last_purge = now
    try:
        purged = await store.purge_expired(database)
    except Exception:
        logger.exception("could not purge expired idempotency keys")
        return
    if purged:
        logger.info("purged %d expired idempotency keys", purged)
