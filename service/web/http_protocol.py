"""The HTTP/1.1 connection handling of `replyguard serve`: uvicorn's httptools protocol plus two limits it lacks.

uvicorn times out idle keep-alive connections, but not a client that sends its request slowly: a connection that
trickles one header byte a second (slowloris), or announces a body and never sends it, holds its place forever, and
a few hundred of them take the service off line. Nor does it bound the request head. Here each request must arrive
whole (head and body) within `read_timeout` seconds of its first byte (or of the connection, for the first one):
408 and close otherwise; and a head (request line and headers) larger than `max_header_bytes` gets 431 and close.
A reverse proxy in front (deploy/nginx.conf) applies the same limits; these hold when the service faces clients
itself, as `make run` does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from service.web.logs import access_logger

# Raw responses (the application never sees these requests) carry the same safety headers as the app's.
_HEADERS = (
    b"content-type: text/plain; charset=utf-8\r\n"
    b"x-content-type-options: nosniff\r\n"
    b"content-security-policy: default-src 'none'; frame-ancestors 'none'\r\n"
    b"connection: close\r\n"
)


def _raw_response(status: int, reason: str) -> bytes:
    body = reason.encode("ascii")
    head = f"HTTP/1.1 {status} {reason}\r\ncontent-length: {len(body)}\r\n".encode("ascii")
    return head + _HEADERS + b"\r\n" + body


class GuardedHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a whole-request read timeout and a bound on the request head."""

    read_timeout: ClassVar[float] = 10.0
    max_header_bytes: ClassVar[int] = 16 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Each request's cycle is handed this logger: lines the writer thread writes anyway skip the logger tree.
        self.access_logger = access_logger(self.access_logger)  # type: ignore[assignment]  # uvicorn only calls .info
        self._read_timer: asyncio.TimerHandle | None = None
        # Bytes of the current request's head received so far; None while its body is read (or no request is open).
        self._head_bytes: int | None = 0
        self._refused = False  # a 408/431 was sent: the parser may still call back with the rest of the data

    @classmethod
    def configured(cls, *, read_timeout: float, max_header_bytes: int) -> type[GuardedHttpProtocol]:
        """A subclass with these limits: uvicorn builds protocols from a class, one per connection."""
        limits = {"read_timeout": read_timeout, "max_header_bytes": max_header_bytes}
        return type("ConfiguredHttpProtocol", (cls,), limits)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a connection that never sends a byte is a slow client too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._head_bytes is not None:
            self._head_bytes += len(data)
        super().data_received(data)
        # Still inside the head after parsing everything received: every byte of this request so far is head.
        if self._head_bytes is not None and self._head_bytes > self.max_header_bytes:
            self._refuse(431, "Request Header Fields Too Large")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._read_timer is None:  # the next request on a kept-alive or pipelined connection
            self._arm()

    def on_headers_complete(self) -> None:
        self._head_bytes = None
        # A head that arrived in one piece with the start of a body is measured by what the parser collected (one
        # pass here rather than a Python callback per header: this runs for every request).
        if self._parsed_head_size() > self.max_header_bytes:
            self._refuse(431, "Request Header Fields Too Large")
            return
        super().on_headers_complete()

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        # Every request's cycle, pipelined ones too, passes here before its task exists.
        _send_head_with_body(cycle)
        super()._start_asgi_task(cycle, app)

    def _parsed_head_size(self) -> int:
        return len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        self._head_bytes = 0
        if not self._refused:
            super().on_message_complete()

    def _arm(self) -> None:
        self._disarm()
        self._read_timer = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            self._refuse(408, "Request Timeout")
        else:
            # The application is waiting for the body: closing tells it the client is gone (an http.disconnect),
            # and the request ends without a reply being stored.
            self.transport.close()

    def _refuse(self, status: int, reason: str) -> None:
        self._disarm()
        self._refused = True
        if not self.transport.is_closing():
            self.transport.write(_raw_response(status, reason))
            self.transport.close()


class _HeldHead:
    """The transport a request's cycle writes to: it can hold the response head back to send it with the body.

    uvicorn writes the status line and headers on `http.response.start` and the body on `http.response.body`: two
    socket writes, one system call each, for every answer. Held and joined, an answer whose body comes in one message
    (every answer of this service but the exports) leaves in one write: ~5% more answers a second on `/health` and
    the list page (docs/performance.md, item 24).
    """

    __slots__ = ("_head", "_holding", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._holding = False
        self._head: bytes | None = None

    def write(self, data: bytes) -> None:
        if self._holding:
            self._head = data
            return
        if self._head is not None:
            data, self._head = self._head + data, None
        self._transport.write(data)

    def flush(self) -> None:
        if self._head is not None:
            head, self._head = self._head, None
            self._transport.write(head)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:  # is_closing and anything else uvicorn may ask of the transport
        return getattr(self._transport, name)


def _send_head_with_body(cycle: RequestResponseCycle) -> None:
    """Route the cycle's writes through a _HeldHead: the head waits for the first body message (or an error)."""
    held = _HeldHead(cycle.transport)
    cycle.transport = held  # type: ignore[assignment]  # the cycle only writes, closes and asks is_closing
    send: Callable[[Any], Awaitable[None]] = cycle.send

    async def send_head_with_body(message: Any) -> None:
        held._holding = message["type"] == "http.response.start"
        try:
            await send(message)
        finally:
            held._holding = False
        if message["type"] != "http.response.start":
            held.flush()  # a body that wrote nothing (HEAD, an empty last chunk) still lets the head out

    cycle.send = send_head_with_body  # type: ignore[method-assign]
