"""Calling a webhook endpoint: the target's addresses checked (no private, loopback or link-local ones unless the
operator allows their network), the connection pinned to the checked address, the body signed (Standard Webhooks).

The address is resolved and checked at every call, and the request goes to that address (the Host header and TLS
name stay the endpoint's): a name that resolved to a public address when the endpoint was saved, or a moment ago,
cannot be turned to an internal one in between (DNS rebinding). Redirects are not followed, for the same reason.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import msgspec

from service.domain.delivery import Attempt
from service.domain.webhook_signature import signature_headers

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
USER_AGENT = "replyguard-webhooks/1"


class TargetRefused(ValueError):
    """The endpoint's URL cannot be called: a bad scheme, a name that does not resolve, or an address in a network
    the operator has not allowed. The message says which, without the address itself for names."""


@dataclass(frozen=True, slots=True)
class TargetPolicy:
    """Which addresses a webhook may reach: public ones, and those in `allowed_networks`
    (REPLYGUARD_WEBHOOK_PRIVATE_NETWORKS, say 127.0.0.0/8 for a receiver on the same host)."""

    allowed_networks: tuple[Network, ...] = ()

    @classmethod
    def from_setting(cls, networks: Sequence[str]) -> TargetPolicy:
        return cls(tuple(ipaddress.ip_network(n, strict=False) for n in networks))

    def permits(self, address: Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.allowed_networks):
            return True
        return address.is_global and not address.is_multicast


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; TargetRefused for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("must be an http or https URL with a host")
    if parts.username or parts.password:
        raise TargetRefused("must not carry a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetRefused("has an invalid port") from exc
    return parts.scheme, parts.hostname, port


async def resolve_target(url: str, policy: TargetPolicy) -> Address:
    """The address to call `url` at: the first its host resolves to, provided every one is permitted."""
    _, host, port = check_url(url)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise TargetRefused("its host name does not resolve") from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in found]
    if not addresses:
        raise TargetRefused("its host name does not resolve")
    if not all(policy.permits(address) for address in addresses):
        raise TargetRefused("resolves to a private, loopback or link-local address, which is not allowed here")
    return addresses[0]


def _pinned(url: str, address: Address) -> str:
    parts = urlsplit(url)
    host = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def secrets_in_use(message: Any, *, now: datetime) -> list[str]:
    """The endpoint's secret, and the previous one while its rotation's overlap lasts."""
    in_use = [str(message.secret)]
    expires = message.previous_secret_expires_at
    if message.previous_secret and expires is not None and expires > now:
        in_use.append(str(message.previous_secret))
    return in_use


class WebhookSender:
    """Sends claimed webhook messages (service/domain/delivery.py's Sender for the "webhook" channel)."""

    def __init__(self, *, policy: TargetPolicy, timeout_seconds: float, client: httpx.AsyncClient | None = None):
        self.policy = policy
        self._client = client or httpx.AsyncClient(
            timeout=timeout_seconds, follow_redirects=False, headers={"User-Agent": USER_AGENT}
        )

    async def send(self, message: Any, *, now: datetime) -> Attempt:
        try:
            address = await resolve_target(message.url, self.policy)
        except TargetRefused as exc:
            return Attempt(ok=False, error=f"refused: the URL {exc}")
        body = msgspec.json.encode(message.payload)
        headers = signature_headers(
            secrets_in_use(message, now=now), message_id=str(message.id), timestamp=int(now.timestamp()), body=body
        )
        host = urlsplit(message.url).netloc.rpartition("@")[2]
        headers.update({"Content-Type": "application/json", "Host": host})
        extensions = {"sni_hostname": urlsplit(message.url).hostname or ""}
        try:
            response = await self._client.post(
                _pinned(message.url, address), content=body, headers=headers, extensions=extensions
            )
        except httpx.HTTPError as exc:
            return Attempt(ok=False, error=f"{type(exc).__name__}: the call did not complete")
        if 200 <= response.status_code < 300:
            return Attempt(ok=True, status_code=response.status_code)
        return Attempt(ok=False, status_code=response.status_code, error=f"answered {response.status_code}")

    async def close(self) -> None:
        await self._client.aclose()
