"""`replyguard article import`: operators register articles in bulk from JSON lines, idempotently, stopping at a bad
line with the lines before it imported."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from service.domain import articles
from service.errors import InvalidInput
from service.settings import Settings
from service.storage.database import opened
from tests.commands import run_cli, run_installed_cli
from tests.conftest import SITE
from tests.replies import POLITE, reply

LINES: list[dict[str, Any]] = [
    {"article_id": "budget-vote", "title": "Budget vote", "url": f"{SITE}/budget", "excerpt": "The council voted."},
    {"article_id": "bridge", "title": "Bridge repairs", "status": "premoderated"},
    {"article_id": "described-by-page", "title": "Harbour", "url": None},
]


def _cli(*args: str, settings: Settings, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={"REPLYGUARD_DATABASE_URL": settings.database_url}, stdin=stdin)


def _file(tmp_path: Path, lines: list[Any]) -> str:
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n\n")
    return str(path)


def _get(client: TestClient[Any], headers: dict[str, str], article_id: str) -> Any:
    response = client.get(f"/api/v1/articles/{article_id}", headers=headers)
    return response.json() if response.status_code == 200 else response.status_code


def test_import_registers_articles_as_the_operators_and_again_changes_nothing(
    settings: Settings, client: TestClient[Any], admin_headers: dict[str, str], tmp_path: Path
) -> None:
    page = {"article_title": "Page title", "article_url": f"{SITE}/harbour"}
    client.post("/api/v1/articles/described-by-page/comments", json=reply(POLITE[0], **page))
    path = _file(tmp_path, LINES)

    first = _cli("article", "import", path, settings=settings)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1] == "imported 3 articles (2 new, 1 updated)"
    state = {line["article_id"]: _get(client, admin_headers, line["article_id"]) for line in LINES}
    assert state["budget-vote"]["excerpt"] == "The council voted." and state["budget-vote"]["url"] == f"{SITE}/budget"
    assert state["bridge"]["status"] == "premoderated" and state["bridge"]["url"] is None
    # The operator's line replaces what the page said, url: null included.
    assert (state["described-by-page"]["title"], state["described-by-page"]["url"]) == ("Harbour", None)
    assert {article["metadata_source"] for article in state.values()} == {"operator"}

    again = _cli("article", "import", path, settings=settings)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == "imported 3 articles (0 new, 3 updated)"
    assert {line["article_id"]: _get(client, admin_headers, line["article_id"]) for line in LINES} == state


def test_import_stops_at_a_bad_line_naming_it_and_its_field(
    settings: Settings, client: TestClient[Any], admin_headers: dict[str, str], tmp_path: Path
) -> None:
    bad = {"article_id": "bad-url", "url": "javascript:alert(1)"}
    done = _cli("article", "import", _file(tmp_path, [LINES[0], bad, LINES[1]]), settings=settings)
    assert done.returncode == 2
    assert "line 2: url: must be an http or https URL" in done.stderr
    assert "nothing from line 2 on was imported; 1 articles before it were" in done.stderr
    assert _get(client, admin_headers, "budget-vote")["title"] == "Budget vote"
    assert _get(client, admin_headers, "bad-url") == 404
    assert _get(client, admin_headers, "bridge") == 404


def test_import_reads_standard_input(
    settings: Settings, client: TestClient[Any], admin_headers: dict[str, str]
) -> None:
    # The installed script as a child process: a real pipe on standard input (read as bytes).
    env = {"REPLYGUARD_DATABASE_URL": settings.database_url}
    done = run_installed_cli("article", "import", "-", env=env, stdin=json.dumps(LINES[1]) + "\n")
    assert done.returncode == 0, done.stderr
    assert _get(client, admin_headers, "bridge")["title"] == "Bridge repairs"


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("not json", "line"),
        ("[1, 2]", "line"),
        (b"\xff\xfe{}", "line"),
        ({"title": "No id"}, "article_id"),
        ({"article_id": "no spaces allowed"}, "article_id"),
        ({"article_id": "a", "titel": "Typo"}, "titel"),
        ({"article_id": "a", "excerpt": "x" * 20_001}, "excerpt"),
        ({"article_id": "a", "status": None}, "status"),
    ],
)
def test_bad_lines_are_refused_by_field(line: Any, field: str) -> None:
    text = line if isinstance(line, str | bytes) else json.dumps(line)
    with pytest.raises(InvalidInput) as caught:
        articles.parse_import_line(text)
    assert [error.field for error in caught.value.errors] == [field]


def test_lines_before_a_bad_one_are_committed_across_batches(
    settings: Settings, client: TestClient[Any], admin_headers: dict[str, str]
) -> None:
    lines = [json.dumps({"article_id": f"a{n}", "title": f"Article {n}"}) for n in range(1, 4)]
    lines += ['{"article_id": "a4", "url": "ftp://x"}', json.dumps({"article_id": "a5", "title": "After"})]

    async def run() -> articles.BadLine:
        async with opened(settings) as db:
            with pytest.raises(articles.BadLine) as caught:
                await articles.import_articles(db, lines, batch=2)
        return caught.value

    bad = asyncio.run(run())
    assert bad.number == 4 and bad.done == articles.ImportCounts(created=3)
    assert [_get(client, admin_headers, f"a{n}") == 404 for n in range(1, 6)] == [False, False, False, True, True]
