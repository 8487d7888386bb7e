"""Slow clients and oversized request heads against a real `replyguard serve` process, over raw sockets.

One server for the module (starting one costs seconds); each test that stores uses its own article, and each test's
part of the server log is checked for tracebacks and 500s."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from service.settings import Settings
from service.storage.database import opened
from service.storage.tables import comments
from tests.conftest import module_settings
from tests.replies import POLITE, reply
from tests.servers import free_port, running_server

READ_TIMEOUT = 1.0
MAX_HEAD = 4096
PATH = "/api/v1/articles/slow-clients/comments"


@dataclass(frozen=True)
class Server:
    port: int
    log: Path
    settings: Settings


@pytest.fixture(scope="module")
def shared_server(
    migrated_template: str, model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("http-limits")
    settings = module_settings(migrated_template, model_dir, folder)
    port, log = free_port(), folder / "server.log"
    with running_server(
        settings,
        port,
        log,
        REPLYGUARD_REQUEST_READ_TIMEOUT_SECONDS=str(READ_TIMEOUT),
        REPLYGUARD_MAX_HEADER_BYTES=str(MAX_HEAD),
    ):
        yield Server(port, log, settings)
    text = log.read_text(errors="replace")  # the whole log, shutdown included
    assert "Traceback" not in text and '"status": 500' not in text, text[-3000:]


@pytest.fixture
def server(shared_server: Server) -> Iterator[Server]:
    """The module's server; what it logged during the test must hold no traceback and no 500."""
    start = shared_server.log.stat().st_size
    yield shared_server
    with shared_server.log.open("rb") as log:
        log.seek(start)
        text = log.read().decode(errors="replace")
    assert "Traceback" not in text and '"status": 500' not in text, text[-3000:]


def _connect(port: int) -> socket.socket:
    # The socket timeout only bounds a test that would otherwise hang; nothing here measures speed.
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _head(body: bytes, extra: str = "", path: str = PATH) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{extra}\r\n"
    ).encode()


def _stored(settings: Settings, article_id: str) -> int:
    async def count() -> int:
        async with opened(settings) as db, db.read() as conn:
            query = select(func.count()).where(comments.c.article_id == article_id)
            return int((await conn.execute(query)).scalar_one())

    return asyncio.run(count())


def test_a_connection_that_sends_nothing_gets_408_and_is_closed(server: Server) -> None:
    with _connect(server.port) as sock:
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"x-content-type-options: nosniff" in answer


def test_a_head_trickled_byte_by_byte_is_cut_off(server: Server) -> None:
    head = _head(b"{}", extra="X-Padding: " + "a" * 200 + "\r\n")
    with _connect(server.port) as sock:
        started = time.monotonic()
        sent = 0
        try:
            for byte in head:
                sock.sendall(bytes([byte]))
                sent += 1
                time.sleep(0.02)
        except OSError:
            pass  # the server closed the connection on us, as it should
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    # The whole head would have taken longer than the read timeout: it was refused part way.
    assert sent < len(head) and time.monotonic() - started >= READ_TIMEOUT


def test_a_body_that_never_arrives_stores_nothing(server: Server) -> None:
    body = json.dumps(reply(POLITE[0])).encode()
    with _connect(server.port) as sock:
        # Announces the whole body, sends a fifth, then stalls.
        sock.sendall(_head(body, path="/api/v1/articles/never-arrives/comments") + body[:20])
        answer = _read_all(sock)
    assert answer == b""  # cut off: nobody is left to answer
    assert _stored(server.settings, "never-arrives") == 0


@pytest.mark.parametrize("pieces", [1, 8], ids=["in-one-piece", "trickled"])
def test_an_oversized_head_gets_431(server: Server, pieces: int) -> None:
    head = _head(b"{}", extra="X-Padding: " + "a" * (2 * MAX_HEAD) + "\r\n") + b"{}"
    step = len(head) // pieces + 1
    with _connect(server.port) as sock:
        try:
            for start in range(0, len(head), step):
                sock.sendall(head[start : start + step])
                time.sleep(0.05)
        except OSError:
            pass
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_ordinary_clients_are_served_while_slow_ones_hang(server: Server) -> None:
    port = server.port
    stalled = [_connect(port) for _ in range(20)]
    for sock in stalled:
        sock.sendall(b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: x\r\n")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            # Two requests on one kept-alive connection, with a 3 kB header (inside the limit).
            padding = {"X-Padding": "a" * 3000}
            first = client.post(PATH, json=reply(POLITE[1]), headers=padding)
            second = client.get(PATH, headers=padding)
        assert first.status_code == 201 and second.status_code == 200
        assert second.json()["total"] == 1
    finally:
        for sock in stalled:
            assert _read_all(sock).startswith(b"HTTP/1.1 408 ")
            sock.close()
    assert _stored(server.settings, "slow-clients") == 1


def _answers(raw: bytes, methods: list[str]) -> list[tuple[int, dict[str, str], bytes]]:
    """Split what the server sent on one connection into (status, headers, body), one per request sent."""
    answers = []
    for method in methods:
        head, _, raw = raw.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in header_lines)}
        length = 0 if method == "HEAD" else int(headers.get("content-length", "0"))
        answers.append((int(status_line.split()[1]), headers, raw[:length]))
        raw = raw[length:]
    assert raw == b"", "nothing is left over after the last answer"
    return answers


def test_answers_without_a_body_and_pipelined_requests_come_whole_and_in_order(server: Server) -> None:
    """The head of each answer waits to leave with its body: an answer with no body (HEAD, 304) must not keep it."""
    list_path = "/api/v1/articles/pipelined/comments"
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=10) as client:
        etag = client.get(list_path).headers["etag"]
    requests = [
        ("GET", "/health", ""),
        ("HEAD", list_path, ""),  # no route takes HEAD: a 405 whose body uvicorn leaves out
        ("GET", list_path, f"If-None-Match: {etag}\r\n"),
        ("GET", list_path, "Connection: close\r\n"),
    ]
    with _connect(server.port) as sock:
        sock.sendall(b"".join(f"{m} {p} HTTP/1.1\r\nHost: 127.0.0.1\r\n{h}\r\n".encode() for m, p, h in requests))
        raw = _read_all(sock)
    answers = _answers(raw, [method for method, _, _ in requests])
    assert [status for status, _, _ in answers] == [200, 405, 304, 200]
    assert json.loads(answers[0][2])["status"] == "ok"
    assert answers[1][2] == b"" and answers[2][2] == b""
    assert json.loads(answers[3][2])["total"] == 0


def test_a_body_past_the_limit_is_413_announced_or_chunked(server: Server) -> None:
    """Refused on the announced length before the body is read, and on the bytes received when none is announced."""
    limit = server.settings.request_max_bytes
    with _connect(server.port) as sock:
        sock.sendall(_head(b"x" * (limit + 1), path="/api/v1/articles/too-large/comments"))  # the head alone
        announced = sock.recv(65536)
    chunk = json.dumps(reply("y" * 4000)).encode()
    pieces = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(limit // len(chunk) + 1)) + b"0\r\n\r\n"
    with _connect(server.port) as sock:
        sock.sendall(
            b"POST /api/v1/articles/too-large/comments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + pieces
        )
        chunked = _read_all(sock)
    for answer in (announced, chunked):
        assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert _stored(server.settings, "too-large") == 0
