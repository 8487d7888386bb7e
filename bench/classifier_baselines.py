"""alt-profanity-check beside replyguard's abuse head on news-comment and hate-speech sets (ROC AUC).

alt-profanity-check unpickles its model when imported, so it must never be installed in the service's
environment. Run this script with its own throwaway venv, which needs nothing of replyguard's:

    python3 -m venv /tmp/rg-bench
    /tmp/rg-bench/bin/pip install alt-profanity-check      # pulls scikit-learn and joblib
    /tmp/rg-bench/bin/python bench/classifier_baselines.py ../shared/data docs/model/report.json

The second argument is the report.json written by `replyguard evaluate --report DIR` (optional): our figures
are read from it, so this script never imports the classifier package. Ours on Fox News is the model refit
without any Fox News row (leave-one-domain-out) and with Fox threads held out (grouped folds), on Civil Comments the
model refit without its posts; SFU, ETHOS and the Globe and Mail comments (unhealthy-conversations) are
evaluation-only sets, never trained on. alt-profanity-check scores every row of each set.
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


def civil_comments(data: Path) -> tuple[list[str], list[int]]:
    """Civil Comments posts, toxic when at most half of a post's raters ticked `not toxic` (as classifier.corpora)."""
    folder = data / "civil-comments-toxic-spans"
    raters: dict[str, list[bool]] = {}
    with (folder / "annotations.csv").open(newline="") as handle:
        for record in csv.DictReader(handle):
            raters.setdefault(record["comment_id"], []).append(record["not toxic"] == "True")
    with (folder / "comments.csv").open(newline="") as handle:
        posts = [
            (r["comment_text"], raters[r["comment_id"]]) for r in csv.DictReader(handle) if r["comment_id"] in raters
        ]
    return [text for text, _ in posts], [int(sum(votes) * 2 <= len(votes)) for _, votes in posts]


def unhealthy_conversations(data: Path) -> tuple[list[str], list[int]]:
    """Globe and Mail comments, abuse-like when hostile or antagonising (as classifier.corpora reads them)."""
    rows: list[dict[str, str]] = []
    for part in ("val.csv", "test.csv"):
        with (data / "unhealthy-conversations" / part).open(newline="") as handle:
            rows.extend(csv.DictReader(handle))
    return [r["comment"] for r in rows], [int(r["hostile"] == "1" or r["antagonize"] == "1") for r in rows]


def ours(report: dict[str, Any], name: str) -> str:
    """Our ROC AUC on the same set, from report.json, with what it measures."""
    if not report:
        return "-"
    if name == "civil-comments":
        left_out = report.get("cross_domain", {}).get("ours", {}).get("abuse", {}).get(name, {})
        return f"{left_out.get('roc_auc', '-')} (no Civil Comments post in training)"
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
        "civil-comments": civil_comments(data),
        "sfu-mild-or-worse": sfu(data, min_level=2),
        "sfu-toxic": sfu(data, min_level=3),
        "ethos": ethos(data),
        "unhealthy-conversations": unhealthy_conversations(data),
    }
    print(f"{'set':<24} {'rows':>6} {'toxic':>6} {'alt-profanity-check':>20}  replyguard")
    for name, (texts, labels) in sets.items():
        auc = roc_auc_score(labels, predict_prob(texts))
        print(f"{name:<24} {len(texts):>6} {sum(labels):>6} {auc:>20.4f}  {ours(report, name)}")


if __name__ == "__main__":
    main()
