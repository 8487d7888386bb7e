"""Service settings: the only reader of the REPLYGUARD_* environment, validated at start-up."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from classifier.thresholds import POLICIES

PREFIX = "REPLYGUARD_"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./replyguard.db"
# The honeypot's name goes into HTML attributes and the embed's script: a plain form-field name, nothing to escape.
HONEYPOT_FIELD = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Coral generates 64+ hex characters; a short secret is a typo or a guessable one.
CORAL_SECRET_MIN = 16
CONSOLE_SECRET_MIN = 32
RELEVANCE_MODES = ("auto", "off")
# A served thread nests two containers (a comment and its replies list) per level and JSON encoders recurse on each:
# msgspec raises RecursionError near 500 levels. 100 stays far below, and no reader needs more than a handful.
MAX_THREAD_DEPTH = 100


class SettingsError(ValueError):
    """A REPLYGUARD_* variable holds a value the service cannot use; the message names it."""


def _default_data_dir() -> Path | None:
    # The corpora live beside the repository in development and CI; elsewhere the seed corpus alone is used.
    candidate = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


# How long a scoring child may leave waiting requests without any answer before it counts as stuck (the default of
# REPLYGUARD_SCORING_TIMEOUT_SECONDS, and of a ScoringProcess made without settings).
SCORING_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything an operator can set. Each field is REPLYGUARD_<FIELD NAME IN CAPITALS>."""

    database_url: str = DEFAULT_DATABASE_URL
    model_dir: Path = Path("models")
    data_dir: Path | None = field(default_factory=_default_data_dir)
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    access_log: bool = True

    # Submission rules (the contract's limits; body length is configurable).
    body_max_chars: int = 5000
    request_max_bytes: int = 64 * 1024
    # Slow clients and oversized heads (service/web/http_protocol.py): a request must arrive whole within this many
    # seconds (408 otherwise), its request line and headers within this many bytes (431 otherwise); beyond this
    # many open connections and requests in progress, new requests get 503.
    request_read_timeout_seconds: float = 10.0
    max_header_bytes: int = 16 * 1024
    max_connections: int = 1000
    email_check_deliverability: bool = False
    max_links: int = 3
    idempotency_ttl_hours: int = 24
    # The same body from the same email again within this many minutes waits for a person (0 turns it off).
    duplicate_window_minutes: int = 60
    # A spam run: a reply whose near-copies came from this many email addresses within the window waits
    # for a person (0 turns it off). See service/abuse/spam_runs.py.
    spam_run_threshold: int = 3
    spam_run_window_minutes: int = 60
    # Levels a thread may have, the top level included (WordPress's default, 5): a reply to a comment at the last
    # level attaches to that comment's parent instead, and deeper stored replies are served at the last level.
    max_thread_depth: int = 5
    # How long after submitting an author may edit or delete their reply with the edit token the submit answer
    # gave (docs/moderation-rules.md, "Editing and deleting"). 0: no token is given and nothing can be edited.
    edit_window_seconds: int = 900
    # An author whose last this-many replies people approved, none rejected since, is trusted: the service's own
    # doubts no longer hold their replies (docs/moderation-rules.md). 0: nobody is trusted.
    trust_after_approvals: int = 3
    # How often a worker checks whether another worker or replica changed the site's rules (its own changes show
    # at once).
    rules_check_seconds: float = 1.0

    # Which of the card's threshold sets decides (classifier/thresholds.py POLICIES): "review-budget" sends at most
    # ~15% of replies to people and publishes more of the bad ones; "error-targets" publishes at most ~1% of bad
    # replies and sends people as many as that takes (docs/model.md has both operating points).
    threshold_policy: str = "review-budget"
    # Threshold overrides; None means "use the thresholds the active model card was tuned with".
    spam_hold_threshold: float | None = None
    spam_reject_threshold: float | None = None
    abuse_hold_threshold: float | None = None
    abuse_reject_threshold: float | None = None

    # Origins whose pages may receive the 303 of a plain form post (e.g. "https://news.example").
    allowed_origins: tuple[str, ...] = ()
    rate_limit_enabled: bool = True
    # Submissions allowed per client address and per email address in each window.
    submit_limit_per_address: int = 20
    submit_limit_per_email: int = 5
    submit_limit_window_seconds: int = 60
    # Readers' reports (docs/moderation-rules.md): open reports that send a published reply to the moderators'
    # reported folder, and for illegal content (which also leaves the public view at once); reports accepted per client
    # address in each window.
    report_threshold: int = 3
    report_threshold_illegal: int = 1
    report_limit_per_address: int = 10
    report_limit_window_seconds: int = 3600
    # Failed moderator authentications (bad, expired or revoked tokens) per client address in each window: past
    # this, 429 instead of 401.
    auth_failure_limit_per_address: int = 10
    auth_failure_window_seconds: int = 300
    # Proxies whose X-Forwarded-For is believed (comma-separated addresses); none by default.
    trusted_proxies: tuple[str, ...] = ()
    # Rejected replies older than this are deleted by `replyguard purge` (run it from a scheduler).
    retention_rejected_days: int = 90
    # Sent, dead and skipped outbox messages (reply text, mail addresses) are deleted by `replyguard purge` after this.
    retention_outbox_days: int = 14
    # Contact emails readers left with reports are forgotten by `replyguard purge` this long after a moderator
    # decided the reports (the reports stay, without them).
    retention_report_contact_days: int = 30
    # Name of the hidden form field that people leave empty and bots fill in.
    honeypot_field: str = "homepage"
    # GET /demo/{article_id}: an article page with the reader embed, for trying the loop after `make run`.
    # Production turns it off; while on, the service's own /demo/ pages may receive a form post's 303.
    demo_pages: bool = True
    train_if_missing: bool = True
    # How often a running service checks the registry for a newly promoted model (0 turns it off).
    model_poll_seconds: float = 30.0
    # Learning without an operator (service/domain/learning.py): each service process checks every
    # retrain_check_seconds whether retrain_after_decisions moderator decisions arrived since the last training, and
    # if so (at most once per retrain_min_interval_minutes across every replica) trains a challenger in a child
    # process and promotes it only if it is better on the site's newest decisions. false leaves it to
    # `replyguard worker` (or to nobody).
    auto_retrain: bool = True
    retrain_after_decisions: int = 200
    retrain_min_interval_minutes: float = 60.0
    retrain_check_seconds: float = 60.0
    db_pool_size: int = 10
    # Threads that run SQLite reads (the embedded default). Under load, reads in several threads fight the event loop
    # for the GIL: at 64 connections the moderation queue cost 3.1 ms of CPU a request with 4 threads, 1.7 ms with
    # one (docs/performance.md). More threads only help when some reads are slow enough to hold up the rest.
    sqlite_read_threads: int = 1
    # Shared state for several workers or replicas, e.g. redis://redis:6379/0: submission rate-limit counters.
    # Unset, they are counted in each process (right for the embedded single-worker default).
    redis_url: str | None = None
    # Rendered reader pages kept in memory per worker (0 turns the reader cache off), and how long another
    # worker's write may take to show here (this worker's own writes show at once). See service/storage/reader_cache.py.
    read_cache_entries: int = 1024
    read_cache_seconds: float = 1.0
    # How long what moderators read (who a token or console session belongs to, a queue page) is served again from
    # memory before it is read anew: another worker's write (a decision, a revoked token) may take this long to show
    # here, this worker's own writes show at once (0: read every time). See service/storage/recent_reads.py.
    moderation_cache_seconds: float = 1.0
    # How long a moderator stays signed in to the console (/console) without signing in again.
    console_session_hours: float = 12.0
    # The key that signs the console's sign-in form tokens (at least 32 characters, the same on every replica).
    # Unset, the service makes one on first use and keeps it in the database, where every replica finds it.
    console_secret: str | None = None
    # Score batches of concurrent submissions in a child process per worker (service/scoring/child_process.py), so
    # scoring runs beside the event loop on another core; false scores everything on the event loop.
    scoring_process: bool = True
    # A scoring child that answers nothing for this long while batches wait is stuck (a loop, a pathological input):
    # it is replaced as if it had died, and its batches wait for a person. Normal batches take milliseconds; the
    # first request also waits for the child's start-up (a few seconds on a busy machine).
    scoring_timeout_seconds: float = SCORING_TIMEOUT_SECONDS
    # Coral's external moderation phase (POST /coral/external-moderation): the phase's signing secrets as Coral's admin
    # shows them, comma-separated (two while a rotated secret is still active). Unset, the endpoint answers 404.
    coral_signing_secrets: tuple[str, ...] = ()
    # Article relevance (service/scoring/relevance.py): "auto" uses it when the relevance extra is installed and the
    # active model's card has relevance parameters; "off" never loads the embedding model (no extra memory or latency).
    relevance: str = "auto"
    # The outbox (docs/notifications.md): messages are written with the change that causes them and delivered by a
    # worker, inside `replyguard serve` unless delivery_worker is false (then `replyguard worker` delivers). It
    # polls every delivery_poll_seconds (this process's own messages wake it at once), tries a message up to
    # delivery_max_attempts times, waiting delivery_backoff_seconds after the first failure and twice as long after
    # each next one (at most delivery_backoff_max_seconds), and then marks it dead (`replyguard outbox replay ID`).
    delivery_worker: bool = True
    delivery_poll_seconds: float = 1.0
    delivery_max_attempts: int = 8
    delivery_backoff_seconds: float = 30.0
    delivery_backoff_max_seconds: float = 21600.0
    # How long a worker's claim on a message lasts: a worker that died mid-delivery leaves its messages to the others
    # this long. Above the webhook timeout, so that a live worker's claim never runs out under a slow receiver.
    delivery_lease_seconds: float = 120.0
    # A webhook call that has not answered within this many seconds failed (and is retried).
    webhook_timeout_seconds: float = 10.0
    # Networks webhook targets may resolve to although they are private, loopback or link-local (comma-separated
    # CIDRs, e.g. 10.0.0.0/8 for a receiver inside the cluster). None by default: such targets are refused.
    webhook_private_networks: tuple[str, ...] = ()
    # Email (docs/notifications.md): sent over SMTP when smtp_host is set, with links to public_url (this service as
    # readers reach it, e.g. https://comments.news.example). smtp_tls: "starttls" (upgrade on the submission port),
    # "tls" (implicit TLS, port 465) or "none" (a relay on the same host only). Unset host: no email is written.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_tls: str = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = 30.0
    email_sender: str = "replyguard <noreply@localhost>"
    public_url: str | None = None
    # Named in every statement of reasons: the site's terms, and whom to write to about a decision.
    site_terms_url: str | None = None
    legal_contact: str | None = None
    # Reply notifications to one address wait this long to gather every reply that arrives meanwhile into one mail.
    email_batch_seconds: float = 300.0
    # Send limits: mails to one address per 24 hours, and to anyone per hour; beyond them mail waits (retried).
    email_limit_per_address: int = 20
    email_limit_per_hour: int = 1000
    # How long a confirmation link works.
    email_confirm_hours: float = 48.0
    # Moderator alerts (service/domain/queue_alerts.py): mail to these addresses when the oldest pending reply is older
    # than alert_pending_minutes or more than alert_queue_depth replies wait, at most one alert per
    # alert_window_minutes across every replica; checked every alert_check_seconds. No address: no alerts.
    alert_emails: tuple[str, ...] = ()
    alert_pending_minutes: float = 60.0
    alert_queue_depth: int = 100
    alert_window_minutes: float = 60.0
    alert_check_seconds: float = 60.0
    # A daily digest to the same addresses: what waits, what was decided and appealed in the last 24 hours.
    alert_daily_digest: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.body_max_chars <= 100_000:
            raise SettingsError("REPLYGUARD_BODY_MAX_CHARS must be between 1 and 100000")
        if self.request_max_bytes < 1024:
            raise SettingsError("REPLYGUARD_REQUEST_MAX_BYTES must be at least 1024")
        if not 0 < self.scoring_timeout_seconds <= 3600:
            raise SettingsError("REPLYGUARD_SCORING_TIMEOUT_SECONDS must be above 0 and at most 3600")
        if not 0 < self.request_read_timeout_seconds <= 600:
            raise SettingsError("REPLYGUARD_REQUEST_READ_TIMEOUT_SECONDS must be above 0 and at most 600")
        if self.max_header_bytes < 1024:
            raise SettingsError("REPLYGUARD_MAX_HEADER_BYTES must be at least 1024")
        if self.max_connections < 1:
            raise SettingsError("REPLYGUARD_MAX_CONNECTIONS must be at least 1")
        if not 0 <= self.max_links <= 100:
            raise SettingsError("REPLYGUARD_MAX_LINKS must be between 0 and 100")
        for name in ("spam_hold_threshold", "spam_reject_threshold", "abuse_hold_threshold", "abuse_reject_threshold"):
            value = getattr(self, name)
            if value is not None and not 0.0 < value < 1.0:  # as a model card's: 0 < hold < reject < 1
                raise SettingsError(f"{PREFIX}{name.upper()} must be above 0 and below 1")
        if self.threshold_policy not in POLICIES:
            raise SettingsError(f"REPLYGUARD_THRESHOLD_POLICY must be one of: {', '.join(POLICIES)}")
        if not 2 <= self.max_thread_depth <= MAX_THREAD_DEPTH:
            raise SettingsError(f"REPLYGUARD_MAX_THREAD_DEPTH must be between 2 and {MAX_THREAD_DEPTH}")
        if not 0 <= self.edit_window_seconds <= 7 * 24 * 3600:
            raise SettingsError("REPLYGUARD_EDIT_WINDOW_SECONDS must be between 0 (off) and 604800 (a week)")
        if not 0 <= self.trust_after_approvals <= 100:
            raise SettingsError("REPLYGUARD_TRUST_AFTER_APPROVALS must be between 0 (off) and 100")
        if not 0 <= self.rules_check_seconds <= 60:
            raise SettingsError("REPLYGUARD_RULES_CHECK_SECONDS must be between 0 and 60")
        if self.spam_run_threshold < 0:
            raise SettingsError("REPLYGUARD_SPAM_RUN_THRESHOLD must be 0 (off) or more")
        for name in (
            "submit_limit_per_address",
            "submit_limit_per_email",
            "submit_limit_window_seconds",
            "spam_run_window_minutes",
            "auth_failure_limit_per_address",
            "auth_failure_window_seconds",
            "report_threshold",
            "report_threshold_illegal",
            "report_limit_per_address",
            "report_limit_window_seconds",
            "sqlite_read_threads",
        ):
            if getattr(self, name) < 1:
                raise SettingsError(f"{PREFIX}{name.upper()} must be at least 1")
        if self.read_cache_entries < 0 or not 0 <= self.read_cache_seconds <= 60:
            raise SettingsError("REPLYGUARD_READ_CACHE_ENTRIES must be 0 or more, REPLYGUARD_READ_CACHE_SECONDS 0-60")
        if not 0 <= self.moderation_cache_seconds <= 10:
            raise SettingsError("REPLYGUARD_MODERATION_CACHE_SECONDS must be 0-10")
        if not HONEYPOT_FIELD.fullmatch(self.honeypot_field):
            raise SettingsError("REPLYGUARD_HONEYPOT_FIELD must be 1-64 of A-Z a-z 0-9 _ -")
        if self.retrain_after_decisions < 1:
            raise SettingsError("REPLYGUARD_RETRAIN_AFTER_DECISIONS must be at least 1")
        if self.retrain_min_interval_minutes < 0:
            raise SettingsError("REPLYGUARD_RETRAIN_MIN_INTERVAL_MINUTES must be 0 or more")
        if self.retrain_check_seconds <= 0:
            raise SettingsError("REPLYGUARD_RETRAIN_CHECK_SECONDS must be above 0")
        if self.model_poll_seconds < 0:
            raise SettingsError("REPLYGUARD_MODEL_POLL_SECONDS must be 0 (off) or more")
        if self.redis_url is not None and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError("REPLYGUARD_REDIS_URL must start with redis://, rediss:// or unix://")
        if any(len(secret) < CORAL_SECRET_MIN for secret in self.coral_signing_secrets):
            raise SettingsError(
                f"REPLYGUARD_CORAL_SIGNING_SECRETS: each secret must be at least {CORAL_SECRET_MIN} characters"
            )
        if self.console_secret is not None and len(self.console_secret) < CONSOLE_SECRET_MIN:
            raise SettingsError(f"REPLYGUARD_CONSOLE_SECRET must be at least {CONSOLE_SECRET_MIN} characters")
        if self.relevance not in RELEVANCE_MODES:
            raise SettingsError(f"REPLYGUARD_RELEVANCE must be one of: {', '.join(RELEVANCE_MODES)}")
        if self.delivery_poll_seconds <= 0 or self.delivery_backoff_seconds <= 0:
            raise SettingsError(
                "REPLYGUARD_DELIVERY_POLL_SECONDS and REPLYGUARD_DELIVERY_BACKOFF_SECONDS must be above 0"
            )
        if self.delivery_backoff_max_seconds < self.delivery_backoff_seconds:
            raise SettingsError(
                "REPLYGUARD_DELIVERY_BACKOFF_MAX_SECONDS must be at least REPLYGUARD_DELIVERY_BACKOFF_SECONDS"
            )
        if not 1 <= self.delivery_max_attempts <= 100:
            raise SettingsError("REPLYGUARD_DELIVERY_MAX_ATTEMPTS must be between 1 and 100")
        if not 0 < self.webhook_timeout_seconds <= 60:
            raise SettingsError("REPLYGUARD_WEBHOOK_TIMEOUT_SECONDS must be above 0 and at most 60")
        if self.delivery_lease_seconds < 2 * self.webhook_timeout_seconds:
            raise SettingsError(
                "REPLYGUARD_DELIVERY_LEASE_SECONDS must be at least twice REPLYGUARD_WEBHOOK_TIMEOUT_SECONDS"
            )
        for network in self.webhook_private_networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as exc:
                raise SettingsError(f"REPLYGUARD_WEBHOOK_PRIVATE_NETWORKS: {network!r} is not a network") from exc
        if self.smtp_tls not in ("starttls", "tls", "none"):
            raise SettingsError("REPLYGUARD_SMTP_TLS must be one of: starttls, tls, none")
        if self.smtp_host is not None and not (self.public_url or "").startswith(("http://", "https://")):
            raise SettingsError("REPLYGUARD_PUBLIC_URL must be set (http:// or https://) when REPLYGUARD_SMTP_HOST is")
        if not 1 <= self.smtp_port <= 65535:
            raise SettingsError("REPLYGUARD_SMTP_PORT must be between 1 and 65535")
        if self.email_batch_seconds < 0 or self.email_confirm_hours <= 0 or self.smtp_timeout_seconds <= 0:
            raise SettingsError(
                "REPLYGUARD_EMAIL_BATCH_SECONDS must be 0 or more, REPLYGUARD_EMAIL_CONFIRM_HOURS and "
                "REPLYGUARD_SMTP_TIMEOUT_SECONDS above 0"
            )
        if self.email_limit_per_address < 1 or self.email_limit_per_hour < 1:
            raise SettingsError(
                "REPLYGUARD_EMAIL_LIMIT_PER_ADDRESS and REPLYGUARD_EMAIL_LIMIT_PER_HOUR must be at least 1"
            )
        if self.alert_emails and not self.email_enabled:
            raise SettingsError("REPLYGUARD_ALERT_EMAILS needs REPLYGUARD_SMTP_HOST")
        if min(self.alert_pending_minutes, self.alert_window_minutes, self.alert_check_seconds) <= 0:
            raise SettingsError("REPLYGUARD_ALERT_PENDING_MINUTES, _WINDOW_MINUTES and _CHECK_SECONDS must be above 0")
        if self.alert_queue_depth < 1:
            raise SettingsError("REPLYGUARD_ALERT_QUEUE_DEPTH must be at least 1")
        if not self.database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise SettingsError("REPLYGUARD_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://")

    @property
    def email_enabled(self) -> bool:
        return self.smtp_host is not None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from REPLYGUARD_* variables; unknown REPLYGUARD_* names are an error (typos fail loudly)."""
        env = os.environ if environ is None else environ
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in env.items():
            if not key.startswith(PREFIX) or key.startswith(PREFIX + "TEST_"):
                continue
            name = key[len(PREFIX) :].lower()
            if name not in known:
                raise SettingsError(f"unknown setting {key}")
            values[name] = _parse(name, str(known[name].type), raw)
        return cls(**values)


def _parse(name: str, type_name: str, raw: str) -> Any:
    text = raw.strip()
    try:
        if type_name == "bool":
            lowered = text.lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError(text)
        if type_name == "int":
            return int(text)
        if type_name == "float":
            return float(text)
        if type_name == "float | None":
            return None if text == "" else float(text)
        if type_name == "Path":
            return Path(text)
        if type_name == "str | None":
            return None if text == "" else text
        if type_name == "Path | None":
            return None if text == "" else Path(text)
        if type_name == "tuple[str, ...]":
            return tuple(part.strip().rstrip("/") for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise SettingsError(f"{PREFIX}{name.upper()}: cannot read {raw!r} as {type_name}") from exc
    return text
