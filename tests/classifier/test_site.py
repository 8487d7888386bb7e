"""A site's decisions correct the general model: its own standard wins, the model keeps its shape and its speed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit

from classifier import LabelledRow, Scorer, Submission, compare_models, load_scorer, train_model
from classifier.artifact import read_card
from classifier.corpora import read_seed
from classifier.lean import LinearHead
from classifier.site import (
    GAIN_STANDARD_ERRORS,
    MIN_GAIN,
    MIN_ROWS_PER_CLASS,
    STRENGTHS,
    _correction,
    with_recency_weights,
)
from classifier.train import adapt_heads, fit_heads, score_rows

# A site whose readers argue about chess openings, where sending someone "back to the kids table" as a "patzer" is a
# personal attack its moderators remove, while "a sharp gambit" is ordinary talk. The seed model scores the attack
# well below its hold threshold: only this site's decisions can teach it.
ATTACK = "{} gambit again? back to the kids table, patzer"
ORDINARY = "the {} gambit is sharp, I played it at the club last week"
OPENINGS = [
    "king's",
    "queen's",
    "evans",
    "latvian",
    "smith-morra",
    "danish",
    "budapest",
    "englund",
    "elephant",
    "icelandic",
]


def _decisions(rounds: int = 8) -> list[LabelledRow]:
    rows = []
    for round_ in range(rounds):
        for opening in OPENINGS:
            rows.append(LabelledRow(ATTACK.format(opening) + f" ({round_})", abuse=1, source="moderators"))
            rows.append(LabelledRow(ORDINARY.format(opening) + f" ({round_})", spam=0, abuse=0, source="moderators"))
    return with_recency_weights(rows)


@pytest.fixture(scope="module")
def site_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_model(output_root=tmp_path_factory.mktemp("site"), data_dir=None, extra_rows=_decisions())


def test_the_site_s_standard_outweighs_the_general_model(seed_scorer: Scorer, site_model_dir: Path) -> None:
    site = load_scorer(site_model_dir)
    attack = Submission(ATTACK.format("ruy lopez"), name="Pat")
    ordinary = Submission(ORDINARY.format("ruy lopez"), name="Pat")
    assert site.score(attack).abuse_score > seed_scorer.score(attack).abuse_score + 0.2
    assert site.score(attack).abuse_score >= site.thresholds.abuse_hold
    assert site.score(ordinary).abuse_score < site.thresholds.abuse_hold


def test_the_card_says_what_each_head_learned_from_the_site(site_model_dir: Path) -> None:
    site = read_card(site_model_dir).metrics["site"]
    assert site["abuse"]["decisions"] >= 2 * MIN_ROWS_PER_CLASS
    # The seed already ranks these attacks above the ordinary replies: what the site changes is where they sit
    # against its thresholds, so the abuse head is either corrected or at least recalibrated on the decisions.
    assert site["abuse"]["adapted"] or site["abuse"]["recalibrated_only"]
    abuse = site["abuse"]
    assert {
        "general_roc_auc",
        "adapted_roc_auc_out_of_fold",
        "procedure_roc_auc_out_of_fold",
        "strength",
        "blend",
        "blended_roc_auc_out_of_fold",
        "gain_standard_error",
    } <= set(abuse)
    # A correction is applied only when the whole procedure, strength choice included and blended with the general
    # model, beat the general model clearly: by MIN_GAIN and by GAIN_STANDARD_ERRORS standard errors of the gain.
    margin = max(MIN_GAIN, GAIN_STANDARD_ERRORS * abuse["gain_standard_error"])
    assert abuse["blended_roc_auc_out_of_fold"] >= abuse["general_roc_auc"] + margin or not abuse["adapted"]
    # The spam head saw only ordinary replies from this site (one class): it learned them among the corpora.
    assert site["spam"] == site["spam"] | {"adapted": False, "mixed_into_corpora": True}


def test_the_adapted_model_keeps_the_general_shape_so_the_lean_scorer_matches(site_model_dir: Path) -> None:
    site = load_scorer(site_model_dir)
    texts = [ATTACK.format("ruy lopez"), ORDINARY.format("danish"), "Thanks, a clear article."]
    for head in ("spam", "abuse"):
        LinearHead.from_pipeline(site.pipelines[head])  # raises if the shape changed
    for text in texts:
        expected = site.pipelines["abuse"].predict_proba([LabelledRow(text).model_text()])[0, 1]
        assert site.score(Submission(text)).abuse_score == pytest.approx(expected, abs=1e-9)


def test_too_few_decisions_of_a_class_leave_the_head_as_it_was() -> None:
    seed = read_seed()
    pipelines = fit_heads(seed)
    few = [LabelledRow(ATTACK.format(o), abuse=1, source="moderators") for o in OPENINGS[: MIN_ROWS_PER_CLASS - 1]]
    few += [LabelledRow(ORDINARY.format(o), abuse=0, source="moderators") for o in OPENINGS]
    learned = adapt_heads(pipelines, few)
    adapted, report = learned.pipelines, learned.report
    assert "abuse" not in learned.out_of_fold
    assert report["abuse"]["adapted"] is False and report["abuse"]["positives"] == MIN_ROWS_PER_CLASS - 1
    assert adapted["abuse"] is pipelines["abuse"]
    probe = [LabelledRow(ATTACK.format("ruy lopez"))]
    assert np.array_equal(score_rows(adapted, probe)["abuse"], score_rows(pipelines, probe)["abuse"])


def test_the_general_model_s_pull_fades_as_decisions_accumulate_whatever_the_strength() -> None:
    # Decisions whose labels follow the general logit (a site that agrees with it) and no words to correct: the fitted
    # weight of the general logit is held back on a few decisions and much less on many, and on many it is the same
    # at every strength of the correction. A weight left free would be the same on 24 decisions as on 2,400.
    generator = np.random.default_rng(7)
    general = generator.normal(0.0, 2.0, 24)
    labels = (generator.random(24) < expit(general)).astype(np.int64)
    no_words = sp.csr_matrix((24, 8), dtype=np.float64)

    def weight(copies: int, strength: float) -> float:
        rows = np.tile(np.arange(24), copies)
        return _correction(no_words[rows], general[rows], labels[rows], np.ones(len(rows)), strength)[1]

    for strength in (STRENGTHS[0], STRENGTHS[-1]):
        few, many = weight(1, strength), weight(100, strength)
        assert 0 < few < 0.9 * many
    assert weight(100, STRENGTHS[0]) == pytest.approx(weight(100, STRENGTHS[-1]), rel=0.1)


def test_recency_weights_run_from_one_for_the_newest_to_a_half_for_the_oldest() -> None:
    rows = with_recency_weights([LabelledRow(str(i)) for i in range(5)])
    assert [row.weight for row in rows] == [1.0, 0.875, 0.75, 0.625, 0.5]
    assert with_recency_weights([LabelledRow("alone")])[0].weight == 1.0


def test_a_challenger_that_learned_the_site_is_judged_on_the_site_s_held_out_decisions(
    seed_model_dir: Path, site_model_dir: Path
) -> None:
    result = compare_models(seed_model_dir, site_model_dir, data_dir=None, extra_rows=_decisions())
    abuse = result["heads"]["abuse"]
    assert abuse["judged_on"] == "the site's held-out decisions"
    assert set(abuse["by_source"]) == {"moderators"}
    assert abuse["challenger"]["roc_auc"] >= abuse["champion"]["roc_auc"]
    assert result["challenger_not_worse"] is True
    # The spam head has no held-out spam decisions: it is judged on every held-out row, as before.
    assert result["heads"]["spam"]["judged_on"] == "held-out rows"


def test_a_correction_that_cannot_beat_the_general_model_out_of_fold_is_not_applied() -> None:
    seed = read_seed()
    pipelines = fit_heads(seed)
    # The general model ranks its own training rows almost perfectly: no correction can gain MIN_GAIN on them.
    abusive = [LabelledRow(row.text, abuse=1, source="moderators") for row in seed if row.abuse == 1]
    polite = [LabelledRow(row.text, abuse=0, source="moderators") for row in seed if row.abuse == 0]
    decided = with_recency_weights(abusive[:40] + polite[:80])
    learned = adapt_heads(pipelines, decided)
    adapted, report = learned.pipelines, learned.report
    assert report["abuse"]["adapted"] is False and report["abuse"]["recalibrated_only"] is True
    assert report["abuse"]["general_unchanged"] is False
    # The general model never learned the decisions: its recalibrated scores of them are their out-of-fold scores.
    picked = sorted(learned.out_of_fold["abuse"])
    assert picked == list(range(len(decided)))
    assert np.allclose([learned.out_of_fold["abuse"][i] for i in picked], score_rows(adapted, decided)["abuse"])
    # Judged on the whole procedure out of fold (the strength picked inside each fold), as below 3,000 decisions.
    assert report["abuse"]["general_roc_auc"] > report["abuse"]["procedure_roc_auc_out_of_fold"] - MIN_GAIN
    # The general ranking, recalibrated: same order of any replies, other probabilities.
    probe = [LabelledRow(text) for text in (ATTACK.format("danish"), ORDINARY.format("danish"), "you idiot", "thanks")]
    before, after = score_rows(pipelines, probe)["abuse"], score_rows(adapted, probe)["abuse"]
    assert np.array_equal(np.argsort(before), np.argsort(after)) and not np.allclose(before, after)


def test_decisions_that_rank_against_the_general_model_never_turn_it_around() -> None:
    seed = read_seed()
    pipelines = fit_heads(seed)
    # Moderators who approve the seed's insults and reject its polite replies: a correction could learn that, but
    # only by giving the general model a negative weight, and a recalibration only by a slope of the wrong sign.
    # Either would publish the worst replies first; the head keeps the general model as it was instead.
    abusive = [LabelledRow(row.text, abuse=0, source="moderators") for row in seed if row.abuse == 1]
    polite = [LabelledRow(row.text, abuse=1, source="moderators") for row in seed if row.abuse == 0]
    learned = adapt_heads(pipelines, with_recency_weights(abusive[:40] + polite[:80]))
    report = learned.report["abuse"]
    assert report["adapted"] is False and report["recalibrated_only"] is False
    assert report["general_unchanged"] is True and "rank against the general model" in report["why"]
    probe = [LabelledRow(text) for text in (ATTACK.format("danish"), ORDINARY.format("danish"), "you idiot", "thanks")]
    assert np.allclose(score_rows(learned.pipelines, probe)["abuse"], score_rows(pipelines, probe)["abuse"])
