"""How `replyguard serve` writes an answer to the socket: the head leaves with the body, in one write.

The protocol runs here on a transport that records its writes instead of a socket (what is counted is the writes
themselves); tests/web/test_http_limits.py checks the same answers over real connections to a real server."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

from service.web.http_protocol import GuardedHttpProtocol


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


async def whole(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
    await send({"type": "http.response.body", "body": b"hello"})


async def streamed(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"first", "more_body": True})
    await send({"type": "http.response.body", "body": b"second"})


async def failing(scope: Any, receive: Any, send: Any) -> None:
    raise RuntimeError("the application broke before answering")


async def _writes(app: Any, request: bytes) -> RecordingTransport:
    config = Config(app=app, lifespan="off", log_config=None, access_log=False)
    protocol_class = GuardedHttpProtocol.configured(read_timeout=5, max_header_bytes=16 * 1024)
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
    transport = RecordingTransport()
    protocol.connection_made(transport)
    protocol.data_received(request)
    await asyncio.wait_for(asyncio.gather(*protocol.tasks), timeout=5)
    protocol.connection_lost(None)
    return transport


GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def test_an_answer_with_its_body_in_one_message_is_one_write() -> None:
    transport = asyncio.run(_writes(whole, GET))
    assert len(transport.writes) == 1
    assert transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert transport.writes[0].endswith(b"\r\n\r\nhello")


def test_a_head_request_gets_its_head_alone() -> None:
    transport = asyncio.run(_writes(whole, GET.replace(b"GET", b"HEAD")))
    assert len(transport.writes) == 1
    assert transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and transport.writes[0].endswith(b"\r\n\r\n")


def test_a_streamed_body_sends_the_head_with_its_first_piece() -> None:
    transport = asyncio.run(_writes(streamed, GET))
    assert len(transport.writes) == 2
    assert b"transfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n" in transport.writes[0]
    assert transport.writes[1] == b"6\r\nsecond\r\n0\r\n\r\n"


def test_an_application_error_is_a_whole_500() -> None:
    transport = asyncio.run(_writes(failing, GET))
    answer = b"".join(transport.writes)
    assert answer.startswith(b"HTTP/1.1 500 Internal Server Error\r\n") and answer.endswith(b"Internal Server Error")
    assert len(transport.writes) == 1
