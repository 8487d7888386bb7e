"""Database tables (SQLAlchemy Core): articles, comments, decisions, moderators, model versions, idempotency keys,
the site's rules, webhook endpoints and the outbox.

Core tables rather than ORM classes: the submit path inserts with Core (see MEASUREMENTS.md: the ORM unit of work
alone caps inserts near 600/s on SQLite), and one way of writing queries is easier to read than two.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    text,
    true,
)
from sqlalchemy.types import TypeDecorator

STATUSES = ("pending", "published", "rejected")
ARTICLE_STATUSES = ("open", "premoderated", "closed")
# Who set an article's title and URL: an operator (admin API or `replyguard article import`), or the article page
# itself (the embed's data attributes), which only fills what no one has set yet. None: nobody has.
METADATA_SOURCES = ("operator", "page")
EXCERPT_MAX = 20_000
ROLES = ("moderator", "admin")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite hands back naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


articles = Table(
    "articles",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("title", String(300), nullable=True),
    Column("url", String(2000), nullable=True),
    # The article's text (or its start) for relevance scoring; capped at EXCERPT_MAX by the API and the import.
    Column("excerpt", Text(), nullable=True),
    Column("metadata_source", String(16), nullable=True),
    # Denormalised so the count endpoint and `total` stay O(1) at millions of rows.
    Column("published_count", Integer, nullable=False, server_default="0"),
    # Bumped whenever the set of published comments changes: the ETag of reader responses.
    Column("revision", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("status", ARTICLE_STATUSES), name="status"),
    CheckConstraint(_in("metadata_source", METADATA_SOURCES), name="metadata_source"),
)

_published = "status = 'published'"

comments = Table(
    "comments",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("article_id", String(128), ForeignKey("articles.id"), nullable=False),
    Column("parent_id", Uuid(), ForeignKey("comments.id"), nullable=True),
    # The top-level ancestor, so a page of threads loads all its replies in one query.
    Column("root_id", Uuid(), ForeignKey("comments.id"), nullable=True),
    # How many ancestors it has (0 at the top level): where a new reply may attach (REPLYGUARD_MAX_THREAD_DEPTH).
    Column("depth", Integer, nullable=False, server_default="0"),
    # How many of its ancestors are not published. Readers see a comment only when it is published and this is 0,
    # so a take-down hides the subtree below it without a walk up the chain on every read
    # (storage/comments.shift_hidden_below).
    Column("hidden_ancestors", Integer, nullable=False, server_default="0"),
    Column("name", String(80), nullable=False),
    Column("email", String(320), nullable=False),
    Column("website", String(200), nullable=True),
    Column("body", Text(), nullable=False),
    # The duplicate check's key (storage/comments.body_key): the body is too long to index. None for replies stored
    # before it.
    Column("body_hash", String(32), nullable=True),
    Column("status", String(16), nullable=False),
    Column("spam_score", Float(), nullable=True),
    Column("abuse_score", Float(), nullable=True),
    Column("model_version", String(64), nullable=True),
    Column("reasons", JSON(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # ISO 639-1 code found on submit (classifier/language.py); None when too short to tell, or stored before 0013.
    Column("language", String(8), nullable=True),
    # The author ticked "Notify me of replies to my comment" (sent once their address is confirmed).
    Column("notify_replies", Boolean(), nullable=False, server_default=false()),
    # SHA-256 (hex) of the author's edit token, given once in the submit answer (service/domain/author_edits.py);
    # None for replies stored before 0016, imported, or submitted while REPLYGUARD_EDIT_WINDOW_SECONDS was 0.
    Column("edit_token_hash", String(64), nullable=True),
    # When its author last edited it, and when its author deleted it. A deleted reply keeps its status (a published
    # one with published replies under it is the thread's placeholder); its text moves to comment_revisions.
    Column("edited_at", UTCDateTime(), nullable=True),
    Column("deleted_at", UTCDateTime(), nullable=True),
    CheckConstraint(_in("status", STATUSES), name="status"),
)

Index(
    "ix_comments_published_top_level",
    comments.c.article_id,
    comments.c.created_at,
    comments.c.id,
    sqlite_where=text(f"{_published} AND parent_id IS NULL"),
    postgresql_where=text(f"{_published} AND parent_id IS NULL"),
)
Index(
    "ix_comments_published_replies",
    comments.c.root_id,
    comments.c.created_at,
    comments.c.id,
    sqlite_where=text(f"{_published} AND root_id IS NOT NULL"),
    postgresql_where=text(f"{_published} AND root_id IS NOT NULL"),
)
# The walk down a subtree when a take-down hides it or a rescue shows it again (top-level comments have no parent).
Index(
    "ix_comments_parent",
    comments.c.parent_id,
    sqlite_where=text("parent_id IS NOT NULL"),
    postgresql_where=text("parent_id IS NOT NULL"),
)
# The queue's folders, oldest first: all of them, of one article, in one language (?language=de). Only replies their
# authors did not delete, which is what every queue read asks for: folder counts are then index-only (migration 0017).
_live = "deleted_at IS NULL"
for _name, _columns in (
    ("ix_comments_queue", (comments.c.status, comments.c.created_at, comments.c.id)),
    ("ix_comments_article_queue", (comments.c.article_id, comments.c.status, comments.c.created_at, comments.c.id)),
    ("ix_comments_language_queue", (comments.c.language, comments.c.status, comments.c.created_at, comments.c.id)),
):
    Index(_name, *_columns, sqlite_where=text(_live), postgresql_where=text(_live))
Index("ix_comments_author_history", comments.c.email, comments.c.status)
# One article's replies in time order, whatever their status: `replyguard export --article` and the WXR export, which
# writes each article's replies inside it.
Index("ix_comments_article_time", comments.c.article_id, comments.c.created_at, comments.c.id)
# The duplicate check of every submit: the same body's copies of the last hour, whoever sent them.
Index("ix_comments_body_recent", comments.c.body_hash, comments.c.created_at)

# Who decides: the model, a person, readers' reports (a reply reported as illegal content leaves the public view
# until a moderator decides; service/domain/reports.py), or the system a site came from, whose status an import kept
# (service/domain/imports.py).
DECISION_ACTORS = ("model", "moderator", "reports", "import")
decisions = Table(
    "decisions",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("comment_id", Uuid(), ForeignKey("comments.id"), nullable=False, index=True),
    # "model" for automatic decisions, "moderator" for people (moderator_id says which), "reports" for readers' reports,
    # "import" for the status a reply had in the system it was imported from.
    Column("actor", String(16), nullable=False),
    Column("moderator_id", Integer(), ForeignKey("moderators.id"), nullable=True),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=False),
    Column("reason", String(32), nullable=True),
    Column("note", String(1000), nullable=True),
    Column("spam_score", Float(), nullable=True),
    Column("abuse_score", Float(), nullable=True),
    Column("model_version", String(64), nullable=True),
    Column("reasons", JSON(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("actor", DECISION_ACTORS), name="actor"),
)

# The audit trail of an author's own changes: the text (with its status, scores and model version) a reply had before
# each edit, and the text it had when its author deleted it. Moderators read it on the item page; erasure and the
# retention purge remove it with the comment.
REVISION_KINDS = ("edit", "delete")
comment_revisions = Table(
    "comment_revisions",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("comment_id", Uuid(), ForeignKey("comments.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("body", Text(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("spam_score", Float(), nullable=True),
    Column("abuse_score", Float(), nullable=True),
    Column("model_version", String(64), nullable=True),
    Column("reasons", JSON(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("kind", REVISION_KINDS), name="kind"),
)

moderators = Table(
    "moderators",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("name", String(80), nullable=False, unique=True),
    # SHA-256 of a 256-bit random token: high-entropy secrets need no slow hash, and lookup stays indexed.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("expires_at", UTCDateTime(), nullable=True),  # None: valid until revoked
    CheckConstraint(_in("role", ROLES), name="role"),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("path", String(1000), nullable=False),
    Column("card", JSON(), nullable=False),
    Column("active", Boolean(), nullable=False, server_default=false()),
    Column("created_at", UTCDateTime(), nullable=False),
    # When its training read the moderators' decisions: decisions made later are new to it (retraining counts them,
    # and only those can judge it). None for a model trained outside the service's learning (the default, a bundle).
    Column("decisions_seen_at", UTCDateTime(), nullable=True),
    # What it trained on (moderator and feedback labels, the site's decisions held out) and how it did against the
    # champion on the site's newest decisions (service/domain/learning.py); None when not measured.
    Column("training", JSON(), nullable=True),
    Column("site_comparison", JSON(), nullable=True),
)

# Every change of the active model: who (the command line, a console user, the retraining job), when, from, to.
ACTIVATION_ACTORS = ("cli", "console", "auto")
ACTIVATION_ACTIONS = ("register", "promote", "rollback")
model_activations = Table(
    "model_activations",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("from_version", String(64), nullable=True),
    Column("to_version", String(64), nullable=False),
    Column("action", String(16), nullable=False),
    Column("actor", String(16), nullable=False),
    Column("moderator_id", Integer(), ForeignKey("moderators.id"), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
    CheckConstraint("actor IN ('cli', 'console', 'auto')", name="actor"),
    CheckConstraint("action IN ('register', 'promote', 'rollback')", name="action"),
)

# Named leases: one holder at a time across workers and replicas, until it lets go or its lease expires (a holder
# that died). `acquired_at` spaces out jobs that must run at most so often (retraining: hourly by default).
leases = Table(
    "leases",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("holder", String(64), nullable=True),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("acquired_at", UTCDateTime(), nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("article_id", String(128), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("comment_id", Uuid(), ForeignKey("comments.id"), nullable=False),
    Column("response", JSON(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
)

# The audit of privacy operations (export, erase, retention purge). It records that they happened and how many
# comments they touched, never the email address they were about.
privacy_events = Table(
    "privacy_events",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("action", String(16), nullable=False),
    Column("moderator_id", Integer(), ForeignKey("moderators.id"), nullable=True),
    Column("comments_affected", Integer(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint("action IN ('export', 'erase', 'purge')", name="action"),
)

# Moderator console sign-ins. The cookie holds a random session id; only its SHA-256 is stored (like tokens), with
# the session's CSRF token, which every state change in the console must send back.
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("moderator_id", Integer(), ForeignKey("moderators.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

# Keys for the Akismet- and Perspective-compatible APIs (service/integrations): like moderator tokens, random, shown
# once, stored as SHA-256, revocable, optionally expiring.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("name", String(80), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("expires_at", UTCDateTime(), nullable=True),  # None: valid until revoked
)

FEEDBACK_SOURCES = ("akismet", "perspective")

# Labels sent by client sites (Akismet submit-spam/submit-ham, Perspective suggestscore) for `replyguard train`.
# Only what training reads is kept: the text, the author's name and website (model features), the labels. No email,
# IP address, user agent, referrer or page URL is stored. A label of None says nothing about that head.
feedback_labels = Table(
    "feedback_labels",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("source", String(16), nullable=False),
    Column("api_key_id", Integer(), ForeignKey("api_keys.id"), nullable=False),
    Column("text", Text(), nullable=False),
    Column("name", String(200), nullable=False),
    Column("website", String(200), nullable=True),
    Column("spam", Integer(), nullable=True),
    Column("abuse", Integer(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
    CheckConstraint(_in("source", FEEDBACK_SOURCES), name="source"),
)

# Secrets the service makes for itself on first use (the console's sign-in form key), shared by every worker and
# replica through the database; an operator's REPLYGUARD_* setting takes precedence where one exists.
service_secrets = Table(
    "service_secrets",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(128), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# The site's rules (service/rules/site_rules.py): list entries, premoderation modes, sanctions of authors, and the
# audit of every change to them. The highest id of rule_changes is the rules' generation: a process reloads its
# in-memory copy when it moves (service/domain/rule_book.py).
RULE_LISTS = (
    "blocked_emails",
    "blocked_email_domains",
    "banned_phrases",
    "suspect_phrases",
    "blocked_link_domains",
    "allowed_link_domains",
)
MODERATION_MODES = ("model", "first-reply-held", "all-held", "closed")
SANCTION_KINDS = ("ban", "shadow_ban", "suspension")

rule_entries = Table(
    "rule_entries",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("list", String(32), nullable=False),
    # What lookups match on (site_rules.entry_key: a normalised phrase, a lower-case domain or address) and the
    # entry as the moderator typed it.
    Column("key", String(320), nullable=False),
    Column("value", String(320), nullable=False),
    Column("action", String(8), nullable=True),  # blocked_link_domains: hold or reject
    Column("note", String(500), nullable=True),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("moderator_id", Integer(), ForeignKey("moderators.id"), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("list", RULE_LISTS), name="list"),
    UniqueConstraint("list", "key"),
)

# The site's mode under the scope "*", an article's own under its id.
moderation_modes = Table(
    "moderation_modes",
    metadata,
    Column("scope", String(128), primary_key=True),
    Column("mode", String(24), nullable=False),
    Column("note", String(500), nullable=True),
    Column("moderator_id", Integer(), ForeignKey("moderators.id"), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("mode", MODERATION_MODES), name="mode"),
)

# At most one sanction per author, keyed like blocks (site_rules.email_key). A suspension has an end.
author_sanctions = Table(
    "author_sanctions",
    metadata,
    Column("email_key", String(320), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("note", String(500), nullable=True),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("moderator_id", Integer(), ForeignKey("moderators.id"), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("kind", SANCTION_KINDS), name="kind"),
    CheckConstraint("kind != 'suspension' OR expires_at IS NOT NULL", name="suspension_ends"),
)

rule_changes = Table(
    "rule_changes",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("moderator_id", Integer(), ForeignKey("moderators.id"), nullable=True),
    Column("subject", String(32), nullable=False),  # a list's name, "mode", "sanction" or "setting"
    Column("target", String(320), nullable=False),  # the entry's key, the mode's scope, the author's email key
    Column("old", JSON(), nullable=True),  # None: created
    Column("new", JSON(), nullable=True),  # None: removed
    Column("created_at", UTCDateTime(), nullable=False),
)

# The site's settings that admins change in the console, one row per setting that differs from its default
# (service/rules/site_rules.SETTINGS); audited in rule_changes like the rules.
site_settings = Table(
    "site_settings",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", String(32), nullable=False),
    Column("note", String(500), nullable=True),
    Column("moderator_id", Integer(), ForeignKey("moderators.id"), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# Webhook endpoints (service/domain/webhooks.py): where the site's own systems hear of replies and decisions. The
# signing secret is kept as given (an HMAC needs it); during a rotation the previous one signs too until it expires.
# `events` lists the event types sent (service/domain/events.py); `include_email` grants the author's email.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("url", String(2000), nullable=False),
    Column("description", String(200), nullable=True),
    Column("events", JSON(), nullable=False),
    Column("secret", String(100), nullable=False),
    Column("previous_secret", String(100), nullable=True),
    Column("previous_secret_expires_at", UTCDateTime(), nullable=True),
    Column("include_email", Boolean(), nullable=False, server_default=false()),
    Column("enabled", Boolean(), nullable=False, server_default=true()),
    Column("moderator_id", Integer(), ForeignKey("moderators.id"), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# The outbox: every message (a webhook call, an email) written in the transaction of the change that causes it, then
# delivered by service/domain/delivery.py. The row's id is the delivery id receivers de-duplicate on. A worker
# claims a row until `claimed_until`; a worker that died loses its claim when that passes.
OUTBOX_CHANNELS = ("webhook", "email")
# skipped: never sent, by rule (an email to an address that is unconfirmed or suppressed).
OUTBOX_STATUSES = ("pending", "sent", "dead", "skipped")
outbox = Table(
    "outbox",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("event", String(40), nullable=False),
    Column("endpoint_id", Integer(), ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=True),
    Column("recipient", String(320), nullable=True),  # email: the address; never logged or shown publicly
    Column("payload", JSON(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer(), nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("claimed_by", String(64), nullable=True),
    Column("claimed_until", UTCDateTime(), nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("last_status_code", Integer(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime(), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("channel", OUTBOX_CHANNELS), name="channel"),
    CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
)
# The workers' search for due messages, and the metrics' counts by status.
Index("ix_outbox_due", outbox.c.status, outbox.c.next_attempt_at)
# An endpoint's last deliveries (the console).
Index("ix_outbox_endpoint", outbox.c.endpoint_id, outbox.c.created_at)
# The email send limits: what went to one address, and to anyone, lately.
Index("ix_outbox_recipient_sent", outbox.c.recipient, outbox.c.sent_at)
Index("ix_outbox_channel_sent", outbox.c.channel, outbox.c.sent_at)

# Email addresses that asked for mail (docs/notifications.md): double opt-in and the suppression list. An address
# gets mail other than its one confirmation only once confirmed, and none while suppressed (unsubscribed, bounced,
# complained). Links in mails name the row by id, signed; never the address.
SUPPRESSION_REASONS = ("unsubscribed", "bounced", "complained")
email_addresses = Table(
    "email_addresses",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("address", String(320), nullable=False, unique=True),
    Column("confirm_requested_at", UTCDateTime(), nullable=False),
    Column("confirmed_at", UTCDateTime(), nullable=True),
    Column("suppressed_at", UTCDateTime(), nullable=True),
    Column("suppressed_reason", String(16), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("suppressed_reason", SUPPRESSION_REASONS), name="suppressed_reason"),
)

# Appeals of a rejection or take-down (service/domain/appeals.py), opened from the statement of reasons' signed link.
# One per decision; decided once, by a moderator other than the one who made the decision appealed.
APPEAL_STATUSES = ("open", "upheld", "reversed")
appeals = Table(
    "appeals",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("comment_id", Uuid(), ForeignKey("comments.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("decision_id", Uuid(), ForeignKey("decisions.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("text", Text(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("moderator_id", Integer(), ForeignKey("moderators.id"), nullable=True),  # who decided the appeal
    Column("note", String(1000), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=True),
    CheckConstraint(_in("status", APPEAL_STATUSES), name="status"),
)
Index("ix_appeals_status", appeals.c.status, appeals.c.created_at)

# Readers' reports of published replies (service/domain/reports.py). One per reply and reporter: the reporter is a
# keyed hash of the client's address (never the address). The optional contact email is for moderators' follow-up
# alone: never in a public answer, a log line, a webhook payload or an error. A report is open until a moderator
# resolves it (kept, taken_down, dismissed), with the decision that did so; `confirmed` marks the reports whose reason
# the moderator confirmed on a take-down (the only reports that become training labels).
REPORT_REASONS = ("spam", "abuse", "off_topic", "illegal")
REPORT_RESOLUTIONS = ("kept", "taken_down", "dismissed")
reports = Table(
    "reports",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("comment_id", Uuid(), ForeignKey("comments.id", ondelete="CASCADE"), nullable=False),
    Column("reason", String(16), nullable=False),
    Column("explanation", Text(), nullable=True),
    Column("contact_email", String(320), nullable=True),
    Column("reporter_key", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("resolution", String(16), nullable=True),  # None: open
    Column("confirmed", Boolean(), nullable=False, server_default=false()),
    Column("decision_id", Uuid(), ForeignKey("decisions.id", ondelete="SET NULL"), nullable=True),
    Column("moderator_id", Integer(), ForeignKey("moderators.id"), nullable=True),
    Column("resolved_at", UTCDateTime(), nullable=True),
    CheckConstraint(_in("reason", REPORT_REASONS), name="reason"),
    CheckConstraint(_in("resolution", REPORT_RESOLUTIONS), name="resolution"),
    UniqueConstraint("comment_id", "reporter_key"),
)
# The reported folder: open reports grouped by reply; and the labels' look-up of a take-down's confirmed reason.
Index("ix_reports_open", reports.c.resolution, reports.c.comment_id)
Index("ix_reports_decision", reports.c.decision_id)

# What `replyguard import` brought in, by its id in the source file: importing the same file again finds each item
# here and changes nothing. `source` is the format, with the operator's --namespace when one site imports two files
# whose ids overlap ("wordpress", "wordpress:archive"). No foreign key: an erased or purged reply keeps its line with
# comment_id None, so a re-import does not bring it back. `as_label`: the import was told to teach the model with it.
IMPORT_KINDS = ("article", "comment")
imported_items = Table(
    "imported_items",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("source_id", String(255), primary_key=True),
    Column("article_id", String(128), nullable=True),
    Column("comment_id", Uuid(), nullable=True, index=True),
    Column("as_label", Boolean(), nullable=False, server_default=false()),
    Column("imported_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("kind", IMPORT_KINDS), name="kind"),
)
