"""Akismet's protocol, pure: form fields in, Akismet's exact plain-text answers and headers out.

What the answers mean here: `true` (spam) once the spam score reaches the model's hold threshold, with
`X-akismet-pro-tip: discard` once it reaches the reject threshold; `false` otherwise. Akismet speaks of spam only,
so the abuse head plays no part (Perspective's TOXICITY carries it, see perspective.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from classifier import Scores, Submission, Thresholds
from classifier.submission import email_domain
from classifier.thresholds import head_outcome
from service.errors import RETRY_AFTER_SECONDS
from service.integrations.feedback import Feedback

THANKS = "Thanks for making the web a better place."
# Akismet's documented test values: these authors are always spam, an administrator never is.
GUARANTEED_SPAM_AUTHORS = frozenset({"viagra-test-123", "akismet-guaranteed-spam"})
GUARANTEED_SPAM_EMAIL = "akismet-guaranteed-spam@example.com"
NEVER_SPAM_ROLE = "administrator"
REQUIRED = ("blog", "user_ip")
_TRUE = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True, slots=True)
class Answer:
    """One Akismet answer: the plain-text body and its headers. Akismet answers 200 even to a bad request; its
    clients read the body and the X-akismet-* headers, not the status."""

    body: str
    headers: dict[str, str] = field(default_factory=dict)
    status_code: int = 200


@dataclass(frozen=True, slots=True)
class AkismetComment:
    """The fields of a comment-check / submit-spam / submit-ham request that replyguard reads."""

    content: str
    author: str
    email: str
    url: str
    user_role: str
    is_test: bool
    honeypot_filled: bool


INVALID_KEY = Answer(
    "invalid",
    {"X-akismet-debug-help": "Missing, unknown, expired or revoked API key (`replyguard apikey add` makes one)."},
)
VALID_KEY = Answer("valid")
NO_MODEL = Answer(
    "The service cannot check comments right now; try again shortly.",
    {"X-akismet-error": "no model is loaded", "Retry-After": RETRY_AFTER_SECONDS},
    status_code=503,
)


def key_of(fields: Mapping[str, str]) -> str | None:
    """The API key: `api_key` as current clients send it, or `key` as verify-key long took it (the Python `akismet`
    client still sends that)."""
    return fields.get("api_key") or fields.get("key") or None


def missing_field(fields: Mapping[str, str]) -> Answer | None:
    """Akismet's answer to a request without one of its required fields, or None when all are there."""
    for name in REQUIRED:
        if not fields.get(name, "").strip():
            return Answer(
                f"Missing required field: {name}.",
                {
                    "X-akismet-error": f"Missing required field: {name}.",
                    "X-akismet-debug-help": f"Empty {name!r} value",
                },
            )
    return None


def read_comment(fields: Mapping[str, str]) -> AkismetComment:
    honeypot = fields.get("honeypot_field_name", "")
    return AkismetComment(
        content=fields.get("comment_content", ""),
        author=fields.get("comment_author", ""),
        email=fields.get("comment_author_email", ""),
        url=fields.get("comment_author_url", ""),
        user_role=fields.get("user_role", ""),
        is_test=fields.get("is_test", "").strip().lower() in _TRUE,
        # Akismet's honeypot: the site names its hidden field and sends that field's value along.
        honeypot_filled=bool(honeypot and honeypot != "honeypot_field_name" and fields.get(honeypot, "").strip()),
    )


def fixed_verdict(comment: AkismetComment) -> bool | None:
    """True (spam) or False (ham) when Akismet's rules decide without the model; None when the model must."""
    if comment.user_role.strip().lower() == NEVER_SPAM_ROLE:
        return False
    if comment.author.strip().lower() in GUARANTEED_SPAM_AUTHORS:
        return True
    if comment.email.strip().lower() == GUARANTEED_SPAM_EMAIL:
        return True
    return True if comment.honeypot_filled else None


def submission(comment: AkismetComment) -> Submission:
    """What the model sees: the text, the name, an http(s) website, and the email's domain only."""
    website = comment.url.strip() if comment.url.strip().lower().startswith(("http://", "https://")) else None
    return Submission(
        body=comment.content, name=comment.author.strip(), website=website, email_domain=email_domain(comment.email)
    )


def check_answer(scores: Scores, thresholds: Thresholds) -> Answer:
    """What the spam head's outcome (classifier.thresholds.head_outcome) is in Akismet's words."""
    says = head_outcome(scores.spam_score, hold=thresholds.spam_hold, reject=thresholds.spam_reject)
    if says == "reject":
        return Answer("true", {"X-akismet-pro-tip": "discard"})
    return Answer("true" if says == "review" else "false")


def fixed_answer(spam: bool) -> Answer:
    return Answer("true" if spam else "false")


def feedback(comment: AkismetComment, *, spam: bool) -> Feedback | None:
    """The training label a submit-spam / submit-ham teaches, or None: test requests (`is_test`) and empty comments
    teach nothing. Only the spam head learns: Akismet says nothing about abuse."""
    if comment.is_test or not comment.content.strip():
        return None
    subject = submission(comment)
    return Feedback(source="akismet", text=comment.content, name=subject.name, website=subject.website, spam=int(spam))
