"""What an import reads from any source: articles and comments in one shape, in file order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# A reply's status in replyguard's terms, and why a rejected one was rejected where it came from.
IMPORT_STATUSES = ("published", "pending", "rejected")
# Others may come from replyguard's own exports (abuse, off_topic...) and Remark42 (author_blocked).
REJECTION_REASONS = ("spam", "deleted", "author_blocked")


class MalformedSource(Exception):
    """The file cannot be read as its format: where (a line, or an element and its position) and why."""

    def __init__(self, where: str, reason: str) -> None:
        self.where, self.reason = where, reason
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True, slots=True)
class SourceArticle:
    """An article (post, thread, page) as the source names it. `source_id` is unique within the source."""

    source_id: str
    article_id: str  # replyguard's id for it (formats/article_ids.py)
    title: str | None = None
    url: str | None = None
    closed: bool = False


@dataclass(frozen=True, slots=True)
class SourceComment:
    """A reply. `parent_source_id` None: top level. `email` None: the source had none (or an invalid one)."""

    source_id: str
    article_source_id: str
    parent_source_id: str | None
    name: str
    email: str | None
    website: str | None
    body: str
    created_at: datetime
    status: str  # one of IMPORT_STATUSES
    reason: str | None = None  # for "rejected": one of REJECTION_REASONS
    # The reply's id in replyguard when the source knows it: a WordPress comment the replyguard plugin sent keeps it
    # in its meta (replyguard_id). Such a reply is already here: the import links it instead of copying it.
    replyguard_id: str | None = None


@dataclass(frozen=True, slots=True)
class SourceSkipped:
    """Something in the file that is not a reader's reply (a pingback, a trackback, a shop's order note): counted in
    the report, never imported. A reply to it goes to the top level."""

    kind: str


SourceItem = SourceArticle | SourceComment | SourceSkipped
