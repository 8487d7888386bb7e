"""Moderator alerts: a mail when the queue is too deep or its oldest reply too old, at most one per window whatever
the number of replies, workers or checks; sent through a real SMTP server by the service's own worker."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from classifier import Scorer
from service.domain.queue_alerts import AlertRule, alert_if_due, breaches, digest_if_due
from service.settings import Settings
from service.storage.database import opened
from service.storage.tables import articles, comments
from tests.mailbox import Mailbox, text_of
from tests.replies import POLITE, reply
from tests.web.test_email import URL, mail_settings, mailbox, serving

__all__ = ["mailbox"]
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
RULE = AlertRule(recipients=("mods@news.example",), oldest_after=timedelta(minutes=60), depth_over=10,
                 window=timedelta(minutes=60))  # fmt: skip


@pytest.mark.parametrize(
    ("depth", "waited_minutes", "reasons"),
    [
        (0, None, 0),
        (10, 60, 0),  # at both thresholds, not past them
        (11, 5, 1),
        (3, 61, 1),
        (11, 61, 2),
    ],
)
def test_an_alert_is_due_only_past_a_threshold(depth: int, waited_minutes: int | None, reasons: int) -> None:
    oldest = None if waited_minutes is None else NOW - timedelta(minutes=waited_minutes)
    assert len(breaches(RULE, depth=depth, oldest=oldest, now=NOW)) == reasons


def test_a_deep_queue_sends_one_alert_per_window_however_many_replies_and_checks(
    settings: Settings, mailbox: Mailbox, default_model: Scorer, admin_headers: dict[str, str]
) -> None:
    configured = mail_settings(settings, mailbox, alert_emails=("mods@news.example",), alert_queue_depth=2,
                               alert_check_seconds=0.05, alert_window_minutes=60)  # fmt: skip
    with serving(configured, default_model) as client:
        client.put("/api/v1/rules/modes/articles/mail", json={"mode": "all-held"}, headers=admin_headers)
        for n in range(3):
            assert client.post(URL, json=reply(POLITE[n], email=f"r{n}@example.org")).json()["status"] == "pending"
        (alert,) = mailbox.wait_for("mods@news.example", 1)
        assert alert["Subject"] == "Moderation queue needs attention: 3 replies waiting"
        assert "3 replies are waiting (the threshold is 2)" in text_of(alert)
        assert alert["List-Unsubscribe"] is None
        for n in range(3, 5):
            client.post(URL, json=reply(POLITE[n], email=f"r{n}@example.org"))
        time.sleep(0.5)  # ten checks later: still one alert in this window
    assert len(mailbox.to("mods@news.example")) == 1


def test_two_checks_at_once_write_one_alert(settings: Settings) -> None:
    """Two replicas checking at the same moment: the window's lease lets one write."""

    async def scenario() -> list[bool]:
        async with opened(settings) as db:
            async with db.write() as conn:
                await conn.execute(articles.insert().values(id="a", created_at=NOW, updated_at=NOW))
                rows = [{"id": uuid.uuid4(), "article_id": "a", "name": "n", "email": f"{n}@example.org", "body": "b",
                         "status": "pending", "reasons": [], "created_at": NOW, "updated_at": NOW}
                        for n in range(12)]  # fmt: skip
                await conn.execute(comments.insert(), rows)
            return list(await asyncio.gather(*(alert_if_due(db, RULE, holder=f"h{n}", now=NOW) for n in range(2))))

    assert sorted(asyncio.run(scenario())) == [False, True]


def test_the_daily_digest_is_written_once_a_day_and_sent_with_the_days_figures(
    settings: Settings, mailbox: Mailbox, default_model: Scorer, moderator_headers: dict[str, str]
) -> None:
    configured = mail_settings(settings, mailbox, alert_emails=("mods@news.example",), alert_daily_digest=True,
                               alert_check_seconds=0.05)  # fmt: skip
    with serving(settings, default_model) as client:  # the day's work, before the digest is on
        posted = client.post(URL, json=reply(POLITE[0], email="r@example.org")).json()
        client.post(f"/api/v1/moderation/comments/{posted['id']}/decision", json={"action": "approve"},
                    headers=moderator_headers)  # fmt: skip
    with serving(configured, default_model):
        (digest,) = mailbox.wait_for("mods@news.example", 1)
        assert digest["Subject"].startswith("Moderation digest:")
        assert "decided by the model: 1" in text_of(digest) and "decided by moderators: 1" in text_of(digest)
        time.sleep(0.4)  # many checks later: still one digest today
    assert len(mailbox.to("mods@news.example")) == 1

    async def tomorrow() -> bool:
        async with opened(configured) as db:
            rule = AlertRule(recipients=("mods@news.example",), oldest_after=timedelta(hours=1), depth_over=100,
                             window=timedelta(hours=1), daily_digest=True)  # fmt: skip
            later = datetime.now(UTC) + timedelta(days=1, minutes=1)
            return await digest_if_due(db, rule, holder="next-day", now=later)

    assert asyncio.run(tomorrow()) is True
