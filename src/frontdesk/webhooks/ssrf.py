"""Refuse webhook targets on private networks, when a URL is saved and again when it is called.

At send time the host is resolved by :class:`GuardedResolver`, every address is checked, and the
connection goes to the checked addresses only (so a DNS answer that changes between the check and
the connection — DNS rebinding — cannot reach an internal address).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

# Cloud metadata endpoints (AWS/GCP/Azure IPv4, AWS IPv6), refused even if they were ever "global".
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})


class UnsafeUrl(Exception):
    """The URL is not an http(s) URL, or its host is (or resolves to) a refused address."""


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_refused_address(address: IPAddress) -> bool:
    """Loopback, private, link-local, unique-local, multicast, unspecified, reserved or metadata addresses."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address in METADATA_ADDRESSES
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or not address.is_global
    )


def parse_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; :class:`UnsafeUrl` otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise UnsafeUrl(f"{url!r} is not a valid URL") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl(f"{url!r} is not an http or https URL")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_address(host: str, address: IPAddress) -> None:
    if is_refused_address(address):
        raise UnsafeUrl(f"{host} resolves to {address}, a private or reserved address")


async def check_url(url: str, *, allow_private: bool, resolver: AbstractResolver | None = None) -> None:
    """Refuse a URL whose host is, or resolves to, a refused address (a host that does not resolve passes;
    it is checked again when called)."""
    _, host, port = parse_url(url)
    if allow_private:
        return
    literal = literal_address(host)
    if literal is not None:
        check_address(host, literal)
        return
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        raise UnsafeUrl(f"{host} is a loopback host")
    own = resolver is None
    resolver = resolver or ThreadedResolver()
    try:
        results = await resolver.resolve(host, port, socket.AF_UNSPEC)
    except OSError:
        return
    finally:
        if own:
            await resolver.close()
    for result in results:
        check_address(host, ipaddress.ip_address(result["host"]))


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver that refuses (with :class:`UnsafeUrl`) any host with a refused address."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._inner = ThreadedResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[Any]:
        results: list[ResolveResult] = await self._inner.resolve(host, port, family)
        if not self.allow_private:
            for result in results:
                check_address(host, ipaddress.ip_address(result["host"]))
        return list(results)

    async def close(self) -> None:
        await self._inner.close()
