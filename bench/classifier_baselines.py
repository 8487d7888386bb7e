"""alt-profanity-check beside replyguard's abuse head on Fox News, SFU and ETHOS (ROC AUC).

alt-profanity-check unpickles its model when imported, so it must never be installed in the service's
environment. Run this script with its own throwaway venv, which needs nothing of replyguard's:

    python3 -m venv /tmp/rg-bench
    /tmp/rg-bench/bin/pip install alt-profanity-check      # pulls scikit-learn and joblib
    /tmp/rg-bench/bin/python bench/classifier_baselines.py ../shared/data docs/model/report.json

The second argument is the report.json written by `replyguard evaluate --report DIR` (optional): our figures
are read from it, so this script never imports the classifier package. Ours on Fox News is the model refit
without any Fox News row (leave-one-domain-out) and with Fox threads held out (grouped folds); SFU and ETHOS
are evaluation-only sets, never trained on. alt-profanity-check scores every row of each set.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

csv.field_size_limit(sys.maxsize)


def fox_news(data: Path) -> tuple[list[str], list[int]]:
    items = [json.loads(line) for line in (data / "fox-news-hate-comments" / "fox-news-comments.json").open()]
    return [item["text"] for item in items if item], [int(item["label"]) for item in items if item]


def sfu(data: Path, *, min_level: int) -> tuple[list[str], list[int]]:
    with (data / "sfu-constructiveness-toxicity" / "SFU_constructiveness_toxicity.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["is_toxic_popular_answer_1"].strip().isdigit()]
    return [r["comment"] for r in rows], [int(int(r["is_toxic_popular_answer_1"]) >= min_level) for r in rows]


def ethos(data: Path) -> tuple[list[str], list[int]]:
    with (data / "ethos-hate-speech" / "Ethos_Dataset_Binary.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    return [r["comment"] for r in rows], [int(float(r["isHate"]) >= 0.5) for r in rows]


def ours(report: dict[str, Any], name: str) -> str:
    """Our ROC AUC on the same set, from report.json, with what it measures."""
    if not report:
        return "-"
    if name == "fox-news":
        cross = report.get("cross_domain", {}).get("ours", {}).get("abuse", {})
        lodo, threads = cross.get("fox-news", {}), cross.get("fox-threads", {})
        return f"{lodo.get('roc_auc', '-')} (no Fox in training) / {threads.get('roc_auc', '-')} (Fox threads held out)"
    entry = report.get("evaluation_only", {}).get(name, {}).get("abuse", {})
    ours_entry, baseline = entry.get("ours", {}), entry.get("baseline", {})
    return f"{ours_entry.get('roc_auc', '-')} (plain TF-IDF baseline {baseline.get('roc_auc', '-')})"


def main() -> None:
    from profanity_check import predict_prob  # type: ignore[import-not-found]  # unpickles a model on import
    from sklearn.metrics import roc_auc_score

    data = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data")
    report = json.loads(Path(sys.argv[2]).read_text()) if len(sys.argv) > 2 else {}
    sets = {
        "fox-news": fox_news(data),
        "sfu-mild-or-worse": sfu(data, min_level=2),
        "sfu-toxic": sfu(data, min_level=3),
        "ethos": ethos(data),
    }
    print(f"{'set':<20} {'rows':>6} {'toxic':>6} {'alt-profanity-check':>20}  replyguard")
    for name, (texts, labels) in sets.items():
        auc = roc_auc_score(labels, predict_prob(texts))
        print(f"{name:<20} {len(texts):>6} {sum(labels):>6} {auc:>20.4f}  {ours(report, name)}")


if __name__ == "__main__":
    main()
