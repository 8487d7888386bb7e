"""`replyguard import FORMAT FILE`: a site's history from WordPress, Disqus, Isso and Remark42, checked through the
HTTP API readers and moderators use. The files in tests/migration/files are written for these tests from each
format's documentation and writers (docs/migration.md)."""

from __future__ import annotations

import asyncio
import gzip
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from service.domain import imports, labels
from service.formats.records import MalformedSource, SourceArticle, SourceComment, SourceItem
from service.settings import Settings
from service.storage import privacy as privacy_store
from service.storage.database import opened
from service.storage.tables import comments, metadata
from tests.commands import run_cli

FILES = Path(__file__).parent / "files"
ADDRESSES = ("192.0.2.4", "192.0.2.5", "2001:db8::1", "198.51.100.9", "3f786850e387550fdab836ed7e6dc881de23001b")


def importing(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "import", *args, env={"REPLYGUARD_DATABASE_URL": settings.database_url, "REPLYGUARD_LOG_LEVEL": "WARNING"}
    )


def isso_database(folder: Path) -> Path:
    """An Isso database as Isso 0.13 lays it out (its own CREATE statements), with the rows of files/isso-schema.sql."""
    path = folder / "comments.db"
    with sqlite3.connect(path) as conn:
        conn.executescript((FILES / "isso-schema.sql").read_text())
    return path


def remark42_backup(folder: Path) -> Path:
    """A Remark42 backup as Remark42 writes it: gzip-compressed JSON lines."""
    path = folder / "backup-blog-20210305.gz"
    path.write_bytes(gzip.compress((FILES / "remark42.jsonl").read_bytes()))
    return path


def _source(fmt: str, folder: Path) -> Path:
    if fmt == "isso":
        return isso_database(folder)
    if fmt == "remark42":
        return remark42_backup(folder)
    return FILES / {"wordpress": "wordpress.xml", "disqus": "disqus.xml"}[fmt]


def _thread(client: TestClient[Any], article_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/articles/{article_id}/comments", params={"limit": 100})
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def _shape(items: list[dict[str, Any]]) -> list[Any]:
    """Who replied to whom, as readers see it: [(name, first words, [replies...]), ...]."""
    return [(item["name"], item["body"][:20], _shape(item["replies"])) for item in items]


def _all_comments(settings: Settings) -> list[Any]:
    async def read() -> list[Any]:
        async with opened(settings) as db, db.read() as conn:
            return list((await conn.execute(select(comments).order_by(comments.c.created_at))).all())

    return asyncio.run(read())


def _everything_stored(settings: Settings) -> str:
    """Every value in every table, as text: what a leak of the database would show."""

    async def read() -> str:
        async with opened(settings) as db, db.read() as conn:
            dump = []
            for table in metadata.sorted_tables:
                for row in (await conn.execute(select(table))).all():
                    dump.append(repr(tuple(row)))
            return "\n".join(dump)

    return asyncio.run(read())


# (format, article id, the thread readers see, pending names, rejected (name, reason))
EXPECTED = {
    "wordpress": (
        "wp-7",
        [
            (
                "Mia",
                "Great! a]]>b",
                [
                    (
                        "Bo",
                        "Agreed \u2013 thanks",
                        [
                            (
                                "Eve",
                                "First paragraph.\n\nSe",
                                [
                                    ("Dee «quoted»", "A reply written befo", []),
                                ],
                            )
                        ],
                    )
                ],
            )
        ],
        {"Cy"},
        {("cheap pills", "spam"), ("Fay", "deleted")},
    ),
    "disqus": (
        "post-7",
        [("Mia", "Great post", [("Guest Bo", "Agreed", [])])],
        set(),
        {("pills", "spam"), ("Cy", "deleted")},
    ),
    "isso": (
        "2021-03-tea",
        [("Mia", "Great post *indeed*", [("Bo", "Agreed", [])])],
        {"Cy"},
        {("Anonymous", "deleted")},
    ),
    "remark42": (
        "2021-03-tea",
        [("Mia", "Great post", [("Bo", "Agreed", [])])],
        set(),
        {("pills", "author_blocked"), ("deleted", "deleted")},
    ),
}


@pytest.mark.parametrize("fmt", sorted(EXPECTED))
def test_import_keeps_threads_statuses_and_times_and_again_changes_nothing(
    fmt: str,
    settings: Settings,
    client: TestClient[Any],
    moderator_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    article_id, shape, pending, rejected = EXPECTED[fmt]
    source = _source(fmt, tmp_path)

    dry = importing(settings, fmt, str(source), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would import" in dry.stdout
    assert _all_comments(settings) == []  # a dry run writes nothing

    first = importing(settings, fmt, str(source))
    assert first.returncode == 0, first.stderr
    thread = _thread(client, article_id)
    assert _shape(thread["items"]) == shape
    stored = _all_comments(settings)
    assert {row.name for row in stored if row.status == "pending"} == pending
    decided = {}
    for row in stored:
        item = client.get(f"/api/v1/moderation/comments/{row.id}", headers=moderator_headers).json()
        (decision,) = item["decisions"]
        assert (decision["actor"], decision["from_status"], decision["to_status"]) == ("import", None, row.status)
        if row.status == "rejected":
            decided[row.name] = decision["reason"]
    assert set(decided.items()) == rejected
    # Times are the source's, in UTC.
    assert thread["items"][0]["created_at"].startswith("2021-03-02T11:00:00")
    # Emails are stored privately, as submissions' are; addresses are never stored at all.
    assert "@" not in repr(thread)
    assert any(row.email.endswith("@mail.example") for row in stored)
    dump = _everything_stored(settings)
    assert not [address for address in ADDRESSES if address in dump]

    again = importing(settings, fmt, str(source))
    assert again.returncode == 0, again.stderr
    assert f"imported 0, {len(stored)} already imported" in again.stdout
    assert [row.id for row in _all_comments(settings)] == [row.id for row in stored]
    assert _thread(client, article_id) == thread


def test_wordpress_articles_titles_urls_closed_posts_and_skipped_pingbacks(
    settings: Settings, client: TestClient[Any], admin_headers: dict[str, str]
) -> None:
    result = importing(settings, "wordpress", str(FILES / "wordpress.xml"))
    assert result.returncode == 0, result.stderr
    assert "skipped 1: pingback (not a reader's reply)" in result.stdout
    assert "1 replies whose parent is not in the file (or was skipped or erased)" in result.stdout
    post = client.get("/api/v1/articles/wp-7", headers=admin_headers).json()
    assert (post["title"], post["url"], post["status"]) == (
        "Tea & biscuits",
        "https://blog.example/2021/03/tea/",
        "open",
    )
    assert post["published_count"] == 4 and post["metadata_source"] == "operator"
    page = client.get("/api/v1/articles/wp-9", headers=admin_headers).json()
    assert (page["title"], page["status"]) == ("About", "closed")  # a page without comments, comments closed
    assert client.get("/api/v1/articles/wp-10", headers=admin_headers).status_code == 404  # an attachment
    # A link in the HTML keeps its address beside its words: what a spam label is about.
    (dee,) = [row for row in _all_comments(settings) if row.name.startswith("Dee")]
    assert dee.body.endswith("my notes (https://dee.example/page)") and dee.depth == 3
    (eve,) = [row for row in _all_comments(settings) if row.name == "Eve"]
    assert eve.email == "" and eve.website is None  # "not an address" and a javascript: URL are not kept


def test_a_namespace_and_an_article_prefix_tell_two_sites_apart(settings: Settings) -> None:
    first = importing(settings, "wordpress", str(FILES / "wordpress.xml"))
    second = importing(
        settings, "wordpress", str(FILES / "wordpress.xml"), "--namespace", "archive", "--article-prefix", "old-"
    )
    assert first.returncode == second.returncode == 0, second.stderr
    by_article: dict[str, int] = {}
    for row in _all_comments(settings):
        by_article[row.article_id] = by_article.get(row.article_id, 0) + 1
    assert by_article == {"wp-7": 7, "old-7": 7}


@pytest.mark.parametrize(
    ("fmt", "damage", "where"),
    [
        ("wordpress", lambda data: data[: len(data) * 2 // 3], "line "),
        ("wordpress", lambda data: data.replace(b"<wp:comment_id>14</wp:comment_id>", b""), "comment ?"),
        ("disqus", lambda data: data.replace(b"</post>", b"</pots>", 1), "line "),
        ("disqus", lambda data: data.replace(b"2021-03-03T00:00:00Z", b"2021-x03-03"), "post 3 (dsq:id 9003)"),
        ("remark42", lambda data: data + b'{"id": "c-9", "pid": "", "text": "cut', "line 6"),
        ("remark42", lambda data: data.replace(b'"time":"2021-03-03T00:00:00Z"', b'"time":"yesterday"'), "line 4"),
    ],
)
def test_a_malformed_file_stops_naming_where_and_why_and_imports_nothing(
    fmt: str, damage: Any, where: str, settings: Settings, tmp_path: Path
) -> None:
    original = _source(fmt, tmp_path)
    data = gzip.decompress(original.read_bytes()) if fmt == "remark42" else original.read_bytes()
    broken = tmp_path / "broken"
    broken.write_bytes(damage(data))
    result = importing(settings, fmt, str(broken))
    assert result.returncode == 2
    assert where in result.stderr and "nothing was imported" in result.stderr
    assert _all_comments(settings) == []


def test_a_file_that_is_not_isso_stops_naming_the_table(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE threads (id INTEGER PRIMARY KEY, uri TEXT, title TEXT)")
    result = importing(settings, "isso", str(path))
    assert result.returncode == 2
    assert "table comments: is missing: this is not an Isso database" in result.stderr
    missing = importing(settings, "isso", str(tmp_path / "nothing.db"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_xml_entities_are_refused_so_no_bomb_or_file_read_gets_through(settings: Settings, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<rss><channel><item><title>&b;</title></item></channel></rss>"
    )
    result = importing(settings, "wordpress", str(bomb))
    assert result.returncode == 2 and "refused" in result.stderr


def test_imported_history_teaches_the_model_only_when_asked(settings: Settings, tmp_path: Path) -> None:
    async def site_rows() -> list[Any]:
        async with opened(settings) as db, db.read() as conn:
            return await labels.moderator_labels(conn)

    assert importing(settings, "wordpress", str(FILES / "wordpress.xml")).returncode == 0
    assert asyncio.run(site_rows()) == []
    assert importing(settings, "disqus", str(FILES / "disqus.xml"), "--as-labels").returncode == 0
    rows = asyncio.run(site_rows())
    # Published replies teach "neither", spam teaches spam; the deleted one teaches nothing.
    assert sorted((row.text, row.spam, row.abuse, row.source) for row in rows) == [
        ("Agreed", 0, 0, "imported"),
        ("Great post", 0, 0, "imported"),
        ("buy now", 1, None, "imported"),
    ]


def test_a_purged_reply_is_not_brought_back_by_importing_the_file_again(settings: Settings) -> None:
    assert importing(settings, "disqus", str(FILES / "disqus.xml")).returncode == 0
    (spam,) = [row for row in _all_comments(settings) if row.name == "pills"]

    async def purge() -> None:
        async with opened(settings) as db, db.write() as conn:
            await privacy_store.delete_comments(conn, [spam.id])

    asyncio.run(purge())
    again = importing(settings, "disqus", str(FILES / "disqus.xml"))
    assert again.returncode == 0 and "imported 0, 4 already imported" in again.stdout
    assert "pills" not in {row.name for row in _all_comments(settings)}


def test_a_reply_whose_parent_comes_later_in_the_file_is_written_in_its_thread(settings: Settings) -> None:
    """Dee (comment 16) is listed before her parent Eve (15): a second pass over the file places her."""
    result = importing(settings, "wordpress", str(FILES / "wordpress.xml"))
    assert result.returncode == 0
    by_name = {row.name: row for row in _all_comments(settings)}
    dee, eve = by_name["Dee «quoted»"], by_name["Eve"]
    assert dee.parent_id == eve.id and dee.root_id == by_name["Mia"].id


def test_a_comment_the_plugin_already_sent_is_linked_not_copied(
    settings: Settings, client: TestClient[Any], tmp_path: Path
) -> None:
    """A site runs the WordPress plugin, then imports its older history: the export also holds the comments the
    plugin sent, each with its replyguard id in its meta. They are linked (their replies attach to them), not copied."""
    sent = client.post(
        "/api/v1/articles/wp-7/comments",
        json={"name": "Mia", "email": "mia@mail.example", "body": "Great! Sent through the plugin."},
    )
    assert sent.status_code == 201
    meta = (
        "<wp:commentmeta><wp:meta_key><![CDATA[replyguard_id]]></wp:meta_key>"
        f"<wp:meta_value><![CDATA[{sent.json()['id']}]]></wp:meta_value></wp:commentmeta>"
    )
    export = tmp_path / "with-plugin.xml"
    export.write_text(
        (FILES / "wordpress.xml")
        .read_text()
        .replace(
            "<wp:comment_parent>0</wp:comment_parent><wp:comment_user_id>0</wp:comment_user_id></wp:comment>",
            "<wp:comment_parent>0</wp:comment_parent>" + meta + "</wp:comment>",
            1,
        )
    )
    dry = importing(settings, "wordpress", str(export), "--dry-run")
    assert "7 replies in the file: would import 6, 0 already imported" in dry.stdout
    assert "1 of them are already in replyguard (sent by its WordPress plugin): would be linked" in dry.stdout

    result = importing(settings, "wordpress", str(export))
    assert result.returncode == 0, result.stderr
    assert "1 of them are already in replyguard (sent by its WordPress plugin): linked, not copied" in result.stdout
    stored = {row.name: row for row in _all_comments(settings)}
    assert len(_all_comments(settings)) == 7 and stored["Mia"].body == "Great! Sent through the plugin."
    assert stored["Bo"].parent_id == stored["Mia"].id

    again = importing(settings, "wordpress", str(export))
    assert "imported 0, 7 already imported" in again.stdout and len(_all_comments(settings)) == 7


def test_a_file_that_changes_after_its_check_stops_between_two_committed_batches(settings: Settings) -> None:
    """The check reads the file whole, but the import reads it again: if it went bad meanwhile, the import stops
    after the batches already committed (a re-run finishes it once the file is right), never inside one."""
    good: list[SourceItem] = [
        SourceArticle(source_id="1", article_id="changing"),
        *(
            SourceComment(
                source_id=str(n), article_source_id="1", parent_source_id=None, name="Ana", email=None, website=None,
                body=f"Reply {n}", created_at=datetime(2021, 1, 1, tzinfo=UTC), status="published",
            )
            for n in range(1, 6)
        ),
    ]  # fmt: skip
    reads = 0

    def items() -> Iterator[SourceItem]:
        nonlocal reads
        reads += 1
        for index, item in enumerate(good):
            if reads > 1 and index == 4:
                raise MalformedSource("line 5", "changed since it was checked")
            yield item

    options = imports.ImportOptions(source="test", batch=2)

    async def run() -> None:
        async with opened(settings) as db:
            report = await imports.survey(db, items, options)
            with pytest.raises(MalformedSource):
                await imports.import_items(db, items, options, report)

    asyncio.run(run())
    assert [row.body for row in _all_comments(settings)] == ["Reply 1", "Reply 2", "Reply 3"]
