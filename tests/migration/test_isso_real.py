"""A real Isso (0.14.0, from PyPI, in its own virtualenv: bench/isso_peer.py) takes comments through its own HTTP API,
published ones, replies, an edit, a delete and, once the site turns moderation on, held ones; then
`replyguard import isso` reads its database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from bench.isso_peer import ensure_isso_env, start_isso, stop_isso
from service.settings import Settings
from tests.migration.test_import import importing
from tests.servers import free_port

URI = "/2024/05/talks/"
TIMEOUT = 10.0


@pytest.fixture(scope="module")
def isso_bin() -> Path:
    return ensure_isso_env()


@contextmanager
def running_isso(workdir: Path, isso_bin: Path, *, moderation: bool) -> Iterator[httpx.Client]:
    """Isso on loopback with its database in `workdir`; a client that keeps Isso's cookies (its edit rights)."""
    port = free_port()
    process = start_isso(workdir, port, bin_dir=isso_bin, moderation=moderation)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=TIMEOUT) as client:
            yield client
    finally:
        stop_isso(process)


def _post(client: httpx.Client, expected: int, **fields: Any) -> int:
    response = client.post("/new", params={"uri": URI}, json={"title": "Talks resume", **fields})
    assert response.status_code == expected, response.text
    return int(response.json()["id"])


def test_an_isso_database_imports_with_its_threads_statuses_edits_and_deletes(
    isso_bin: Path,
    tmp_path: Path,
    settings: Settings,
    client: TestClient[Any],
    moderator_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    with running_isso(tmp_path, isso_bin, moderation=False) as isso:
        first = _post(isso, 201, text="Good to see the *talks* resume.", author="Olena", email="olena@mail.example")
        reply = _post(isso, 201, text="Agreed, finally.", author="Jonas", parent=first)
        doomed = _post(isso, 201, text="A remark I will take back.", author="Marc", email="marc@mail.example")
        _post(isso, 201, text="Replying to Marc.", author="Ines", parent=doomed)
        lonely = _post(isso, 201, text="Posted and deleted at once.", author="Tom")
        edited = isso.put(f"/id/{reply}", json={"text": "Agreed, at long last."})
        assert edited.status_code == 200, edited.text
        # Isso keeps a deleted comment with replies as a placeholder (mode 4); one without replies goes.
        assert isso.delete(f"/id/{doomed}").status_code == 200
        assert isso.delete(f"/id/{lonely}").status_code == 200
    with running_isso(tmp_path, isso_bin, moderation=True) as isso:
        _post(isso, 202, text="Held for the site's moderators.", author="Pia", email="pia@mail.example")

    result = importing(settings, "isso", str(tmp_path / "comments.db"), "--base-url", "https://news.example")
    assert result.returncode == 0, result.stderr
    assert "5 replies in the file: imported 5, 0 already imported" in result.stdout

    thread = client.get("/api/v1/articles/2024-05-talks/comments").json()
    shape = [
        (item["name"], item["body"], [(r["name"], r["body"]) for r in item["replies"]]) for item in thread["items"]
    ]
    assert shape == [("Olena", "Good to see the *talks* resume.", [("Jonas", "Agreed, at long last.")])]
    queue = client.get("/api/v1/moderation/queue", params={"status": "pending"}, headers=moderator_headers).json()
    assert [(item["name"], item["body"], item["email"]) for item in queue["items"]] == [
        ("Pia", "Held for the site's moderators.", "pia@mail.example")
    ]
    rejected = client.get("/api/v1/moderation/queue", params={"status": "rejected"}, headers=moderator_headers).json()
    # The placeholder comes as rejected ("deleted"), without the name Isso dropped or the address it left behind
    # (an imported reply without an address shows an empty one, and has no author history).
    assert [(item["name"], item["body"], item["email"]) for item in rejected["items"]] == [("Anonymous", "", "")]
    assert rejected["items"][0]["author_history"] == {"published": 0, "pending": 0, "rejected": 0}
    article = client.get("/api/v1/articles/2024-05-talks", headers=admin_headers).json()
    assert (article["title"], article["url"]) == ("Talks resume", "https://news.example/2024/05/talks/")

    again = importing(settings, "isso", str(tmp_path / "comments.db"))
    assert again.returncode == 0 and "imported 0, 5 already imported" in again.stdout
