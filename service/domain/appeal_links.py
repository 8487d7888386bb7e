"""The appeal link of a statement of reasons: it names the reply and the decision appealed, expires after six
months (the Digital Services Act asks for at least that), and is signed like every link in mails."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from service.domain.mail_links import signature

WINDOW: Final = timedelta(days=183)


@dataclass(frozen=True, slots=True)
class AppealLink:
    """What a statement's appeal link names: the reply, the decision appealed, until when, and the signature."""

    comment_id: uuid.UUID
    decision_id: uuid.UUID
    expires: int
    signature: str

    def subject(self) -> str:
        return f"{self.comment_id}:{self.decision_id}"


def appeal_link(base_url: str, secret: bytes, comment_id: str, decision_id: str, *, now: datetime) -> str:
    until = int((now + WINDOW).timestamp())
    signed = signature(secret, "appeal", f"{comment_id}:{decision_id}", until)
    return f"{base_url.rstrip('/')}/appeals/new?c={comment_id}&d={decision_id}&e={until}&s={signed}"
