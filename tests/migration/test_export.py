"""`replyguard export`: everything a site owns, as JSON lines or WXR, and both read back by `replyguard import` into a
fresh database with the same threads, statuses, times and decisions."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from service.settings import Settings
from tests.commands import run_cli
from tests.migration.test_import import FILES, isso_database
from tests.replies import POLITE, reply


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={"REPLYGUARD_DATABASE_URL": database_url, "REPLYGUARD_LOG_LEVEL": "WARNING"})


def _site(settings: Settings, client: TestClient[Any], moderator_headers: dict[str, str], tmp_path: Path) -> None:
    """A site with imported history and replies of its own, one of them decided by a moderator."""
    assert cli(settings.database_url, "import", "wordpress", str(FILES / "wordpress.xml")).returncode == 0
    assert cli(settings.database_url, "import", "isso", str(isso_database(tmp_path))).returncode == 0
    answer = client.post("/api/v1/articles/wp-7/comments", json=reply(POLITE[0], name="Gus", email="gus@mail.example"))
    assert answer.status_code == 201
    decided = client.post(
        f"/api/v1/moderation/comments/{answer.json()['id']}/decision",
        json={"action": "reject", "reason": "off_topic"},
        headers=moderator_headers,
    )
    assert decided.status_code == 200


def _records(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["type"] == "replyguard-export" and lines[0]["version"] == 1
    return [x for x in lines if x["type"] == "article"], [x for x in lines if x["type"] == "comment"]


def _threads(comments: list[dict[str, Any]], *, whole_seconds: bool = False) -> set[tuple[Any, ...]]:
    """Each reply with its parent named by content, not by id (ids are new in another database). WordPress keeps
    times to the second."""
    by_id = {c["id"]: c for c in comments}

    def key(c: dict[str, Any]) -> tuple[Any, ...]:
        return (c["article_id"], c["name"], c["body"], c["created_at"][:19] if whole_seconds else c["created_at"])

    return {
        (*key(c), c["status"], c["email"], key(by_id[c["parent_id"]]) if c["parent_id"] else None) for c in comments
    }


def test_jsonl_export_holds_everything_and_imports_back_the_same(
    settings: Settings, client: TestClient[Any], moderator_headers: dict[str, str], tmp_path: Path
) -> None:
    _site(settings, client, moderator_headers, tmp_path)
    exported = tmp_path / "site.jsonl"
    result = cli(settings.database_url, "export", "--output", str(exported))
    assert result.returncode == 0, result.stderr
    articles, comments = _records(exported)
    assert {a["id"] for a in articles} == {"wp-7", "wp-9", "2021-03-tea"}
    assert len(comments) == 7 + 5 + 1
    (gus,) = [c for c in comments if c["name"] == "Gus"]
    assert gus["email"] == "gus@mail.example"  # the site's own export keeps what it owns
    assert [(d["actor"], d["to_status"]) for d in gus["decisions"]] == [
        ("model", "published"),
        ("moderator", "rejected"),
    ]
    assert gus["decisions"][-1]["reason"] == "off_topic" and gus["decisions"][-1]["moderator"]

    elsewhere = f"sqlite+aiosqlite:///{tmp_path / 'elsewhere.db'}"
    back = cli(elsewhere, "import", "replyguard", str(exported))
    assert back.returncode == 0, back.stderr
    assert "imported 13, 0 already imported" in back.stdout
    again = tmp_path / "again.jsonl"
    assert cli(elsewhere, "export", "--output", str(again)).returncode == 0
    articles_again, comments_again = _records(again)
    assert [(a["id"], a["title"], a["url"], a["status"]) for a in articles_again] == [
        (a["id"], a["title"], a["url"], a["status"]) for a in articles
    ]
    assert _threads(comments_again) == _threads(comments)


def test_wxr_export_reads_back_as_wordpress_with_the_same_threads(
    settings: Settings, client: TestClient[Any], moderator_headers: dict[str, str], tmp_path: Path
) -> None:
    _site(settings, client, moderator_headers, tmp_path)
    wxr = tmp_path / "site.xml"
    result = cli(
        settings.database_url, "export", "--format", "wxr", "--site-url", "https://blog.example/", "--output", str(wxr)
    )
    assert result.returncode == 0, result.stderr
    text = wxr.read_text()
    assert text.count("<item>") == 3 and "<wp:comment_approved><![CDATA[spam]]></wp:comment_approved>" in text
    assert "192.0.2" not in text  # no address was kept to export

    jsonl = tmp_path / "site.jsonl"
    assert cli(settings.database_url, "export", "--output", str(jsonl)).returncode == 0
    _, comments = _records(jsonl)

    elsewhere = f"sqlite+aiosqlite:///{tmp_path / 'elsewhere.db'}"
    back = cli(elsewhere, "import", "wordpress", str(wxr))
    assert back.returncode == 0, back.stderr
    again = tmp_path / "again.jsonl"
    assert cli(elsewhere, "export", "--output", str(again)).returncode == 0
    articles_again, comments_again = _records(again)
    # The article ids come back (WXR carries them in wp:post_name); WordPress has one kind of rejection besides spam.
    assert {a["id"] for a in articles_again} == {"wp-7", "wp-9", "2021-03-tea"}

    assert _threads(comments_again, whole_seconds=True) == _threads(comments, whole_seconds=True)


def test_export_of_one_article_and_of_an_unknown_one(
    settings: Settings, client: TestClient[Any], moderator_headers: dict[str, str], tmp_path: Path
) -> None:
    _site(settings, client, moderator_headers, tmp_path)
    one = tmp_path / "one.jsonl"
    assert cli(settings.database_url, "export", "--article", "2021-03-tea", "--output", str(one)).returncode == 0
    articles, comments = _records(one)
    assert [a["id"] for a in articles] == ["2021-03-tea"] and len(comments) == 5
    missing = tmp_path / "missing.jsonl"
    result = cli(settings.database_url, "export", "--article", "nope", "--output", str(missing))
    assert result.returncode == 2 and "no article nope" in result.stderr
    assert not missing.exists() and not list(tmp_path.glob("*.partial"))  # no half file left behind
