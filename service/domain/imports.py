"""Importing a site's history from the system it leaves (`replyguard import FORMAT FILE`): articles with their titles
and URLs, replies in their threads with their times and statuses, in short write transactions.

How it stays safe and small:
- The file is read through once before anything is written (`survey`): a malformed file stops there, with the line
  or element and the reason, and nothing is imported. The same pass counts what a `--dry-run` reports.
- Then it is read again and written in batches of BATCH items, one transaction each, so replies keep flowing to the
  running service. Memory stays bounded: a batch, and a bounded cache of where recent replies sit; everything else is
  looked up in `imported_items`, which also makes a re-import change nothing.
- A reply is written only once its parent is, so every reply is stored in its thread from its first moment. A reply
  that comes before its parent in the file waits for another pass over the file; one whose parent is not in the file
  at all (or was erased since) is placed at the top level, and counted.
- Statuses: published, pending (held for a person) or rejected with the source's reason (spam, deleted). Each reply's
  status is recorded as a decision whose actor is "import", so the audit trail says where it came from. IP addresses
  are never read into a record; emails are stored as submissions store them, and never printed.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from classifier.language import detect_language
from service.formats import article_ids
from service.formats.records import SourceArticle, SourceComment, SourceItem, SourceSkipped
from service.ids import new_id
from service.rules.validation import ARTICLE_TITLE_MAX
from service.storage import articles as article_store
from service.storage import comments as comment_store
from service.storage import imported as imported_store
from service.storage.database import Database
from service.storage.imported import ImportedPlace

BATCH = 2_000  # items per write transaction: a few tens of milliseconds, so submissions are not held up for long
PLACES_KEPT = 50_000  # where recent replies sit, kept for their replies (bounded: LRU)
MAX_PASSES = 8  # passes over the file for replies that come before their parents; then they go to the top level
NO_EMAIL = ""  # what an imported reply without a (valid) address stores: never shown, never mailed

Items = Callable[[], Iterable[SourceItem]]


@dataclass(slots=True)
class ImportReport:
    """What an import found and did. `new_*`: written by this run; `known_*`: imported by an earlier run."""

    articles: int = 0
    comments: int = 0
    new_articles: int = 0
    known_articles: int = 0
    new_comments: int = 0
    known_comments: int = 0
    statuses: Counter[str] = field(default_factory=Counter)  # of the file's replies: "published", "rejected: spam"...
    linked: int = 0  # already in replyguard (sent by its WordPress plugin): linked, not copied
    without_email: int = 0
    moved_to_top_level: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # not replies: pingbacks, trackbacks...
    passes: int = 0

    def lines(self, *, dry_run: bool) -> list[str]:
        verb = "would import" if dry_run else "imported"
        lines = [
            f"{self.articles:,} articles in the file: {verb} {self.new_articles:,}, "
            f"{self.known_articles:,} already imported",
            f"{self.comments:,} replies in the file: {verb} {self.new_comments:,}, "
            f"{self.known_comments:,} already imported",
        ]
        if self.linked:
            lines.append(
                f"{self.linked:,} of them are already in replyguard (sent by its WordPress plugin): "
                f"{'would be ' if dry_run else ''}linked, not copied"
            )
        for status, count in sorted(self.statuses.items()):
            lines.append(f"  {status}: {count:,}")
        if self.without_email:
            lines.append(f"{self.without_email:,} replies have no valid email address (stored without one)")
        for kind, count in sorted(self.skipped.items()):
            lines.append(f"skipped {count:,}: {kind}")
        if self.moved_to_top_level:
            lines.append(
                f"{self.moved_to_top_level:,} replies whose parent is not in the file (or was skipped or erased) "
                "were placed at the top level"
            )
        return lines


@dataclass(frozen=True, slots=True)
class ImportOptions:
    source: str  # the format, with the operator's namespace: "wordpress", "disqus:archive"
    as_labels: bool = False  # teach the model the site's standard from its moderated history
    batch: int = BATCH


Progress = Callable[[ImportReport, int], None]  # (report so far, items of the file read in this pass)


def status_label(comment: SourceComment) -> str:
    return f"{comment.status}: {comment.reason}" if comment.reason else comment.status


async def survey(db: Database, items: Items, options: ImportOptions, progress: Progress | None = None) -> ImportReport:
    """Read the whole file, check it, and count what it holds and what earlier imports already brought in. Writes
    nothing; raises MalformedSource (from the format's reader) for a file that cannot be read."""
    report = ImportReport()
    articles_seen: list[str] = []
    comments_seen: list[SourceComment] = []

    async def count_known() -> None:
        async with db.read() as conn:
            report.known_articles += len(
                await imported_store.known_source_ids(conn, options.source, "article", articles_seen)
            )
            known = await imported_store.known_source_ids(
                conn, options.source, "comment", [c.source_id for c in comments_seen]
            )
            report.known_comments += len(known)
            fresh = [c for c in comments_seen if c.source_id not in known]
            report.linked += len(await imported_store.existing_places(conn, _replyguard_ids(fresh)))
        articles_seen.clear()
        comments_seen.clear()

    for item in items():
        if isinstance(item, SourceSkipped):
            report.skipped[item.kind] += 1
        elif isinstance(item, SourceArticle):
            report.articles += 1
            articles_seen.append(item.source_id)
        else:
            report.comments += 1
            comments_seen.append(item)
            report.statuses[status_label(item)] += 1
            report.without_email += item.email is None
        if len(articles_seen) + len(comments_seen) >= options.batch:
            await count_known()
            if progress:
                progress(report, report.articles + report.comments)
    await count_known()
    report.new_articles = report.articles - report.known_articles
    report.new_comments = report.comments - report.known_comments - report.linked
    return report


def _replyguard_id(comment: SourceComment) -> uuid.UUID | None:
    """The reply's id in replyguard, if the source gave a well-formed one (anything else: imported like any other)."""
    if not comment.replyguard_id:
        return None
    try:
        return uuid.UUID(comment.replyguard_id)
    except ValueError:
        return None


def _replyguard_ids(comments: Iterable[SourceComment]) -> set[uuid.UUID]:
    return {found for found in map(_replyguard_id, comments) if found is not None}


@dataclass(slots=True)
class _Run:
    """One import's state between batches: bounded caches, and what this run has written."""

    options: ImportOptions
    report: ImportReport
    article_ids: OrderedDict[str, str] = field(default_factory=OrderedDict)
    places: OrderedDict[str, ImportedPlace] = field(default_factory=OrderedDict)
    deferred: int = 0
    written_this_pass: int = 0

    def keep_article(self, source_id: str, article_id: str) -> None:
        _keep(self.article_ids, source_id, article_id)

    def keep_place(self, source_id: str, place: ImportedPlace) -> None:
        _keep(self.places, source_id, place)


def _keep(cache: OrderedDict[str, Any], key: str, value: Any) -> None:
    cache[key] = value
    cache.move_to_end(key)
    if len(cache) > PLACES_KEPT:
        cache.popitem(last=False)


async def import_items(
    db: Database, items: Items, options: ImportOptions, report: ImportReport, progress: Progress | None = None
) -> ImportReport:
    """Write what `survey` found (call it first: it is what checks the file). Passes over the file until every reply
    is written, in its thread or, when its parent never comes, at the top level."""
    run = _Run(options, report)
    report.new_articles = report.new_comments = report.linked = 0
    orphans_allowed = False
    while True:
        report.passes += 1
        run.deferred = run.written_this_pass = 0
        await _one_pass(db, items, run, orphans_allowed=orphans_allowed, progress=progress)
        if not run.deferred:
            return report
        if run.written_this_pass == 0 or report.passes >= MAX_PASSES:
            orphans_allowed = True  # what is left waits for parents the file does not hold


async def _one_pass(db: Database, items: Items, run: _Run, *, orphans_allowed: bool, progress: Progress | None) -> None:
    """One pass over the file. On SQLite a batch is written in the writer thread while the next one is read: the
    two overlap, and batches are still written one after another, in file order."""
    batch: list[SourceItem] = []
    writing: asyncio.Future[None] | None = None
    read = 0

    async def write(ready: list[SourceItem]) -> None:
        nonlocal writing
        if writing is not None:
            await writing
        writing = asyncio.ensure_future(
            db.run_write(partial(_write_batch, batch=ready, run=run, orphans=orphans_allowed))
        )
        await asyncio.sleep(0)  # let it start before this loop goes back to reading

    try:
        for item in items():
            read += 1
            batch.append(item)
            if len(batch) >= run.options.batch:
                await write(batch)
                batch = []
                if progress:
                    progress(run.report, read)
        if batch:
            await write(batch)
    finally:
        # A batch being written is finished (or its error raised) before anything else: a file that changed since
        # it was checked stops the import between two committed batches, never inside one.
        if writing is not None:
            await writing
    if progress:
        progress(run.report, read)


async def _write_batch(conn: AsyncConnection, *, batch: list[SourceItem], run: _Run, orphans: bool) -> None:
    now = datetime.now(UTC)
    source = run.options.source
    article_items = [item for item in batch if isinstance(item, SourceArticle)]
    comment_items = [item for item in batch if isinstance(item, SourceComment)]
    await _write_articles(conn, article_items, run, now)

    known = await imported_store.known_source_ids(conn, source, "comment", [c.source_id for c in comment_items])
    todo = [c for c in comment_items if c.source_id not in known]
    if not todo:
        return
    await _resolve_articles(conn, todo, run)
    in_batch = {c.source_id for c in todo}
    wanted_parents = {
        c.parent_source_id
        for c in todo
        if c.parent_source_id and c.parent_source_id not in in_batch and c.parent_source_id not in run.places
    }
    for source_id, place in (await imported_store.imported_places(conn, source, wanted_parents)).items():
        run.keep_place(source_id, place)
    todo = await _link_existing(conn, todo, run, now)

    comment_rows: list[dict[str, Any]] = []
    decision_rows: list[dict[str, Any]] = []
    item_rows: list[dict[str, Any]] = []
    published: Counter[str] = Counter()
    for comment in todo:
        article_id = run.article_ids.get(comment.article_source_id)
        if article_id is None:  # the file's reply names an article it does not hold: the reader made one up
            article_id = await _article_for_unknown(conn, comment.article_source_id, run, now)
        found = _parent_place(comment, run)
        parent: ImportedPlace | None
        if found is _WAITING:
            if not orphans:
                run.deferred += 1
                continue
            parent = None
            run.report.moved_to_top_level += 1
        elif isinstance(found, ImportedPlace) and found.comment_id is None:
            parent = None  # erased since, or a parent on another article: top level
            run.report.moved_to_top_level += 1
        else:
            parent = found if isinstance(found, ImportedPlace) else None
        row = _comment_row(comment, article_id, parent, now)
        comment_rows.append(row)
        decision_rows.append(_decision_row(row, comment))
        item_rows.append(
            _item_row(
                source, "comment", comment.source_id, article_id, row["id"], as_label=run.options.as_labels, now=now
            )
        )
        run.keep_place(
            comment.source_id,
            ImportedPlace(row["id"], article_id, row["root_id"], row["depth"], row["hidden_ancestors"], row["status"]),
        )
        if row["status"] == "published" and row["hidden_ancestors"] == 0:
            published[article_id] += 1
    if not comment_rows:
        return
    await comment_store.insert_comments(conn, comment_rows)
    await comment_store.insert_decisions(conn, decision_rows)
    await imported_store.insert_items(conn, item_rows)
    for article_id, count in published.items():
        await article_store.change_published(conn, article_id, delta=count, now=now)
    run.report.new_comments += len(comment_rows)
    run.written_this_pass += len(comment_rows)


async def _link_existing(
    conn: AsyncConnection, todo: list[SourceComment], run: _Run, now: datetime
) -> list[SourceComment]:
    """Replies already in replyguard (the plugin sent them before the export was made) are remembered under their
    source id, so their replies attach to them and a re-import skips them; they are not copied. The rest is returned."""
    existing = await imported_store.existing_places(conn, _replyguard_ids(todo))
    if not existing:
        return todo
    rest, rows = [], []
    for comment in todo:
        place = existing.get(_replyguard_id(comment))  # type: ignore[arg-type]
        if place is None:
            rest.append(comment)
            continue
        run.keep_place(comment.source_id, place)
        # Not a label: a person or the model decided it here, and those decisions teach already.
        rows.append(
            _item_row(
                run.options.source, "comment", comment.source_id, place.article_id, place.comment_id,
                as_label=False, now=now,
            )
        )  # fmt: skip
    await imported_store.insert_items(conn, rows)
    run.report.linked += len(rows)
    return rest


def _item_row(
    source: str,
    kind: str,
    source_id: str,
    article_id: str | None,
    comment_id: uuid.UUID | None,
    *,
    as_label: bool,
    now: datetime,
) -> dict[str, Any]:
    """A line of imported_items: what `source_id` became here."""
    return {
        "source": source,
        "kind": kind,
        "source_id": source_id,
        "article_id": article_id,
        "comment_id": comment_id,
        "as_label": as_label,
        "imported_at": now,
    }


_WAITING = object()  # the parent is in the file but not written yet


def _parent_place(comment: SourceComment, run: _Run) -> ImportedPlace | object | None:
    if not comment.parent_source_id:
        return None
    place = run.places.get(comment.parent_source_id)
    if place is None:
        return _WAITING
    article_id = run.article_ids.get(comment.article_source_id)
    if place.article_id is not None and place.article_id != article_id:
        return ImportedPlace(comment_id=None, article_id=None)  # a parent on another article is no parent
    return place


async def _write_articles(conn: AsyncConnection, items: list[SourceArticle], run: _Run, now: datetime) -> None:
    if not items:
        return
    source = run.options.source
    known = await imported_store.imported_articles(conn, source, [a.source_id for a in items])
    rows: list[dict[str, Any]] = []
    for article in items:
        if article.source_id in known:
            run.keep_article(article.source_id, known[article.source_id])
            continue
        existing = await article_store.ensure_article(conn, article.article_id, now=now)
        fields: dict[str, Any] = {}
        # The operator brings these in: they describe the article unless an operator already did.
        if existing.metadata_source != "operator":
            if article.title and not existing.title:
                fields["title"] = article.title[:ARTICLE_TITLE_MAX]
            if article.url and not existing.url:
                fields["url"] = article.url
            if fields:
                fields["metadata_source"] = "operator"
        if article.closed and existing.status == "open":
            fields["status"] = "closed"
        if fields:
            await article_store.upsert_article(conn, article.article_id, now=now, **fields)
        rows.append(_item_row(source, "article", article.source_id, article.article_id, None, as_label=False, now=now))
        known[article.source_id] = article.article_id
        run.keep_article(article.source_id, article.article_id)
        run.report.new_articles += 1
    await imported_store.insert_items(conn, rows)


async def _resolve_articles(conn: AsyncConnection, todo: list[SourceComment], run: _Run) -> None:
    missing = {c.article_source_id for c in todo if c.article_source_id not in run.article_ids}
    for source_id, article_id in (await imported_store.imported_articles(conn, run.options.source, missing)).items():
        run.keep_article(source_id, article_id)


async def _article_for_unknown(conn: AsyncConnection, source_id: str, run: _Run, now: datetime) -> str:
    """A reply on an article the file never described (a Disqus post whose thread is missing): an article named
    after the source's id for it."""
    article = SourceArticle(source_id=source_id, article_id=article_ids.from_identifier(source_id, None))
    await _write_articles(conn, [article], run, now)
    return run.article_ids[source_id]


def _comment_row(
    comment: SourceComment, article_id: str, parent: ImportedPlace | None, now: datetime
) -> dict[str, Any]:
    if parent is None:
        parent_id = root_id = None
        depth = hidden = 0
    else:
        parent_id = parent.comment_id
        root_id = parent.root_id or parent.comment_id
        depth = parent.depth + 1
        hidden = parent.hidden_ancestors + (parent.status != "published")
    # Only a reply that waits for a person is looked at by language (the queue's filter); the rest is history.
    language = detect_language(comment.body) if comment.status == "pending" else None
    return {
        "id": new_id(),
        "article_id": article_id,
        "parent_id": parent_id,
        "root_id": root_id,
        "depth": depth,
        "hidden_ancestors": hidden,
        "name": comment.name,
        "email": comment.email or NO_EMAIL,
        "website": comment.website,
        "body": comment.body,
        "body_hash": comment_store.body_key(comment.body),
        "status": comment.status,
        "spam_score": None,
        "abuse_score": None,
        "model_version": None,
        "reasons": [],
        "created_at": comment.created_at,
        "updated_at": now,
        "language": language,
        "notify_replies": False,
    }


def _decision_row(row: dict[str, Any], comment: SourceComment) -> dict[str, Any]:
    return {
        "id": new_id(),
        "comment_id": row["id"],
        "actor": "import",
        "moderator_id": None,
        "from_status": None,
        "to_status": comment.status,
        "reason": comment.reason,
        "note": None,
        "spam_score": None,
        "abuse_score": None,
        "model_version": None,
        "reasons": [],
        "created_at": comment.created_at,
    }


class ProgressLine:
    """Progress on a terminal: one line rewritten in place at most a few times a second, with the rate."""

    def __init__(self, write: Callable[[str], Any], total: int, *, what: str, every_seconds: float = 2.0) -> None:
        self.write, self.total, self.what, self.every = write, total, what, every_seconds
        self.started = self.last = time.monotonic()

    def __call__(self, report: ImportReport, read: int) -> None:
        now = time.monotonic()
        if now - self.last < self.every and read < self.total:
            return
        self.last = now
        rate = read / max(now - self.started, 1e-9)
        share = read / self.total if self.total else 1.0
        self.write(f"{self.what}: {read:,} of {self.total:,} items ({share:.0%}), {rate:,.0f}/s")
