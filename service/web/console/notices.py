"""The console's status banners: fixed codes in a redirect's query, signed for the session that earned them.

A page shows a banner only for a known code whose signature (an HMAC under the session's CSRF token) matches, so a
link from anywhere else (`/console?notice=...`) shows nothing: no text of someone else's choosing ever appears where
the console reports what happened. The texts are fixed; only a reply's name (read from the database) and counts fill
them in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass

TEXTS = {
    "approved": "Approved: {name}",
    "rejected": "Rejected: {name}",
    "approved_many": "{done} approved",
    "rejected_many": "{done} rejected",
    "undone": "Your last decision was undone",
    "nothing_to_undo": "Nothing to undo",
    "model_promoted": "The chosen model is now active (other replicas switch within a registry poll)",
    "model_rolled_back": "Rolled back: the previous model is active (other replicas switch within a registry poll)",
    "rule_saved": "Rule saved",
    "rule_removed": "Rule removed",
    "mode_saved": "Premoderation mode saved",
    "setting_saved": "Setting saved",
    "sanctioned": "Sanction saved",
    "lifted": "Sanction lifted",
    "sanctioned_author": "Sanction set for the author of {name}'s reply",
    "webhook_test_sent": "Test message queued: it shows below once delivered",
    "webhook_removed": "Endpoint deleted",
    "delivery_replayed": "The delivery goes out again at the next round",
    "appeal_reversed": "Appeal decided: the reply is published, and its author is told",
    "appeal_upheld": "Appeal decided: the decision stands, and the author is told",
    "reports_kept": "Reports closed: the reply stays published",
    "reports_taken_down": "Taken down on readers' reports: its author gets a statement of reasons",
    "reports_dismissed": "Reports dismissed as unfounded: the reply stays published",
}
LEFT_ALONE = "; {left} left alone (decided by someone else meanwhile)"
NAMED = frozenset({"approved", "rejected", "sanctioned_author"})


@dataclass(frozen=True, slots=True)
class Notice:
    code: str
    item: uuid.UUID | None = None
    done: int = 0
    left: int = 0

    def _signature(self, csrf_token: str) -> str:
        message = f"{self.code}|{self.item or ''}|{self.done}|{self.left}".encode()
        digest = hmac.new(csrf_token.encode(), message, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def query(self, csrf_token: str) -> dict[str, str | None]:
        """The redirect's query parameters for this notice, signed for the session with `csrf_token`."""
        return {
            "notice": self.code,
            "item": str(self.item) if self.item else None,
            "done": str(self.done) if self.done else None,
            "left": str(self.left) if self.left else None,
            "sig": self._signature(csrf_token),
        }

    def signed_for(self, csrf_token: str, sig: str | None) -> bool:
        return (
            self.code in TEXTS
            and bool(sig)
            and hmac.compare_digest(self._signature(csrf_token).encode(), (sig or "").encode())
        )

    def text(self, name: str | None = None) -> str | None:
        """The banner; None for a named notice whose reply is gone."""
        if self.code in NAMED and name is None:
            return None
        text = TEXTS[self.code].format(name=name, done=self.done)
        return text + LEFT_ALONE.format(left=self.left) if self.left else text


def banner(code: str | None, csrf_token: str, sig: str | None) -> str | None:
    """The banner of a page a session's own redirect sent it to with notice `code` (signed for that session), or
    none: a link someone else made shows nothing."""
    notice = Notice(code or "")
    return notice.text() if notice.signed_for(csrf_token, sig) else None
