"""A real webhook receiver on loopback for the tests: an HTTP server in a thread that checks every call's Standard
Webhooks signature with the endpoint's secret, and records what arrived (or answers as told: a status, a delay)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from service.domain.webhook_signature import SignatureError, verify


@dataclass
class Call:
    id: str
    type: str
    body: dict[str, Any]
    headers: dict[str, str]
    raw: bytes = b""


@dataclass
class Receiver:
    """What arrived at the receiver; `secret` verifies signatures (None: the calls are recorded unchecked)."""

    url: str
    secret: str | None = None
    status: int = 200  # the answer to every call
    delay_seconds: float = 0.0
    # When given, every call is recorded as it arrives and answered only once this is set: a test can hold a
    # sender's round in flight for as long as it needs (to kill the sender mid-round, say).
    answer_when: threading.Event | None = None
    calls: list[Call] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why calls whose signature failed were refused
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> list[str]:
        with self.lock:
            return [call.id for call in self.calls]

    def of_type(self, event: str) -> list[Call]:
        with self.lock:
            return [call for call in self.calls if call.type == event]

    def wait_for(self, count: int, *, timeout: float = 20.0) -> list[Call]:
        """Until at least `count` calls arrived (their ids, in order); fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.calls) >= count:
                    return list(self.calls)
            time.sleep(0.02)
        raise AssertionError(f"{len(self.calls)} calls arrived, not {count}; refused: {self.refused[:3]}")


@contextmanager
def receiving(
    secret: str | None = None,
    *,
    status: int = 200,
    delay_seconds: float = 0.0,
    answer_when: threading.Event | None = None,
) -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 (a free port) until the block ends."""
    receiver = Receiver(url="", secret=secret, status=status, delay_seconds=delay_seconds, answer_when=answer_when)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            if len(body) < length:  # the sender died mid-request: nothing arrived, as for any receiver
                return
            headers = {name.lower(): value for name, value in self.headers.items()}
            if receiver.delay_seconds:
                time.sleep(receiver.delay_seconds)
            if receiver.secret is not None:
                try:
                    verify(receiver.secret, headers, body, now=int(time.time()))
                except SignatureError as exc:
                    with receiver.lock:
                        receiver.refused.append(str(exc))
                    self.send_response(401)
                    self.end_headers()
                    return
            payload = json.loads(body)
            with receiver.lock:
                receiver.calls.append(
                    Call(headers.get("webhook-id", ""), payload.get("type", ""), payload, headers, body)
                )
            if receiver.answer_when is not None:
                receiver.answer_when.wait(timeout=120)
            try:
                self.send_response(receiver.status)
                self.end_headers()
            except (BrokenPipeError, ConnectionResetError):  # the sender was killed while its call was held
                pass

        def log_message(self, format: str, *args: Any) -> None:  # the test's output stays quiet
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256  # a worker's round opens dozens of connections at once

    server = Server(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
