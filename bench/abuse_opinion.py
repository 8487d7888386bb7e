"""What the abuse head's second opinion (classifier/abuse_opinion.py) does, as the service applies it, on rows neither
it nor the model trained on (ROC AUC, and the default policy's abuse outcomes).

    .venv/bin/python bench/abuse_opinion.py ../shared/data models/<version> [--out bench/results/abuse_opinion.json]

The model must have been trained with the relevance extra installed (its card's `abuse_opinion` section available).
Sets: the evaluation-only news sets (SFU, the Globe and Mail, ETHOS: never trained on) and the test bucket of the
held-out rows by corpus (the stack was fitted on the validation bucket). Per set:
  - ours: the model's abuse score alone; opinion: the embedding model's logit alone;
  - stacked: every row shifted (what the stack would do if it were asked about every reply);
  - cascade: only the rows the service asks (detected English or too short to tell, abuse score from ABUSE_FLOOR up
    to the reject threshold), capped below the reject threshold, as submitted replies are scored (and the same at
    higher floors);
  - asked: the share of rows the cascade embeds; then, at the card's thresholds, the share of abusive rows published
    and of all rows held or rejected by the abuse head, without and with the cascade;
  - a second table: the set as one site's stream of replies, judged against the card's reference and against the
    site's own (classifier.abuse_opinion.SiteReference, fed as the service feeds it), on the second half: ROC AUC /
    abusive published / held or rejected;
  - a third table, for the sets whose rows name their article or post: the stack's weight for a simulated site
    (SITE_DECISIONS rows drawn by whole groups as its decisions, SITE_DRAWS draws), ROC AUC on the set's other groups:
    the card's weight, the weight refitted on the decisions whatever it gives, and what training serves
    (classifier/opinion_site_weight.py: the best blend toward the refitted weight where it wins out of fold). The
    logits are the general head's here; bench/opinion_learning_curve.py measures it as a retraining judges it.
Vectors are cached beside the models (classifier/embedding_cache.py): the first run embeds the Globe and Mail's
~8,800 comments (~2 minutes on 2 cores), later runs take seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score

from classifier import Submission, Thresholds, load_scorer
from classifier.abuse_opinion import (
    ABUSE_FLOOR,
    LANGUAGES,
    OpinionParameters,
    SiteReference,
    below_reject,
    opinion_parameters,
)
from classifier.dataset import HELD_OUT_BUCKETS, load_evaluation_sets, load_training_rows, split_bucket, split_held_out
from classifier.embedding_cache import CachedEmbedder
from classifier.language import detect_language
from classifier.lean import LinearHead
from classifier.opinion_site_weight import fitted_ratio, site_weight
from classifier.relevance import load_embedder
from classifier.rows import LabelledRow

EVALUATION_ONLY = ("sfu-mild-or-worse", "sfu-toxic", "unhealthy-conversations", "ethos")
# Floors measured beside the shipped one: what a higher floor saves in embeddings and costs in ranking.
OTHER_FLOORS = (0.1, 0.2)
SHUFFLE_SEED = 0
# The stack refitted on a site's decisions: how many decisions (where the set has at least SITE_SHARE more rows than
# that, the rest being the test), and how many draws of groups for each.
SITE_DECISIONS = (300, 1000, 3000)
SITE_SHARE = 0.6
SITE_DRAWS = 5
TEST_SOURCES = ("civil-comments", "fox-news", "jigsaw", "davidson", "germeval", "russian-news", "mlma-fr", "mlma-ar")


@dataclass(frozen=True)
class SetScores:
    """One set's labelled rows as the cascade sees them: labels, trained abuse scores, raw logits, opinions, whether
    each is asked as English, and each row's group (article or post)."""

    labels: NDArray[np.int64]
    trained: NDArray[np.float64]
    logits: NDArray[np.float64]
    opinions: NDArray[np.float64]
    english: NDArray[np.bool_]
    groups: NDArray[np.str_]


def _auc(labels: NDArray[np.int64], scores: NDArray[np.float64]) -> float | None:
    return round(float(roc_auc_score(labels, scores)), 4) if 0 < labels.sum() < len(labels) else None


def measure(rows: list[LabelledRow], scorer: Any, embedder: CachedEmbedder) -> dict[str, Any]:
    """The figures of one set (see the module's docstring)."""
    parameters = opinion_parameters(scorer.card)
    if isinstance(parameters, str):
        raise SystemExit(parameters)
    head = LinearHead.from_pipeline(scorer.pipelines["abuse"])
    thresholds = scorer.thresholds
    labelled = [row for row in rows if row.abuse is not None]
    labels = np.array([row.abuse for row in labelled], dtype=np.int64)
    texts = [row.text for row in labelled]
    trained = np.array([s.abuse_score for s in scorer.score_many([Submission(body=t) for t in texts], explain=False)])
    logits = np.array([head.raw_logit(float(score)) for score in trained])
    languages = [detect_language(text) for text in texts]
    opinions = parameters.opinions(embedder.embed(texts))
    shifted = logits + parameters.shifts(opinions)
    english = np.array([language is None or language in LANGUAGES for language in languages])

    scored = SetScores(labels, trained, logits, opinions, english, np.array([row.group for row in labelled]))
    # The service's cap (abuse_opinion.below_reject), in raw-logit units: the opinion never rejects by itself.
    cap = head.raw_logit(below_reject(1.0, thresholds))

    def cascade_at(floor: float) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
        asked = english & (trained >= floor) & (trained < thresholds.abuse_reject)
        return asked, np.where(asked, np.minimum(shifted, cap), logits)

    def outcomes(scores: NDArray[np.float64]) -> dict[str, float]:
        abusive = labels == 1
        return {
            "abusive_published": round(float((scores[abusive] < thresholds.abuse_hold).mean()), 4)
            if abusive.any()
            else 0.0,
            "held_or_rejected": round(float((scores >= thresholds.abuse_hold).mean()), 4),
            "clean_rejected": round(float((scores[~abusive] >= thresholds.abuse_reject).mean()), 4)
            if (~abusive).any()
            else 0.0,
        }

    floors = {}
    for floor in sorted({ABUSE_FLOOR, *OTHER_FLOORS}):
        asked, cascade_logits = cascade_at(floor)
        cascade = np.array([head.calibrated(float(logit)) for logit in cascade_logits])
        floors[str(floor)] = {
            "asked": round(float(asked.mean()), 4),
            "roc_auc": _auc(labels, cascade_logits),
            **outcomes(cascade),
        }
    return {
        "rows": len(labelled),
        "abusive": int(labels.sum()),
        "roc_auc": {"ours": _auc(labels, logits), "opinion": _auc(labels, opinions), "stacked": _auc(labels, shifted)},
        "without": outcomes(trained),
        "cascade_by_floor": floors,
        "site_reference": site_centred(scored, parameters, head, thresholds),
        "site_stack": site_stack(scored, parameters, head, thresholds),
    }


def site_stack(
    scored: SetScores, parameters: OpinionParameters, head: LinearHead, thresholds: Thresholds
) -> dict[str, Any]:
    """The cascade with the stack's weight (the opinion's push per unit of raw abuse logit) refitted on N of a site's
    decisions (the card's where the fit is not a push), against the card's weight and against what training serves
    (site_weight); all judge replies against the site's reference (the median opinion of the drawn replies the model
    alone would publish, as SiteReference keeps it). ROC AUC on the rest of the set, by draw
    of whole groups (articles, or posts where each is its own), mean and standard deviation over the draws."""
    labels, trained, logits, opinions, groups = (
        scored.labels,
        scored.trained,
        scored.logits,
        scored.opinions,
        scored.groups,
    )
    asked = scored.english & (trained >= parameters.floor) & (trained < thresholds.abuse_reject)
    cap = head.raw_logit(below_reject(1.0, thresholds))
    card_ratio = parameters.opinion_logit / parameters.abuse_logit
    names, sizes = np.unique(groups, return_counts=True)
    size_of = dict(zip(names.tolist(), sizes.tolist(), strict=True))
    rng = np.random.default_rng(SHUFFLE_SEED)

    def cascade(ratio: float, reference: float) -> NDArray[np.float64]:
        return np.where(asked, np.minimum(logits + ratio * (opinions - reference), cap), logits)

    found: dict[str, Any] = {}
    for decisions in SITE_DECISIONS:
        if decisions > SITE_SHARE * len(labels):
            continue
        by_kind: dict[str, list[float]] = {"model_alone": [], "card_weight": [], "refitted": [], "served": []}
        ratios, applied = [], 0
        for _ in range(SITE_DRAWS):
            taken: list[str] = []
            count = 0
            for name in rng.permutation(names).tolist():
                if count >= decisions:
                    break
                taken.append(name)
                count += size_of[name]
            decided = np.isin(groups, taken)
            test = ~decided
            if not (0 < labels[decided].sum() < decided.sum() and 0 < labels[test].sum() < test.sum()):
                continue
            ordinary = decided & asked & (trained < thresholds.abuse_hold)
            reference = float(np.median(opinions[ordinary])) if ordinary.any() else parameters.opinion_reference
            ratio = fitted_ratio(logits[decided], opinions[decided], labels[decided]) or card_ratio
            ratios.append(ratio)
            judged = site_weight(logits[decided], opinions[decided], labels[decided], card_ratio)
            applied += judged.applied
            for kind, scores in (
                ("model_alone", logits),
                ("card_weight", cascade(card_ratio, reference)),
                ("refitted", cascade(ratio, reference)),
                ("served", cascade(judged.ratio, reference)),
            ):
                by_kind[kind].append(float(roc_auc_score(labels[test], scores[test])))
        if ratios:
            found[str(decisions)] = {
                "draws": len(ratios),
                "applied": applied,
                "weight": {"card": round(card_ratio, 3), "site_median": round(float(np.median(ratios)), 3)},
                **{
                    kind: {"mean": round(float(np.mean(v)), 4), "sd": round(float(np.std(v)), 4)}
                    for kind, v in by_kind.items()
                },
            }
    return found


def site_centred(
    scored: SetScores, parameters: OpinionParameters, head: LinearHead, thresholds: Thresholds
) -> dict[str, Any]:
    """The set as one site's stream of replies (a seeded shuffle), asked in order as the service asks them: each
    reply judged against the card's reference and against the site's (SiteReference, fed as the service feeds it).
    Measured on the second half, after the site's reference has settled; the model alone beside them."""
    labels, trained, logits, opinions, english = (
        scored.labels,
        scored.trained,
        scored.logits,
        scored.opinions,
        scored.english,
    )
    order = np.random.default_rng(SHUFFLE_SEED).permutation(len(labels))
    site = SiteReference(parameters.opinion_reference)
    cap = head.raw_logit(below_reject(1.0, thresholds))
    by_card, by_site = logits[order].copy(), logits[order].copy()
    for place, row in enumerate(order.tolist()):
        score = float(trained[row])
        if not (english[row] and parameters.floor <= score < thresholds.abuse_reject):
            continue
        by_card[place] = min(logits[row] + parameters.shifts(opinions[row : row + 1])[0], cap)
        by_site[place] = min(logits[row] + parameters.shifts(opinions[row : row + 1], site.value())[0], cap)
        if score < thresholds.abuse_hold:
            site.observe(float(opinions[row]))
    second = slice(len(order) // 2, None)
    ordered = labels[order][second]
    abusive = ordered == 1

    def figures(raw: NDArray[np.float64]) -> dict[str, float | None]:
        scores = np.array([head.calibrated(float(logit)) for logit in raw[second]])
        return {
            "roc_auc": _auc(ordered, raw[second]),
            "abusive_published": round(float((scores[abusive] < thresholds.abuse_hold).mean()), 4)
            if abusive.any()
            else None,
            "held_or_rejected": round(float((scores >= thresholds.abuse_hold).mean()), 4),
        }

    return {
        "rows": len(ordered),
        "site_reference": round(site.value(), 4),
        "model_alone": figures(logits[order]),
        "card_reference": figures(by_card),
        "site_reference_figures": figures(by_site),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("model", type=Path)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    scorer = load_scorer(args.model)
    embedder = CachedEmbedder(load_embedder(threads=0), args.model.parent)
    sets: dict[str, list[LabelledRow]] = {
        name: rows for name, rows in load_evaluation_sets(args.data_dir).items() if name in EVALUATION_ONLY
    }
    _, held_out = split_held_out(load_training_rows(args.data_dir)[0])
    test = [row for row in held_out if split_bucket(row) != HELD_OUT_BUCKETS[0]]
    for source in TEST_SOURCES:
        sets[f"test: {source}"] = [row for row in test if row.source == source]
    thresholds = {"abuse_hold": scorer.thresholds.abuse_hold, "abuse_reject": scorer.thresholds.abuse_reject}
    results: dict[str, Any] = {"model": scorer.version, "thresholds": thresholds | {"floor": ABUSE_FLOOR}, "sets": {}}
    print("| set | rows | ours | opinion | stacked | **cascade** | asked | abusive published (without → with) |"
          " held or rejected | clean rejected | cascade at higher floors (ROC AUC, asked) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, rows in sets.items():
        figures = measure(rows, scorer, embedder)
        results["sets"][name] = figures
        auc, without = figures["roc_auc"], figures["without"]
        shipped = figures["cascade_by_floor"][str(ABUSE_FLOOR)]
        higher = "; ".join(
            f"{floor}: {cascade['roc_auc']}, {cascade['asked']:.0%}"
            for floor, cascade in figures["cascade_by_floor"].items()
            if floor != str(ABUSE_FLOOR)
        )
        print(
            f"| {name} | {figures['rows']:,} | {auc['ours']} | {auc['opinion']} | {auc['stacked']} | "
            f"**{shipped['roc_auc']}** | {shipped['asked']:.1%} | {without['abusive_published']:.3f} → "
            f"{shipped['abusive_published']:.3f} | {without['held_or_rejected']:.3f} → "
            f"{shipped['held_or_rejected']:.3f} | {without['clean_rejected']:.4f} → "
            f"{shipped['clean_rejected']:.4f} | {higher} |",
            flush=True,
        )
    print("\n| set as one site's replies (second half) | rows | site's reference (card's "
          f"{scorer.card.metrics['abuse_opinion']['stack']['opinion_reference']}) | model alone | card's reference |"
          " **site's reference** |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for name, figures in results["sets"].items():
        centred = figures["site_reference"]

        def cell(found: dict[str, Any]) -> str:
            published = "-" if found["abusive_published"] is None else f"{found['abusive_published']:.3f}"
            return f"{found['roc_auc']} / {published} / {found['held_or_rejected']:.3f}"

        print(
            f"| {name} | {centred['rows']:,} | {centred['site_reference']} | {cell(centred['model_alone'])} | "
            f"{cell(centred['card_reference'])} | **{cell(centred['site_reference_figures'])}** |"
        )
    print("\n| set: the stack's weight for a site of N decisions (ROC AUC on the other groups, mean ± sd) | N |"
          " weight: card's, refitted (median) | model alone | card's weight | refitted |"
          " **served** (applied) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for name, figures in results["sets"].items():
        for decisions, row in figures["site_stack"].items():
            cells = " | ".join(
                f"{row[kind]['mean']:.4f} ± {row[kind]['sd']:.4f}"
                for kind in ("model_alone", "card_weight", "refitted")
            )
            print(
                f"| {name} | {int(decisions):,} | {row['weight']['card']}, {row['weight']['site_median']} | {cells} | "
                f"**{row['served']['mean']:.4f} ± {row['served']['sd']:.4f}** ({row['applied']} of {row['draws']}) |"
            )
    print(f"({embedder.embedded} texts embedded, the rest from the cache)", file=sys.stderr)
    if args.out is not None:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
