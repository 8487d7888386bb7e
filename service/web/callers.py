"""Who sent a request: its client's address, and the API key it names. A failed authentication, whatever the
credential (moderator token, console sign-in, API key, Coral signature), counts against that address."""

from __future__ import annotations

from typing import Any

from litestar import Request

from service.integrations.keys import ApiKey, find_api_key
from service.web.runtime import Runtime


def client_address(request: Request[Any, Any, Any]) -> str:
    """The address rate limits count by: the connection's peer as the server reports it (behind the operator's
    REPLYGUARD_TRUSTED_PROXIES, the address they forwarded), or "unknown" when the server gives none."""
    return request.client.host if request.client else "unknown"


async def count_failed_authentication(request: Request[Any, Any, Any], runtime: Runtime) -> None:
    """Count one failed authentication from the request's client; a 429 (TooManyRequests) once it failed too often."""
    await runtime.limiter.count_auth_failure(client_address(request))


async def active_api_key(request: Request[Any, Any, Any], runtime: Runtime, key: str | None) -> ApiKey | None:
    """The active key `key` names; None, after counting the failure, for a missing, unknown, expired or revoked one."""
    found = await runtime.db.run_read(lambda conn: find_api_key(conn, key))
    if found is None:
        await count_failed_authentication(request, runtime)
    return found
