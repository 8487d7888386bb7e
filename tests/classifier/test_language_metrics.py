"""The card's per-language section: rows by detected language, held-out ROC AUC per head, and the coverage floor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifier import Submission, load_scorer
from classifier.language import detect_language
from classifier.language_metrics import COVERAGE_MIN_ROWS_PER_CLASS, judged_rows, language_metrics
from classifier.rows import LabelledRow
from tests.default_model import DATA_DIR

GERMAN = "Ich finde, dass die Verhandlungen in Genf ein wichtiger Schritt waren, Nummer {}"
FRENCH = "Je pense que les négociations à Genève étaient une étape importante, numéro {}"


def _rows(template: str, count: int, abuse: int) -> list[LabelledRow]:
    return [LabelledRow(template.format(i), abuse=abuse, source="test") for i in range(count)]


def test_a_language_is_covered_only_with_enough_held_out_rows_ranked_well_enough() -> None:
    enough = COVERAGE_MIN_ROWS_PER_CLASS
    held_out = _rows(GERMAN, enough, 0) + _rows(GERMAN, enough, 1) + _rows(FRENCH, 20, 0) + _rows(FRENCH, 20, 1)
    train = [*_rows(GERMAN, 7, 1), LabelledRow(FRENCH.format("x"), spam=0, abuse=0)]
    # German abusive rows score above the ordinary ones; French are ranked perfectly but are too few.
    abuse = np.concatenate([np.full(enough, 0.2), np.full(enough, 0.8), np.full(20, 0.1), np.full(20, 0.9)])
    languages = language_metrics(train, held_out, {"spam": np.zeros(len(held_out)), "abuse": abuse})
    assert languages["de"]["rows"] == {"spam": 0, "abuse": 7}
    assert languages["fr"]["rows"] == {"spam": 1, "abuse": 1}
    assert languages["de"]["roc_auc"] == {"spam": None, "abuse": 1.0}
    assert languages["de"]["covered"] is True
    assert languages["fr"]["roc_auc"]["abuse"] == 1.0 and languages["fr"]["covered"] is False
    # The same German rows ranked no better than chance are not covered.
    languages = language_metrics(train, held_out, {"spam": np.zeros(len(held_out)), "abuse": np.full(len(abuse), 0.5)})
    assert languages["de"]["roc_auc"]["abuse"] == 0.5 and languages["de"]["covered"] is False
    assert "below" in languages["de"]["why"]


def test_a_seed_only_model_lists_its_languages_and_covers_english_alone(seed_model_dir: Path) -> None:
    card = load_scorer(seed_model_dir).card
    languages = card.metrics["languages"]
    assert languages["uk"]["rows"]["spam"] > 0 and languages["uk"]["rows"]["abuse"] > 0
    assert languages["en"]["rows"]["abuse"] > languages["uk"]["rows"]["abuse"]
    assert card.covers_language("en") and not card.covers_language("uk") and not card.covers_language("de")


def test_only_rows_the_service_judges_on_the_models_word_place_thresholds() -> None:
    languages = {"en": {"covered": True}, "de": {"covered": False}}
    assert judged_rows(languages, ["en", None, "de", "ru"]) == [True, True, False, False]
    # No covered language (a seed-only model): every row places them, as before per-language metrics.
    assert judged_rows({"en": {"covered": False}}, ["en", "de"]) is None


# Our own sentences, the kinds issue 21 found published at once by the English-only model.
RUSSIAN_DEATH_WISH = "Чтоб ты сдох, мразь, и вся твоя семья вместе с тобой. Ненавижу таких уродов."
UKRAINIAN_INSULT = "Ти тупий ідіот, закрий свого брудного рота і не пиши більше дурниць."
GERMAN_INSULT = "Du bist ein widerlicher Idiot, halt endlich dein dummes Maul, du Drecksack."
RUSSIAN_PILL_SPAM = (
    "Таблетки для похудения, минус 10 кг за неделю без диет! Пишите в Телеграм @pohudei_bystro или звоните "
    "+7 912 345 67 89, цена 990 руб"
)
RUSSIAN_PILL_SPAM_NO_CONTACT = (
    "Лучшие таблетки для потенции, действуют за 15 минут, анонимная доставка по всей России, пишите в WhatsApp"
)


@pytest.mark.skipif(not DATA_DIR.is_dir(), reason="shared corpora not available")
def test_the_default_model_lists_the_readers_languages_and_holds_their_abuse_and_spam(model_dir: Path) -> None:
    scorer = load_scorer(model_dir)
    card, thresholds = scorer.card, scorer.card.thresholds
    languages = card.metrics["languages"]
    assert card.covers_language("en")
    for code in ("de", "ru", "fr", "ar"):
        assert languages[code]["rows"]["abuse"] >= 1000 and languages[code]["roc_auc"]["abuse"] is not None
    for insult in (RUSSIAN_DEATH_WISH, UKRAINIAN_INSULT, GERMAN_INSULT):
        assert scorer.score(Submission(insult)).abuse_score >= thresholds.abuse_hold
    assert scorer.score(Submission(RUSSIAN_PILL_SPAM)).spam_score >= thresholds.spam_hold
    # Spam naming only a messenger scores below the hold; the coverage hold keeps it from being published.
    assert detect_language(RUSSIAN_PILL_SPAM_NO_CONTACT) == "ru" and not card.covers_language("ru")
