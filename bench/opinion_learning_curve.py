"""Learning-curve points with the abuse head's second opinion (the relevance extra): what the opinion adds to the
product's model once a site has N decisions, with the corpora's stack weight and with the weight training serves
(classifier/opinion_site_weight.py), beside today's recipe refitted with the decisions mixed in.

    .venv/bin/python bench/opinion_learning_curve.py ../shared/data models/<version> [--draws 3]

The protocol is `replyguard evaluate`'s (classifier/learning_curve.py): whole groups of an evaluation-only domain
go to a simulated site (70% of the rows), N of them are decided in order through the code real decisions pass
through (as_decisions, learn_site), and ROC AUC is read on the domain's other groups. The general head is the
model's own (trained on every corpus, none of these domains); the opinion's weights and corpus stack are the
model's card's. The site's weight is judged as training judges it, on the decisions' out-of-fold abuse logits, and
replies are judged against the site's typical opinion (the median over the decisions the model alone would
publish, as the service's SiteReference keeps it, once there are 200). Every reply of these English domains with an
abuse score from ABUSE_FLOOR up to the reject threshold is asked, capped below the reject threshold, as served.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score

from classifier import corpora, load_scorer
from classifier.abuse_opinion import ABUSE_FLOOR, MIN_SITE_REPLIES, OpinionParameters, below_reject, opinion_parameters
from classifier.dataset import load_training_rows, split_held_out
from classifier.embedding_cache import CachedEmbedder
from classifier.lean import LinearHead
from classifier.learning_curve import HashedRows, as_decisions, head_scores, recipe_logits, site_split
from classifier.opinion_site_weight import site_weight
from classifier.relevance import load_embedder
from classifier.rows import LabelledRow
from classifier.scorer import Scorer
from classifier.train import learn_site

# Evaluation-only news domains and the decision counts their 70% site share holds.
DOMAINS = {
    "unhealthy-conversations": (corpora.read_unhealthy_conversations, "unhealthy-conversations", (1_000, 3_000)),
    "sfu": (corpora.read_sfu, "sfu-constructiveness-toxicity", (300,)),
}
MODELS = ("general", "recipe_mixed", "product", "product_opinion_card_weight", "product_opinion_served")


def _point(
    scorer: Scorer,
    parameters: OpinionParameters,
    rows: list[LabelledRow],
    opinions: NDArray[np.float64],
    corpus_rows: list[LabelledRow],
    hashed: HashedRows,
    count: int,
    draw: int,
) -> tuple[dict[str, float], bool] | None:
    """ROC AUC of each model on the domain's test groups for one draw, and whether the site's weight was served."""
    site, test_index = site_split(rows, draw)
    if count > len(site):
        return None
    general = scorer.pipelines["abuse"]
    thresholds = scorer.thresholds
    test = [rows[i] for i in test_index]
    labels = np.array([row.abuse for row in test], dtype=np.int64)
    decided = [rows[i] for i in site[:count]]
    decisions = as_decisions(decided)
    learned = learn_site({"abuse": general}, decisions, fallback_rows=[*corpus_rows, *decisions], heads=("abuse",))
    product = learned.pipelines["abuse"]
    head = LinearHead.from_pipeline(product)
    trained = head_scores(product, hashed, test)
    logits = np.array([head.raw_logit(float(score)) for score in trained])
    # The decisions' out-of-fold scores, as training judges the site's weight (as_decisions keeps the texts).
    out_of_fold = learned.out_of_fold.get("abuse", {})
    judged = sorted(out_of_fold)
    position = {row.text: index for index, row in zip(site[:count], decided, strict=True)}
    decided_opinions = opinions[[position[decisions[i].text] for i in judged]]
    decided_scores = np.array([out_of_fold[i] for i in judged])
    weight = site_weight(
        np.array([head.raw_logit(float(score)) for score in decided_scores]),
        decided_opinions,
        np.array([decisions[i].abuse for i in judged], dtype=np.int64),
        parameters.opinion_logit / parameters.abuse_logit,
    )
    ordinary = (decided_scores >= ABUSE_FLOOR) & (decided_scores < thresholds.abuse_hold)
    reference = (
        float(np.median(decided_opinions[ordinary]))
        if ordinary.sum() >= MIN_SITE_REPLIES
        else (weight.reference if weight.reference is not None else parameters.opinion_reference)
    )
    asked = (trained >= ABUSE_FLOOR) & (trained < thresholds.abuse_reject)
    cap = head.raw_logit(below_reject(1.0, thresholds))

    def served(ratio: float) -> NDArray[np.float64]:
        return np.where(asked, np.minimum(logits + ratio * (opinions[test_index] - reference), cap), logits)

    scores = {
        "general": head_scores(general, hashed, test),
        "recipe_mixed": recipe_logits(hashed, [*corpus_rows, *decisions], "abuse", test),
        "product": logits,
        "product_opinion_card_weight": served(parameters.opinion_logit / parameters.abuse_logit),
        "product_opinion_served": served(weight.ratio),
    }
    return {name: float(roc_auc_score(labels, values)) for name, values in scores.items()}, weight.applied


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("model", type=Path)
    parser.add_argument("--draws", type=int, default=3)
    args = parser.parse_args(argv)
    scorer = load_scorer(args.model)
    parameters = opinion_parameters(scorer.card)
    if isinstance(parameters, str):
        raise SystemExit(parameters)
    embedder = CachedEmbedder(load_embedder(threads=0), args.model.parent)
    corpus_rows, _ = split_held_out(load_training_rows(args.data_dir)[0])
    print(f"| domain | decisions | {' | '.join(MODELS)} | site's weight served |")
    print("|---|---|" + "---|" * len(MODELS) + "---|")
    for name, (read, folder, counts) in DOMAINS.items():
        rows = [row for row in read(args.data_dir / folder) if row.abuse is not None]
        hashed = HashedRows([*corpus_rows, *rows])
        opinions = parameters.opinions(embedder.embed([row.text for row in rows]))
        for count in counts:
            found = [
                point
                for draw in range(args.draws)
                if (point := _point(scorer, parameters, rows, opinions, corpus_rows, hashed, count, draw)) is not None
            ]
            means = " | ".join(f"{np.mean([aucs[model] for aucs, _ in found]):.4f}" for model in MODELS)
            applied = sum(served for _, served in found)
            print(f"| {name} | {count:,} | {means} | {applied} of {len(found)} |", flush=True)
    print(f"({embedder.embedded} texts embedded, the rest from the cache)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
