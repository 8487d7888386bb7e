"""Does each family of submission signals earn its place? Cross-domain ROC AUC with each family switched off.

Run: .venv/bin/python bench/classifier_signals.py [CONFIGURATION ...]   (about 2-3 minutes per configuration)
Prints one line per configuration and fold; "none" has no signals at all, "all" is the shipped recipe.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from classifier import features
from classifier.crossdomain import cross_domain
from classifier.dataset import load_training_rows

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"


def main() -> None:
    rows, _ = load_training_rows(DATA_DIR)
    everything = dict(features.SIGNALS)
    configurations = {"all": list(everything), "none": []}
    configurations.update({f"without-{name}": [n for n in everything if n != name] for name in everything})
    only = sys.argv[1:] or list(configurations)
    results = {}
    for label in only:
        features.SIGNALS.clear()
        features.SIGNALS.update({name: everything[name] for name in configurations[label]})
        report = cross_domain(rows, progress=lambda _message: None, baseline=False)["ours"]
        results[label] = {head: {fold: m["roc_auc"] for fold, m in folds.items()} for head, folds in report.items()}
        print(label, json.dumps(results[label]), flush=True)
    features.SIGNALS.clear()
    features.SIGNALS.update(everything)


if __name__ == "__main__":
    main()
