"""The learning curves of `replyguard evaluate` for the news domains alone, with the abuse head's second opinion (the
relevance extra): what the opinion adds to the product's model once a site has N decisions, at the card's stack
weight and at the weight training serves (classifier/opinion_site_weight.py), beside today's recipe refitted with the
decisions mixed in.

    .venv/bin/python bench/opinion_learning_curve.py ../shared/data models/<version> [--domains sfu ...]

The same code as evaluate's curves (classifier/learning_curve.py, classifier/opinion_curve.py), restricted to the
domains named (by default the two evaluation-only news sets), so a change to the opinion's weighing is measured in
minutes rather than a full evaluation. The table gives the mean ROC AUC over the draws and, last, in how many draws
training served the site's own weight.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from classifier import load_scorer
from classifier.dataset import load_evaluation_sets, load_training_rows
from classifier.learning_curve import MODELS, learning_curves
from classifier.opinion_curve import OPINION_MODELS, load_opinion_curve
from classifier.progress import to_stderr

# evaluate's evaluation-only domains and the sets they read (classifier/evaluate.py).
EVALUATION_SETS = {"sfu": "sfu-mild-or-worse", "unhealthy-conversations": "unhealthy-conversations"}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("model", type=Path)
    parser.add_argument("--domains", nargs="+", default=sorted(EVALUATION_SETS))
    args = parser.parse_args(argv)
    opinion = load_opinion_curve(load_scorer(args.model), args.model)
    if isinstance(opinion, str):
        raise SystemExit(f"no abuse opinion to measure: {opinion}")
    rows, _ = load_training_rows(args.data_dir)
    evaluation_sets = load_evaluation_sets(args.data_dir)
    report = learning_curves(
        rows,
        {domain: evaluation_sets.get(name, []) for domain, name in EVALUATION_SETS.items()},
        progress=to_stderr,
        opinion=opinion,
        only=args.domains,
    )
    models = [model for model in (*MODELS, *OPINION_MODELS) if model != "site_only"]
    print(f"| domain | decisions | {' | '.join(models)} | site's weight served |")
    print("|---|---|" + "---|" * len(models) + "---|")
    for name, curve in report["domains"].items():
        for point in curve["points"]:
            if OPINION_MODELS[0] not in point:
                continue
            aucs = " | ".join(f"{point[model]['roc_auc']:.4f}" for model in models)
            served = f"{point.get('opinion_site_weight_served', 0)} of {point['draws']}"
            print(f"| {name} | {point['decisions']:,} | {aucs} | {served} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
