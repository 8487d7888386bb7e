"""An author's standing, by the email address as submitted: trusted (the last K replies people decided on were
approved, none rejected since) and whether they have anything published yet (for `first-reply-held`). Read only
when it could change a reply's outcome (policy.trust_could_publish)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from service.storage import site_rules as rule_store


@dataclass(frozen=True, slots=True)
class Standing:
    trusted: bool = False
    has_published: bool = False


async def standings(
    conn: AsyncConnection, emails: Sequence[str], *, trust_after: int, need_published: bool = True
) -> dict[str, Standing]:
    """Per email, its standing; at most three statements for the whole batch.

    Trusted: of the author's replies that people decided on, the `trust_after` latest are all published (approved),
    and none of the author's replies became rejected after the oldest of those was written. Replies published by
    the model or on trust neither earn nor spend it. A rejection, by a person or a rule, ends trust at once; K new
    approvals earn it back. `trust_after` 0 turns trust off.
    """
    if not emails:
        return {}
    published = await rule_store.authors_with_published(conn, emails) if need_published else set()
    trusted: set[str] = set()
    if trust_after > 0:
        reviewed: dict[str, list[Row[Any]]] = {}
        for row in await rule_store.reviewed_replies(conn, emails, per_author=trust_after):
            reviewed.setdefault(row.email, []).append(row)
        candidates = {
            email: found
            for email, found in reviewed.items()
            if len(found) >= trust_after and all(row.status == "published" for row in found)
        }
        rejected = await rule_store.last_rejections(conn, list(candidates)) if candidates else {}
        for email, found in candidates.items():
            last_rejection = rejected.get(email)
            if last_rejection is None or last_rejection < min(row.created_at for row in found):
                trusted.add(email)
    return {email: Standing(trusted=email in trusted, has_published=email in published) for email in emails}
