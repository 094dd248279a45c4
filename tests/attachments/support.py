"""Helpers of the attachment tests: what the database and the store hold, and multipart bodies."""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa

from tests.fixtures.server import RunningServer, ThrowawayDatabase


def stored_keys(server: RunningServer) -> list[str]:
    """The stored uploads (thumbnails, which analysis jobs add in their own time, are left out)."""

    async def keys() -> list[str]:
        return [info.key async for info in server.database.storage.list_objects() if not info.key.endswith(".thumb")]

    return sorted(server.run(keys))


def count(database: ThrowawayDatabase, table: str, where: str = "1=1", **params: Any) -> int:
    with database.sync_engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {where}"), params).scalar_one())


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body built by hand (for chunked and cut-off sends)."""
    boundary = "----frontdesk" + secrets.token_hex(8)
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data, content_type in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        parts.append(head + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cfc0f01f0005"
    "0001ff5cc2a8b50000000049454e44ae426082"
)
