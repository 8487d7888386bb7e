"""The console's cookies and its sign-in form's token: what makes a sign-in this server's own.

Login CSRF (a page elsewhere signing a moderator's browser into the attacker's account) is refused three ways:
- the sign-in form's token is issued by this server: its time and a nonce under an HMAC-SHA256 keyed with the console
  secret (REPLYGUARD_CONSOLE_SECRET, else one the service keeps in its database, so every replica agrees), good for an
  hour; it is sent back both as the form field and in a cookie, and the two must be equal;
- over HTTPS the cookies are `__Host-` cookies (Secure, Path=/, no Domain): no sibling origin and no plain-HTTP page
  can set or overwrite them. Whether a request came over HTTPS is its scheme, as uvicorn sees it: behind a proxy
  listed in REPLYGUARD_TRUSTED_PROXIES, the proxy's X-Forwarded-Proto;
- a sign-in posted from another origin, even a sibling on the same site, is refused by what the browser says of it
  (Sec-Fetch-Site, else Origin), so plain HTTP on loopback, where any port may set a cookie, is covered too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.datastructures import Cookie

from service.storage.database import Database
from service.storage.service_secrets import shared_secret
from service.web.payloads import header

SESSION_COOKIE = "rg_console"
SIGN_IN_COOKIE = "rg_console_sign_in"  # double-submit token of the sign-in form (no session exists yet)
HOST_PREFIX = "__Host-"
SIGN_IN_SECONDS = 3600
_SECRET_NAME = "console_sign_in"  # noqa: S105 - the name of the stored secret, not a secret
_PURPOSE = b"replyguard console sign-in\x00"


def is_https(request: Request[Any, Any, Any]) -> bool:
    return request.scope.get("scheme") == "https"


def cookie_name(request: Request[Any, Any, Any], base: str) -> str:
    """The cookie's name for this request: `__Host-` over HTTPS, where a cookie without it is never read."""
    return HOST_PREFIX + base if is_https(request) else base


def read_cookie(request: Request[Any, Any, Any], base: str) -> str:
    return request.cookies.get(cookie_name(request, base), "")


def console_cookie(request: Request[Any, Any, Any], base: str, value: str, *, max_age: int) -> Cookie:
    """HttpOnly and SameSite=Strict; over HTTPS also Secure, with the `__Host-` name and the Path=/ it requires."""
    if is_https(request):
        return Cookie(key=HOST_PREFIX + base, value=value, httponly=True, samesite="strict", secure=True, path="/",
                      max_age=max_age)  # fmt: skip
    return Cookie(key=base, value=value, httponly=True, samesite="strict", path="/console", max_age=max_age)


async def console_secret(request: Request[Any, Any, Any], db: Database) -> bytes:
    """The key of sign-in tokens: the operator's setting, else the database's (made once), kept for the app's life."""
    state = request.app.state
    key: bytes | None = state.get("console_secret")
    if key is None:
        configured = state.runtime.settings.console_secret
        if configured:
            key = configured.encode()
        else:
            async with db.write() as conn:
                key = await shared_secret(conn, _SECRET_NAME)
        state.console_secret = key
    return key


def _mac(secret: bytes, issued: str) -> str:
    digest = hmac.new(secret, _PURPOSE + issued.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_sign_in_token(secret: bytes, *, now: float | None = None) -> str:
    issued = f"{int(now if now is not None else time.time())}.{secrets.token_urlsafe(16)}"
    return f"{issued}.{_mac(secret, issued)}"


def is_sign_in_token(secret: bytes, token: str, *, now: float | None = None) -> bool:
    """Whether `token` is one this server issued in the last hour."""
    stamp, _, rest = token.partition(".")
    nonce, _, mac = rest.partition(".")
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12) or not nonce or not mac:
        return False
    age = (now if now is not None else time.time()) - int(stamp)
    return 0 <= age <= SIGN_IN_SECONDS and hmac.compare_digest(mac.encode(), _mac(secret, f"{stamp}.{nonce}").encode())


def accepts_sign_in_token(secret: bytes, cookie: str, sent: str, *, now: float | None = None) -> bool:
    """Whether the form's token equals the cookie's and is one this server issued in the last hour.

    Compared as bytes, so any text a client sends is a plain no (str comparison refuses non-ASCII with a TypeError)."""
    return (
        bool(cookie)
        and hmac.compare_digest(cookie.encode(), sent.encode())
        and is_sign_in_token(secret, cookie, now=now)
    )


def from_this_origin(request: Request[Any, Any, Any]) -> bool:
    """Whether the browser says the form was posted from this origin (Sec-Fetch-Site; else Origin against Host).

    A request with neither is not a browser's cross-origin form post (browsers send Origin with every POST), so it
    is let through to the token checks."""
    site = header(request, b"sec-fetch-site")
    if site is not None:
        return site in {"same-origin", "none"}  # "none": typed or bookmarked by the person, not sent by a page
    origin = header(request, b"origin")
    if origin is None:
        return True
    host = header(request, b"host") or ""
    sent = urlsplit(origin)
    # A proxy may pass on the Host without its port (nginx's $host): then the host name alone must agree.
    return bool(host) and (sent.netloc == host or (":" not in host and sent.hostname == host.lower()))
