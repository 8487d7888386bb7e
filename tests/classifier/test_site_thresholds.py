"""Thresholds from the site's decisions: placed by training's rule on scores that did not learn them, only with
enough decisions, and shipped in the card where the service reads them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from classifier import LabelledRow, train_model
from classifier.artifact import read_card
from classifier.site import with_recency_weights
from classifier.site_thresholds import (
    MIN_SITE_DECISIONS,
    MIN_SITE_POSITIVES,
    decision_rates,
    place_site_thresholds,
)
from classifier.thresholds import POLICIES, REVIEW_BUDGET, Thresholds
from tests.classifier.test_site import ATTACK, OPENINGS, ORDINARY

GENERAL = Thresholds(spam_hold=0.6, spam_reject=0.95, abuse_hold=0.6, abuse_reject=0.95)


def _site(bad: int, ordinary: int, seed: int = 3) -> tuple[list[LabelledRow], dict[str, np.ndarray]]:
    """Decisions whose abuse scores overlap: bad ones around 0.7, ordinary ones around 0.3."""
    generator = np.random.default_rng(seed)
    rows = [LabelledRow(f"bad {i}", abuse=1) for i in range(bad)]
    rows += [LabelledRow(f"fine {i}", spam=0, abuse=0) for i in range(ordinary)]
    abuse = np.concatenate([generator.beta(5, 2, bad), generator.beta(2, 5, ordinary)])
    return rows, {"spam": np.zeros(len(rows)), "abuse": abuse}


def test_fewer_decisions_than_the_minimum_keep_the_general_lines() -> None:
    rows, scores = _site(100, MIN_SITE_DECISIONS - 101)
    assert place_site_thresholds(rows, scores, GENERAL, heads=("spam", "abuse")) is None


def test_a_head_with_too_few_bad_decisions_keeps_its_general_lines() -> None:
    rows, scores = _site(MIN_SITE_POSITIVES - 1, 400)
    assert place_site_thresholds(rows, scores, GENERAL, heads=("spam", "abuse")) is None


def test_the_site_s_lines_meet_the_review_budget_on_its_decisions_and_say_what_they_imply() -> None:
    rows, scores = _site(120, 480)
    placement = place_site_thresholds(rows, scores, GENERAL, heads=("spam", "abuse"))
    assert placement is not None and placement.heads == ("abuse",)
    lines = placement.thresholds
    # The spam head had no bad decisions: it keeps the general lines.
    assert (lines.spam_hold, lines.spam_reject) == (GENERAL.spam_hold, GENERAL.spam_reject)
    assert (lines.abuse_hold, lines.abuse_reject) != (GENERAL.abuse_hold, GENERAL.abuse_reject)
    assert placement.rates == decision_rates(rows, scores["spam"], scores["abuse"], lines)
    assert placement.rates["review_rate"] <= REVIEW_BUDGET
    assert placement.rates["decisions"] == 600 and placement.rates["bad"] == 120
    # Overlapping scores at a 15% review budget: some bad replies are published, and the rule says how many.
    assert 0 < placement.rates["bad_published"] < 0.5
    assert placement.rule.startswith("site decisions, review budget")


def test_the_error_targets_policy_holds_all_but_one_percent_of_the_bad_decisions() -> None:
    rows, scores = _site(200, 400)
    placement = place_site_thresholds(rows, scores, GENERAL, heads=("abuse",), policy="error-targets")
    assert placement is not None and placement.rule == "site decisions, targets"
    assert placement.rates["bad_published"] <= 0.01
    assert placement.rates["review_rate"] > REVIEW_BUDGET  # the price of the targets on overlapping scores


def busy_site_decisions() -> list[LabelledRow]:
    rows = []
    for round_ in range(20):
        for opening in OPENINGS:
            rows.append(LabelledRow(ATTACK.format(opening) + f" ({round_})", abuse=1, source="moderators"))
            rows.append(LabelledRow(ORDINARY.format(opening) + f" ({round_})", spam=0, abuse=0, source="moderators"))
    return with_recency_weights(rows)


@pytest.fixture(scope="module")
def busy_site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_model(output_root=tmp_path_factory.mktemp("busy"), data_dir=None, extra_rows=busy_site_decisions())


def test_a_site_with_enough_decisions_ships_its_own_lines(busy_site_dir: Path) -> None:
    card = read_card(busy_site_dir)
    placed = card.metrics["site_thresholds"]
    assert placed["placed"] is True and placed["decisions"] == 400
    for policy in POLICIES:
        point = card.metrics["operating_points"][policy]
        assert point["measured_on"] == "site decisions, out of fold" and point["heads"] == ["abuse"]
        assert dataclasses.asdict(card.policy_thresholds(policy)) == point["thresholds"]
        # The spam head learned no site lines (one class of spam decisions): it keeps the general ones.
        general = placed["general_operating_points"].get(policy, {}).get("thresholds", placed["general_thresholds"])
        assert [point["thresholds"][line] for line in ("spam_hold", "spam_reject")] == [
            general[line] for line in ("spam_hold", "spam_reject")
        ]
        assert [point["thresholds"][line] for line in ("abuse_hold", "abuse_reject")] != [
            general[line] for line in ("abuse_hold", "abuse_reject")
        ]
    assert dataclasses.asdict(card.thresholds) == card.metrics["operating_points"]["review-budget"]["thresholds"]


def test_a_site_with_few_decisions_keeps_the_general_lines_and_says_why(tmp_path: Path) -> None:
    few = busy_site_decisions()[:100]
    card = read_card(train_model(output_root=tmp_path, data_dir=None, extra_rows=few))
    placed = card.metrics["site_thresholds"]
    assert placed["placed"] is False and placed["why"] == f"fewer than {MIN_SITE_DECISIONS} decisions"
    assert "measured_on" not in card.metrics.get("operating_points", {}).get("review-budget", {})


def test_the_review_budget_holds_even_where_the_model_ranks_the_site_poorly() -> None:
    generator = np.random.default_rng(5)
    rows = [LabelledRow(f"bad {i}", abuse=1) for i in range(300)]
    rows += [LabelledRow(f"fine {i}", spam=0, abuse=0) for i in range(300)]
    abuse = np.concatenate([generator.beta(2.3, 2, 300), generator.beta(2, 2.3, 300)])  # barely apart
    placement = place_site_thresholds(rows, {"spam": np.zeros(600), "abuse": abuse}, GENERAL, heads=("abuse",))
    assert placement is not None
    assert placement.rates["review_rate"] <= REVIEW_BUDGET
    assert placement.rates["bad_published"] > 0.3  # the price, said in the rates rather than hidden
