"""Language detection of replies (classifier/language.py) and which languages a model card covers."""

from __future__ import annotations

import pytest

from classifier.card import ModelCard
from classifier.language import MIN_CHARS, detect_language
from classifier.thresholds import Thresholds


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Thanks for the detailed report on the talks, it was very helpful.", "en"),
        ("Vielen Dank für den ausführlichen Bericht über die Gespräche.", "de"),
        ("Merci pour cet article très complet sur les négociations.", "fr"),
        ("Muy buen artículo, me gustaría saber más sobre el nuevo hospital.", "es"),
        ("Спасибо за подробный репортаж о переговорах, очень интересно.", "ru"),  # noqa: RUF001 (Cyrillic)
        ("Дякую за докладний репортаж про переговори, дуже цікаво.", "uk"),
        ("شكرا على هذا المقال المفيد عن الانتخابات المحلية.", "ar"),
        # Outside the service's languages: named, not forced into the nearest of ours.
        ("Questo articolo è molto interessante, grazie mille per averlo scritto.", "it"),
        ("Ten artykuł jest bardzo ciekawy, dziękuję za jego napisanie.", "pl"),
    ],
)
def test_the_language_of_a_reply(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize(
    "text",
    ["", "Danke!", "ok", "https://example.org/a/very/long/link/that/is/no/language @someone", "1234 5678 9012 3456 78"],
)
def test_too_short_or_no_words_says_nothing(text: str) -> None:
    assert detect_language(text) is None


def test_links_and_handles_are_not_read_as_words() -> None:
    text = "Danke für den Artikel! https://example.org/english/words/here/read/this @english_handle"
    assert len("Danke für den Artikel!") >= MIN_CHARS
    assert detect_language(text) == "de"


def _card(metrics: dict[str, object]) -> ModelCard:
    return ModelCard(
        version="v", created_at="2026-12-06", sha256="0" * 64, sklearn_version="1", library_versions={},
        data_fingerprints={}, metrics=metrics, thresholds=Thresholds(0.5, 0.9, 0.5, 0.9),
    )  # fmt: skip


def test_a_card_without_per_language_metrics_covers_english_only() -> None:
    card = _card({"spam": {}, "abuse": {}})
    assert card.covers_language("en")
    assert not any(card.covers_language(code) for code in ("de", "fr", "es", "ru", "uk", "ar", "it"))


def test_a_card_with_per_language_metrics_answers_their_covered_flag() -> None:
    entry = {"rows": {"spam": 900, "abuse": 4000}, "roc_auc": {"spam": None, "abuse": 0.88}}
    languages = {"en": {**entry, "covered": True}, "de": {**entry, "covered": True}, "ru": {**entry, "covered": False}}
    card = _card({"languages": languages})
    assert card.covers_language("en") and card.covers_language("de")
    assert not card.covers_language("ru")  # listed, below the floor
    assert not card.covers_language("uk")  # not listed
    assert ModelCard.from_json(card.to_json()).covers_language("de")
