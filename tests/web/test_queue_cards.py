"""The console queue's item fragments, kept per content: each session gets its own CSRF token, a changed item is
rendered anew, the kept set is bounded, and what an author writes stays escaped text."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from jinja2 import Environment, FileSystemLoader

from service.app import WEB_DIR
from service.domain.views import AuthorHistory, QueueItem
from service.rules.policy import Reason
from service.web.console.queue_cards import QueueCards
from service.web.console.routes import _card

TEMPLATES = Environment(loader=FileSystemLoader(WEB_DIR / "templates"), autoescape=True)
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]*)"')


def _item(body: str = "Thanks for the article.", *, published: int = 0) -> QueueItem:
    return QueueItem(
        id=uuid.uuid4(), article_id="talks", parent_id=None, name="Reader", email="reader@example.org",
        website=None, body=body, status="pending", created_at=datetime(2026, 12, 1, tzinfo=UTC), spam_score=0.61,
        abuse_score=0.1, model_version="v1", reasons=[Reason(code="spam_score", message="spam score 0.61")],
        author_history=AuthorHistory(published=published),
    )  # fmt: skip


def test_each_session_gets_its_own_token_from_one_kept_fragment() -> None:
    cards, item = QueueCards(), _item()
    first = cards.render(TEMPLATES, item, _card, order="oldest", csrf_token="token-of-alice")
    second = cards.render(TEMPLATES, item, _card, order="oldest", csrf_token="token-of-bob")
    assert len(cards._kept) == 1
    assert set(CSRF_INPUT.findall(first)) == {"token-of-alice"} and len(CSRF_INPUT.findall(first)) == 3
    assert set(CSRF_INPUT.findall(second)) == {"token-of-bob"}
    assert first.replace("token-of-alice", "token-of-bob") == second


def test_a_changed_item_is_rendered_anew() -> None:
    cards, item = QueueCards(), _item()
    before = cards.render(TEMPLATES, item, _card, order="oldest", csrf_token="t")
    changed = QueueItem(
        **{**{f: getattr(item, f) for f in item.__struct_fields__}, "author_history": AuthorHistory(published=4)}
    )
    after = cards.render(TEMPLATES, changed, _card, order="oldest", csrf_token="t")
    assert "author: 0 published" in before and "author: 4 published" in after
    assert len(cards._kept) == 2
    # The page's order is part of what the forms send back, so it is part of the key too.
    riskiest = cards.render(TEMPLATES, item, _card, order="riskiest", csrf_token="t")
    assert 'name="order" value="riskiest"' in riskiest and len(cards._kept) == 3


def test_the_kept_set_is_bounded() -> None:
    cards = QueueCards(max_entries=2)
    for _ in range(5):
        cards.render(TEMPLATES, _item(), _card, order="oldest", csrf_token="t")
    assert len(cards._kept) == 2


def test_what_an_author_writes_stays_text() -> None:
    cards = QueueCards()
    planted = f"<script>alert(1)</script> {cards._placeholder[:8]}"
    html = cards.render(TEMPLATES, _item(planted), _card, order="oldest", csrf_token="t")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
