"""Champion against challenger on the site's own newest decisions: the split by time and the promotion rule."""

from __future__ import annotations

from typing import Any

import pytest

from classifier import LabelledRow, Scorer
from classifier.site_compare import (
    SITE_MAX_ROC_AUC_DROP,
    SITE_MIN_PER_CLASS,
    compare_on_site,
    hold_out_newest,
    verdict,
)
from tests.replies import POLITE, SPAM


def _rows(count: int) -> list[LabelledRow]:
    return [LabelledRow(text=f"reply {n}", spam=n % 2, abuse=0) for n in range(count)]


@pytest.mark.parametrize(
    ("decisions", "unseen", "held_out"),
    [
        (0, 0, 0),
        (1, 1, 0),  # one decision cannot be both trained on and held out
        (10, 10, 5),  # a young site: the minimum, but never more than half
        (60, 60, 30),
        (100, 100, 30),  # 20% is 20, below the minimum of 30
        (1000, 1000, 200),  # the newest 20%
        (1000, 50, 50),  # only decisions the champion never trained on may judge it
        (1000, 0, 0),
    ],
)
def test_the_newest_decisions_are_held_out(decisions: int, unseen: int, held_out: int) -> None:
    rows = _rows(decisions)
    train, held = hold_out_newest(rows, unseen=unseen)
    assert len(held) == held_out
    assert held == rows[:held_out] and train == rows[held_out:]  # newest first in, newest held out


def _figures(spam_auc: float | None, spam_brier: float, abuse_auc: float | None = 0.9) -> dict[str, Any]:
    return {"roc_auc": {"spam": spam_auc, "abuse": abuse_auc}, "brier": {"spam": spam_brier, "abuse": 0.1}}


@pytest.mark.parametrize(
    ("comparable", "champion", "challenger", "decided", "better"),
    [
        ((), _figures(0.9, 0.1), _figures(0.99, 0.01), False, False),  # too few decisions: the corpora decide
        (("spam",), _figures(0.90, 0.1), _figures(0.95, 0.1), True, True),
        (("spam",), _figures(0.90, 0.1), _figures(0.90, 0.1), True, False),  # a tie is not better
        (("spam",), _figures(1.0, 0.10), _figures(1.0, 0.05), True, True),  # same ranking, nearer the labels
        (("spam",), _figures(1.0, 0.05), _figures(1.0, 0.10), True, False),
        (("spam",), _figures(0.90, 0.1), _figures(0.90 - SITE_MAX_ROC_AUC_DROP * 2, 0.01), True, False),
        # Within the margin on one head and better on the other: better.
        (("spam", "abuse"), _figures(0.90, 0.1, 0.80), _figures(0.895, 0.1, 0.85), True, True),
        # Better on one head, beyond the margin worse on the other: not promoted.
        (("spam", "abuse"), _figures(0.90, 0.1, 0.80), _figures(0.99, 0.1, 0.70), True, False),
        # A head without enough decisions neither blocks nor counts.
        (("spam",), _figures(0.90, 0.1, 0.80), _figures(0.95, 0.1, 0.10), True, True),
    ],
)  # fmt: skip
def test_promotion_rule(
    comparable: tuple[str, ...], champion: dict[str, Any], challenger: dict[str, Any], decided: bool, better: bool
) -> None:
    assert verdict(comparable, champion, challenger)[:2] == (decided, better)


def _decisions(per_class: int) -> list[LabelledRow]:
    spam = [LabelledRow(text=f"{SPAM[n % len(SPAM)]} offer {n}", spam=1) for n in range(per_class)]
    ham = [LabelledRow(text=f"{POLITE[n % len(POLITE)]} ({n})", spam=0, abuse=0) for n in range(per_class)]
    return spam + ham


def test_a_model_is_no_better_than_itself(seed_scorer: Scorer) -> None:
    result = compare_on_site(seed_scorer, seed_scorer, _decisions(SITE_MIN_PER_CLASS), policy="review-budget")
    assert result["heads"]["spam"] == {"rows": 2 * SITE_MIN_PER_CLASS, "positives": SITE_MIN_PER_CLASS,
                                       "comparable": True}  # fmt: skip
    assert result["heads"]["abuse"]["comparable"] is False  # no abusive decisions
    assert result["decided"] is True and result["challenger_better"] is False
    assert result["champion"] == result["challenger"]
    figures = result["challenger"]
    assert 0.0 <= figures["review_rate"] <= 1.0 and 0.0 <= figures["bad_published"] <= 1.0
    assert figures["roc_auc"]["abuse"] is None  # one class only


def test_too_few_decisions_leave_it_undecided(seed_scorer: Scorer) -> None:
    result = compare_on_site(seed_scorer, seed_scorer, _decisions(SITE_MIN_PER_CLASS - 1), policy="review-budget")
    assert result["decided"] is False and "too few" in result["why"]


def test_without_a_champion_the_challenger_wins(seed_scorer: Scorer) -> None:
    result = compare_on_site(None, seed_scorer, _decisions(3), policy="error-targets")
    assert result["decided"] is True and result["challenger_better"] is True and result["champion"] is None
