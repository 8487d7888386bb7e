"""Use cases of article pages and readers: submit a reply, list a thread, count. Each owns one transaction."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, cast

import msgspec
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from classifier import Scores, Submission, Thresholds
from classifier.abuse_opinion import OpinionScores
from classifier.relevance_shift import RelevanceScores
from service.abuse.spam_runs import SpamRunDetector
from service.domain import author_tokens, emails, events, trust
from service.domain.emails import MailPolicy
from service.domain.events import Listener, Subscriptions
from service.domain.rule_book import RuleBook
from service.domain.threads import TOP_LEVEL, Place, nest_replies, place_reply
from service.domain.views import (
    CommentPage,
    CreatedComment,
    created_view,
    public_view,
    shown_to_readers,
    without_empty_placeholders,
)
from service.errors import ArticleClosed, Conflict, invalid
from service.ids import new_id
from service.rules.policy import NO_HITS, RuleHits, Verdict, accepts_replies, count_links, decide, trust_could_publish
from service.rules.validation import NewComment
from service.scoring.relevance import Relevance
from service.scoring.state import ScoringState
from service.storage import articles as article_store
from service.storage import comments as comment_store
from service.storage.cursor import decode_cursor, encode_cursor
from service.storage.database import Database
from service.storage.group_commit import GroupCommit
from service.storage.reader_cache import ArticleSnapshot

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SubmitOptions:
    max_links: int
    idempotency_ttl: timedelta
    # A repeat of a body sent within this window waits for a person (a double post, or one text pasted around):
    # on the same article whatever its length, anywhere for a distinctive text. Whoever sent the earlier copy: a
    # rule keyed by email told anyone whether a guessed address had sent a known reply. An Idempotency-Key retry
    # never gets here, it is answered from the first submission.
    duplicate_window: timedelta = timedelta(hours=1)
    max_thread_depth: int = 5  # levels, the top one included (see threads.place_reply)
    # The site's own hosts (of REPLYGUARD_ALLOWED_ORIGINS): links to them never count toward the link limit.
    own_hosts: tuple[str, ...] = ()
    # An author whose last this-many replies people approved is trusted (service/domain/trust.py); 0: nobody is.
    trust_after: int = 3
    # Set when email is configured: replies write their mails (confirmations, reply notifications, statements).
    mail: MailPolicy | None = None
    # How long after submitting its author may edit or delete a reply (service/domain/author_edits.py); zero: no
    # edit token is issued at all.
    edit_window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Submitted:
    comment: CreatedComment
    replayed: bool  # True when an Idempotency-Key matched an earlier identical submission


@dataclass(frozen=True, slots=True)
class PendingReply:
    """A valid, scored submission on its way into a transaction."""

    article_id: str
    new: NewComment
    scores: Scores | None
    thresholds: Thresholds | None  # of the model that gave `scores`, taken together so a promotion can't split them
    received_at: datetime
    honeypot_filled: bool
    idempotency_key: str | None
    fingerprint: str
    spam_run: bool = False  # near-copies of the text came from other senders within the window
    # Long enough (the spam-run rule's 8 words) that a copy on another article is a paste, not a stock phrase.
    distinctive: bool = False
    relevance: RelevanceScores | None = None  # when relevance adjusted the spam score in `scores`
    opinion: OpinionScores | None = None  # when the second opinion adjusted the abuse score in `scores`
    site: RuleHits = NO_HITS  # what the site's lists and sanctions said (service/rules/site_rules.py)
    mode: str = "model"  # the article's premoderation mode when the reply arrived
    language: str | None = None  # classifier/language.py; None when too short to tell
    language_covered: bool = True  # whether the model that gave `scores` covers `language`
    uncovered_language: str = "hold"  # the site's setting when the reply arrived (rules/site_rules.SETTINGS)
    # The webhook endpoints subscribed when the reply arrived (service/domain/events.py): the messages its storing
    # writes to the outbox, in its transaction.
    listeners: tuple[Listener, ...] = ()


class _KeyRepeatedInBatch(Exception):
    """Two requests of one batch carried the same Idempotency-Key: the later one is answered from the earlier."""


def request_fingerprint(article_id: str, new: NewComment) -> str:
    payload = [article_id, new.name, new.email, new.body, str(new.parent_id or ""), new.website or ""]
    return hashlib.sha256(msgspec.json.encode(payload)).hexdigest()


class ReplyWriter:
    """Stores replies with their automatic decision. The replies of concurrent requests commit together
    (service/storage/group_commit.py), and each request is answered only once its own reply is committed."""

    def __init__(
        self,
        db: Database,
        options: SubmitOptions,
        *,
        rules: RuleBook | None = None,
        subscriptions: Subscriptions | None = None,
        max_batch: int = 64,
    ) -> None:
        self.db = db
        self.options = options
        self.rules = rules or RuleBook()
        self.subscriptions = subscriptions or Subscriptions()
        # SQLite has one writer whatever we do; PostgreSQL takes a few transactions at once.
        concurrency = 1 if db.dialect == "sqlite" else 4
        self._group: GroupCommit[PendingReply, Submitted] = GroupCommit(
            self._store_batch, max_batch=max_batch, concurrency=concurrency
        )
        # Read at start-up (service/web/runtime.py), so no reply's statements include it; else by the first batch.
        self.edit_key = author_tokens.EditKey()

    async def store(self, pending: PendingReply) -> Submitted:
        return await self._group.run(pending)

    async def drain(self) -> None:
        """Finish writing what was accepted (at shutdown)."""
        await self._group.drain()

    async def _store_batch(self, batch: Sequence[PendingReply]) -> list[Submitted | Exception]:
        return await self.db.run_write(lambda conn: _store_replies(conn, batch, self.options, self.edit_key))


async def _replay(
    db: Database, key: str, fingerprint: str, *, ttl: timedelta, now: datetime, edit_key: author_tokens.EditKey
) -> Submitted | None:
    """The first answer to this Idempotency-Key, as it was given: its edit token derived again (it is not stored)."""
    async with db.read() as conn:
        row = await comment_store.get_idempotent(conn, key)
        if row is None or row.created_at < now - ttl:
            return None
        if row.request_hash != fingerprint:
            raise Conflict("This Idempotency-Key was already used with a different submission")
        comment = msgspec.convert(row.response, CreatedComment)
        if comment.editable_until is not None:  # the first answer carried a token
            token = author_tokens.token_for(await edit_key.get(conn), comment.id)
            comment = msgspec.structs.replace(comment, edit_token=token)
    return Submitted(comment=comment, replayed=True)


async def submit_comment(
    writer: ReplyWriter,
    scoring: ScoringState,
    *,
    article_id: str,
    new: NewComment,
    client_address: str,
    idempotency_key: str | None = None,
    honeypot_filled: bool = False,
    spam_runs: SpamRunDetector | None = None,
    relevance: Relevance | None = None,
) -> Submitted:
    """Score, decide and durably store a reply with its automatic decision; returns once the commit succeeded.

    A filled honeypot is stored as rejected (and, like every rejection, answered as pending). `client_address` and
    the email together name the sender for spam runs.
    """
    now = datetime.now(UTC)
    ttl = writer.options.idempotency_ttl
    fingerprint = request_fingerprint(article_id, new)
    if idempotency_key is not None:
        replayed = await _replay(writer.db, idempotency_key, fingerprint, ttl=ttl, now=now, edit_key=writer.edit_key)
        if replayed is not None:
            return replayed

    pending = await assess_reply(
        writer,
        scoring,
        article_id=article_id,
        new=new,
        client_address=client_address,
        received_at=now,
        honeypot_filled=honeypot_filled,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        spam_runs=spam_runs,
        relevance=relevance,
    )
    try:
        return await writer.store(pending)
    except (IntegrityError, _KeyRepeatedInBatch):
        if idempotency_key is None:
            raise
        # Two requests with the same key raced; the loser answers what the winner stored.
        replayed = await _replay(writer.db, idempotency_key, fingerprint, ttl=ttl, now=now, edit_key=writer.edit_key)
        if replayed is None:
            raise
        return replayed


async def assess_reply(
    writer: ReplyWriter,
    scoring: ScoringState,
    *,
    article_id: str,
    new: NewComment,
    client_address: str,
    received_at: datetime,
    honeypot_filled: bool = False,
    idempotency_key: str | None = None,
    fingerprint: str = "",
    spam_runs: SpamRunDetector | None = None,
    relevance: Relevance | None = None,
) -> PendingReply:
    """Everything the decision on a reply needs short of the transaction: its scores, what the site's rules say, its
    language. A new reply and an author's edit (service/domain/author_edits.py) both come through here, so an edit
    is judged exactly as a fresh submission of its text. Raises ArticleClosed when the article takes no replies.
    """
    now = received_at
    # The site's rules as this process holds them (one read a second at most); a closed mode needs no scoring.
    rules = await writer.rules.current(writer.db)
    mode = rules.mode_for(article_id)
    if not accepts_replies("open", mode):
        raise ArticleClosed("Replies are closed on this article")
    # Scored before the transaction: the model needs no database, and the write lock is held briefly.
    submission = Submission(
        body=new.body,
        name=new.name,
        website=new.website,
        email_domain=new.email_domain,
        has_parent=new.parent_id is not None,
    )
    scored = await scoring.score(submission)
    scores, relevance_scores, opinion = scored.scores, None, None
    if relevance is not None and relevance.enabled:  # off: the hot path is unchanged, not even a database read
        adjusted = await relevance.adjust(
            writer.db, scoring.scorer, scored.scores, scored.thresholds,
            article_id=article_id, body=new.body, parent_id=new.parent_id,
        )  # fmt: skip
        if adjusted is not None:
            scores, relevance_scores = adjusted
        seconded = await relevance.second_opinion(
            scoring.scorer, scores, scored.thresholds, body=new.body, language=scored.language
        )
        if seconded is not None:
            scores, opinion = seconded
    # Counted after the replay check (a retry of one submission is not a run), from the signature scoring made. The
    # sender is the client address with the email, never the email alone: a prober sending a near-copy of someone's
    # reply under their address would otherwise not add a sender, and get `published` where any other address gets
    # `pending`, learning who wrote it.
    spam_run = False
    if spam_runs is not None:
        sender = f"{client_address}\x00{new.email}"
        spam_run = await spam_runs.observe_signature(scored.run_signature, sender)
    return PendingReply(
        article_id=article_id,
        new=new,
        scores=scores,
        thresholds=scored.thresholds,
        received_at=now,
        honeypot_filled=honeypot_filled,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        spam_run=spam_run,
        distinctive=scored.run_signature is not None,
        relevance=relevance_scores,
        opinion=opinion,
        # Evaluated here, outside the write transaction: phrase matching holds no lock.
        site=rules.evaluate(
            body=new.body, email=new.email, website=new.website, own_hosts=writer.options.own_hosts, now=now
        ),
        mode=mode,
        language=scored.language,
        language_covered=scored.language_covered,
        uncovered_language=rules.setting("uncovered_language"),
        listeners=await writer.subscriptions.current(writer.db),
    )


def decision_for(
    pending: PendingReply, *, article_status: str, repeats_recent: bool, options: SubmitOptions
) -> partial[Verdict]:
    """The decision on a reply short of its author's standing (first_reply, trusted: keywords left to fill)."""
    return partial(
        decide,
        pending.scores,
        thresholds=pending.thresholds,
        article_status=article_status,
        link_count=count_links(pending.new.body),
        max_links=options.max_links,
        honeypot_filled=pending.honeypot_filled,
        repeats_recent=repeats_recent,
        spam_run=pending.spam_run,
        relevance=pending.relevance,
        site=pending.site,
        mode=pending.mode,
        language=pending.language,
        language_covered=pending.language_covered,
        uncovered_language=pending.uncovered_language,
    )


async def _store_replies(
    conn: AsyncConnection, batch: Sequence[PendingReply], options: SubmitOptions, edit_key: author_tokens.EditKey
) -> list[Submitted | Exception]:
    """Decide and insert a batch of replies inside the caller's transaction, with a fixed number of statements.

    Returns, in order, each reply's answer or the rule it broke (closed article, bad parent); a broken rule skips
    that reply only.
    """
    received = min(pending.received_at for pending in batch)
    token_key = await edit_key.get(conn) if options.edit_window else None
    # Locked: a take-down on these articles cannot commit between the parent check below and this commit.
    article_ids = {pending.article_id for pending in batch}
    articles = await article_store.ensure_articles(conn, article_ids, now=received, lock=True)
    parents = await comment_store.get_comments(conn, (p.new.parent_id for p in batch if p.new.parent_id is not None))
    max_depth = options.max_thread_depth
    deep = [parent.id for parent in parents.values() if parent.depth > max_depth - 1]
    anchors = await comment_store.ancestors_at_depth(conn, deep, depth=max_depth - 2)  # no statement when none is deep
    body_keys = [comment_store.body_key(pending.new.body) for pending in batch]
    sent: set[tuple[str, str]] = set()  # (article_id, body key) of the window's replies, whoever sent them
    if options.duplicate_window:
        sent = await comment_store.recent_bodies(conn, body_keys, since=received - options.duplicate_window)
    sent_anywhere = {body for _, body in sent}

    outcomes: list[Submitted | Exception | None] = []
    accepted: list[tuple[int, PendingReply, Place, str, Verdict]] = []  # (outcome slot, ..., verdict without standing)
    verdicts: dict[int, partial[Verdict]] = {}  # by outcome slot: the decision, short of the author's standing
    keys: set[str] = set()  # Idempotency-Keys stored by this batch
    for pending, body_key in zip(batch, body_keys, strict=True):
        new = pending.new
        if not accepts_replies(articles[pending.article_id].status, pending.mode):
            outcomes.append(ArticleClosed("Replies are closed on this article"))
            continue
        place = TOP_LEVEL
        if new.parent_id is not None:
            parent = parents.get(new.parent_id)
            # A published reply under a comment taken down is hidden with it, and is no parent either; nor is a reply
            # its author deleted (a placeholder holds the replies it had, and takes no new ones).
            if (
                parent is None
                or parent.article_id != pending.article_id
                or not shown_to_readers(parent)
                or parent.deleted_at is not None
            ):
                outcomes.append(invalid("parent_id", "must be the id of a published comment of this article"))
                continue
            place = place_reply(parent, max_depth=max_depth, anchors=anchors)
        key = pending.idempotency_key
        if key is not None and key in keys:
            outcomes.append(_KeyRepeatedInBatch())
            continue
        if key is not None:
            keys.add(key)
        repeats = (pending.article_id, body_key) in sent or (pending.distinctive and body_key in sent_anywhere)
        deciding = decision_for(
            pending, article_status=articles[pending.article_id].status, repeats_recent=repeats, options=options
        )
        if options.duplicate_window:  # a repeat inside this batch counts too
            sent.add((pending.article_id, body_key))
            sent_anywhere.add(body_key)
        accepted.append((len(outcomes), pending, place, body_key, deciding()))
        verdicts[len(outcomes)] = deciding
        outcomes.append(None)

    # The authors' standing, read only for replies it could change: one whose article holds first replies and that
    # nothing else holds or rejects, or one held by nothing but doubts trust overrides.
    first_reply_authors = {
        pending.new.email
        for _, pending, _, _, verdict in accepted
        if pending.mode == "first-reply-held" and verdict.status == "published"
    }
    trust_candidates = {
        pending.new.email for _, pending, _, _, verdict in accepted if trust_could_publish(verdict)
    } if options.trust_after else set()  # fmt: skip
    wanted = sorted(first_reply_authors | trust_candidates)
    standing = await trust.standings(
        conn, wanted, trust_after=options.trust_after, need_published=bool(first_reply_authors)
    )

    comment_rows: list[dict[str, Any]] = []
    decision_rows: list[dict[str, Any]] = []
    answer_rows: list[dict[str, Any]] = []
    published: Counter[str] = Counter()
    page_claims: list[tuple[str, str | None, str | None]] = []  # (article_id, title, url) the pages sent
    messages: list[dict[str, Any]] = []  # the outbox rows the replies cause
    mailing: list[tuple[PendingReply, dict[str, Any], dict[str, Any]]] = []  # (reply, comment row, decision row)
    for slot, pending, place, body_key, verdict in accepted:
        new = pending.new
        author = standing.get(new.email)
        if author is not None:
            first = new.email in first_reply_authors and not author.has_published
            verdict = verdicts[slot](first_reply=first, trusted=author.trusted)
        row = _comment_row(pending, verdict, place, body_key)
        # The token goes to this answer only; the row keeps its hash (author_edits.token_hash).
        token = author_tokens.token_for(token_key, row["id"]) if token_key is not None else None
        row["edit_token_hash"] = author_tokens.token_hash(token) if token is not None else None
        comment_rows.append(row)
        decision_rows.append(model_decision(row, pending.relevance, pending.opinion))
        messages += events.reply_events(pending.listeners, row, decision_rows[-1], created=True, now=received)
        mailing.append((pending, row, decision_rows[-1]))
        if verdict.status == "published":
            published[pending.article_id] += 1
        # A reply the model rejected (spam, honeypot) does not get to describe the article.
        if verdict.status != "rejected" and (new.article_title or new.article_url):
            page_claims.append((pending.article_id, new.article_title, new.article_url))
        created = created_view(
            row,
            edit_token=token,
            editable_until=pending.received_at + options.edit_window if token is not None else None,
        )
        key = pending.idempotency_key
        if key is not None:
            answer_rows.append(
                {
                    "key": key,
                    "article_id": pending.article_id,
                    "request_hash": pending.fingerprint,
                    "comment_id": row["id"],
                    # Without the edit token (the reply keeps only its hash); a replay derives it again
                    # (author_tokens), so it answers exactly as this answer does.
                    "response": msgspec.to_builtins(msgspec.structs.replace(created, edit_token=None)),
                    "created_at": pending.received_at,
                }
            )
        outcomes[slot] = Submitted(comment=created, replayed=False)

    if comment_rows:
        await comment_store.insert_comments(conn, comment_rows)
        await comment_store.insert_decisions(conn, decision_rows)
    for article_id, delta in published.items():
        await article_store.change_published(conn, article_id, delta=delta, now=received)
    await _fill_page_metadata(conn, articles, page_claims, now=received)
    await comment_store.insert_idempotent(conn, answer_rows, expired_before=received - options.idempotency_ttl)
    if options.mail is not None:
        messages += await _mails(conn, mailing, parents, options.mail, now=received)
    await events.record(conn, messages)
    if comment_rows:
        # One line for the batch, not one per reply: a log record costs the writer thread ~18 us and the log thread
        # as much again to format, both under the GIL the event loop needs (docs/performance.md).
        stored = [
            {"comment_id": str(row["id"]), "article_id": row["article_id"], "status": row["status"]}
            for row in comment_rows
        ]
        log.info("comments stored", extra={"comments": stored})
    return cast("list[Submitted | Exception]", outcomes)  # every slot is filled by now


async def _mails(
    conn: AsyncConnection,
    mailing: Sequence[tuple[PendingReply, dict[str, Any], dict[str, Any]]],
    parents: dict[Any, Any],
    policy: MailPolicy,
    *,
    now: datetime,
) -> list[dict[str, Any]]:
    """The mails a batch of new replies causes: one confirmation per address asking to be notified for the first
    time, notifications to the authors of the comments answered (published replies only), and a statement of reasons
    to an author who asked to be notified of a reply rejected on arrival. No statement when nobody asked or replied."""
    rows = await emails.ask_confirmation(conn, (p.new.email for p, _, _ in mailing if p.new.notify), now=now)
    notices = []
    for pending, row, decision in mailing:
        parent = parents.get(pending.new.parent_id) if pending.new.parent_id is not None else None
        answered = parent._mapping if parent is not None else None
        if row["status"] == "published" and answered is not None and emails.wants_reply_notice(answered, row):
            notices.append((answered["email"], emails.reply_item(answered, row)))
        if row["status"] == "rejected" and pending.new.notify:
            rows.append(emails.email_row(emails.REJECTED, row["email"], emails.statement(row, decision), now=now))
    return rows + await emails.gather_reply_notices(conn, notices, policy=policy, now=now)


async def _fill_page_metadata(
    conn: AsyncConnection,
    articles: dict[str, Any],
    claims: Sequence[tuple[str, str | None, str | None]],
    *,
    now: datetime,
) -> None:
    """Offer what the pages said to the articles nobody has described yet (storage/articles.py has the rule).

    The rows read at the start of the batch tell which fields are still open, so an article already described costs
    no statement; the conditional UPDATE stays the judge when a concurrent write got there first.
    """
    open_fields: dict[str, tuple[bool, bool]] = {}
    for article_id, title, url in claims:
        if article_id not in open_fields:
            row = articles[article_id]
            if row.metadata_source == "operator":
                open_fields[article_id] = (False, False)
            else:
                open_fields[article_id] = (row.title is None, row.url is None)
        title_open, url_open = open_fields[article_id]
        offered_title = title if title_open else None
        offered_url = url if url_open else None
        if offered_title is None and offered_url is None:
            continue
        await article_store.fill_page_metadata(conn, article_id, title=offered_title, url=offered_url, now=now)
        open_fields[article_id] = (title_open and offered_title is None, url_open and offered_url is None)


def _comment_row(pending: PendingReply, verdict: Verdict, place: Place, body_key: str) -> dict[str, Any]:
    new, scores = pending.new, pending.scores
    return {
        "id": new_id(),
        "article_id": pending.article_id,
        "parent_id": place.parent_id,
        "root_id": place.root_id,
        "depth": place.depth,
        "name": new.name,
        "email": new.email,
        "website": new.website,
        "body": new.body,
        "body_hash": body_key,
        "status": verdict.status,
        "spam_score": scores.spam_score if scores else None,
        "abuse_score": scores.abuse_score if scores else None,
        "model_version": scores.model_version if scores else None,
        "reasons": msgspec.to_builtins(verdict.reasons),
        "created_at": pending.received_at,
        "updated_at": pending.received_at,
        "language": pending.language,
        "notify_replies": new.notify,
    }


def _relevance_record(relevance: RelevanceScores) -> dict[str, Any]:
    """What relevance did to the spam score, kept with the decision (the reply's own reasons stay the verdict's)."""
    figures = relevance.figures()
    message = (
        f"relevance moved the spam score {relevance.trained_spam_score:.3f} -> {relevance.spam_score:.3f} "
        f"(similarity {relevance.similarity_to_title:.2f} to the title"
        + ("; a link leaves the site)" if relevance.link_leaves_site else ")")
    )
    return {
        "code": "relevance",
        "message": message,
        "head": "spam",
        "weight": figures["shift"],
        "link_leaves_site": relevance.link_leaves_site,
        **figures,
    }  # fmt: skip (keys in the order records had)


def _opinion_record(opinion: OpinionScores) -> dict[str, Any]:
    """What the second opinion did to the abuse score, kept with the decision."""
    figures = opinion.figures()
    return {
        "code": "abuse_opinion",
        "message": f"the abuse head's second opinion moved the abuse score {opinion.trained_abuse_score:.3f} -> "
        f"{opinion.abuse_score:.3f}",
        "head": "abuse",
        "weight": figures["shift"],
        **figures,
    }


def model_decision(
    row: dict[str, Any], relevance: RelevanceScores | None = None, opinion: OpinionScores | None = None
) -> dict[str, Any]:
    """The automatic decision that put a new reply in its first status, with the scores behind it (and, when
    relevance adjusted the spam score or the second opinion the abuse score, the score before and the figures that
    moved it)."""
    reasons = list(row["reasons"])
    if relevance is not None:
        reasons.append(_relevance_record(relevance))
    if opinion is not None:
        reasons.append(_opinion_record(opinion))
    return {
        "id": new_id(),
        "comment_id": row["id"],
        "actor": "model",
        "from_status": None,
        "to_status": row["status"],
        "spam_score": row["spam_score"],
        "abuse_score": row["abuse_score"],
        "model_version": row["model_version"],
        "reasons": reasons,
        "created_at": row["created_at"],
    }


async def article_snapshot(db: Database, article_id: str) -> ArticleSnapshot:
    """The article's reader revision and published count; zeros for an article with no replies yet."""
    article = await db.run_read(lambda conn: article_store.get_article(conn, article_id))
    if article is None:
        return ArticleSnapshot(revision=0, published_count=0)
    return ArticleSnapshot(revision=int(article.revision), published_count=int(article.published_count))


async def list_thread(
    db: Database,
    article_id: str,
    *,
    total: int,
    max_depth: int,
    limit: int,
    cursor: str | None,
    newest_first: bool,
) -> CommentPage:
    """A page of published top-level comments with the replies readers see nested, at most `max_depth` levels deep;
    two queries whatever the size.

    `total` is the article's published count from its snapshot; with none published there is nothing to read.
    """
    position = decode_cursor(cursor)
    if total == 0:
        return CommentPage(items=[], next_cursor=None, total=0)

    async def read(conn: AsyncConnection) -> tuple[Sequence[Any], Sequence[Any]]:
        rows = await comment_store.published_top_level(
            conn, article_id, cursor=position, limit=limit, newest_first=newest_first
        )
        return rows, await comment_store.published_replies(conn, [row.id for row in rows[:limit]])

    rows, replies = await db.run_read(read)
    page = rows[:limit]
    items = [public_view(row) for row in page]
    nest_replies(items, replies, max_depth=max_depth)
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None
    # A deleted reply stays only where it holds replies in place; the cursor still moves past the ones dropped.
    return CommentPage(items=without_empty_placeholders(items), next_cursor=next_cursor, total=total)
