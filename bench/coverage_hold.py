"""The review rate the coverage hold adds: a mixed stream of real replies decided with and without it.

Issue 21, item 2. Run: .venv/bin/python bench/coverage_hold.py MODEL_DIR [DATA_DIR]   (DATA_DIR: ../shared/data)

MODEL_DIR is a model version folder (card.json + model.skops), for example the one `make run` trains. The stream is
1,000 replies (fixed seed) drawn from the corpora of the data folder, cleaned like bench/language_id.py (no handles,
URLs, VK mentions, retweet marks), 20+ characters: 400 English (200 Jigsaw, 200 Fox News comments), 200 German
(GermEval 2018), 200 Russian (Russian news comments), 200 French (MLMA). Each is scored by the model and decided by
service/rules/policy.decide with the card's default thresholds, an open article and the service's default link limit,
once with the site setting `uncovered_language` at `hold` and once at `publish`. Prints a markdown table per language
and overall: the share held for review, rejected and published, and how many of the labelled abusive replies each
setting leaves published. Rows are read at run time and never copied.
"""

from __future__ import annotations

import csv
import json
import random
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from bench.language_id import _clean, _csv_column
from classifier import Submission, load_scorer
from classifier.language import SERVICE_LANGUAGES, detect_language
from service.rules.policy import Overrides, count_links, decide, decision_thresholds

SEED = 21
MAX_LINKS = 3  # REPLYGUARD_MAX_LINKS's default


def _jigsaw(data: Path) -> Iterator[tuple[str, bool]]:
    with (data / "jigsaw-toxic-comment-sample" / "text_comment_1.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield row["comment_text"], row["labels"] == "1"


def _fox(data: Path) -> Iterator[tuple[str, bool]]:
    with (data / "fox-news-hate-comments" / "fox-news-comments.json").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                yield str(row["text"]), int(row["label"]) == 1


def _germeval(data: Path) -> Iterator[tuple[str, bool]]:
    with (data / "germeval-2018-offensive-de" / "germeval2018.test.txt").open(encoding="utf-8") as handle:
        for line in handle:
            text, coarse, *_ = line.rstrip("\n").split("\t")
            yield text, coarse == "OFFENSE"


def _russian(data: Path) -> Iterator[tuple[str, bool]]:
    csv.field_size_limit(10_000_000)
    path = data / "russian-news-comments-toxicity" / "russian_distorted_toxicity.tsv"
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            yield row["comments"], row["toxicity"] == "1"


def _french(data: Path) -> Iterator[tuple[str, bool]]:
    path = data / "mlma-hate-speech-multilingual" / "fr_dataset.csv"
    sentiments = _csv_column(path, "sentiment")
    for text, sentiment in zip(_csv_column(path, "tweet"), sentiments, strict=True):
        yield text, sentiment != "normal"


# (stream language, source, reader, how many)
SOURCES = (
    ("en", "Jigsaw", _jigsaw, 200),
    ("en", "Fox News", _fox, 200),
    ("de", "GermEval 2018 test", _germeval, 200),
    ("ru", "Russian news comments", _russian, 200),
    ("fr", "MLMA fr", _french, 200),
)


def stream(data: Path) -> list[tuple[str, str, bool]]:
    """(corpus language, text, labelled abusive) for the mixed stream, shuffled with a fixed seed."""
    rng = random.Random(SEED)
    rows: list[tuple[str, str, bool]] = []
    for language, _, read, count in SOURCES:
        seen: dict[str, bool] = {}
        for raw, abusive in read(data):
            text = _clean(raw)
            if len(text) >= 20 and text not in seen:
                seen[text] = abusive
        chosen = rng.sample(sorted(seen.items()), count)
        rows += [(language, text, abusive) for text, abusive in chosen]
    rng.shuffle(rows)
    return rows


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    model_dir = Path(sys.argv[1])
    data = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    scorer = load_scorer(model_dir)
    thresholds = decision_thresholds(scorer.card, Overrides())
    rows = stream(data)
    scores = scorer.score_many([Submission(body=text) for _, text, _ in rows], explain=False)
    counts: dict[tuple[str, str], Counter[str]] = {}
    detected: Counter[tuple[str, str | None]] = Counter()
    for (language, text, abusive), score in zip(rows, scores, strict=True):
        found = detect_language(text)
        detected[(language, found)] += 1
        covered = found is None or scorer.card.covers_language(found)
        for setting in ("publish", "hold"):
            verdict = decide(
                score, thresholds=thresholds, article_status="open", link_count=count_links(text),
                max_links=MAX_LINKS, language=found, language_covered=covered, uncovered_language=setting,
            )  # fmt: skip
            for group in (language, "all"):
                tally = counts.setdefault((group, setting), Counter())
                tally[verdict.status] += 1
                tally["rows"] += 1
                tally["abusive"] += abusive
                tally["abusive_published"] += abusive and verdict.status == "published"
    covered_languages = [code for code in SERVICE_LANGUAGES if scorer.card.covers_language(code)]
    print(f"model {scorer.version}; covers: {', '.join(covered_languages)}")
    print()
    print(
        "| stream | rows | labelled abusive | review rate, publish | review rate, hold | added by the hold "
        "| rejected | abusive published, publish | abusive published, hold |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for group in ("en", "de", "ru", "fr", "all"):
        before, after = counts[(group, "publish")], counts[(group, "hold")]
        n = before["rows"]
        print(
            f"| {group} | {n} | {before['abusive']} | {before['pending'] / n:.1%} | {after['pending'] / n:.1%} "
            f"| {(after['pending'] - before['pending']) / n:+.1%} | {after['rejected'] / n:.1%} "
            f"| {before['abusive_published']} | {after['abusive_published']} |"
        )
    print()
    print("detected language per corpus language:", dict(sorted(detected.items(), key=str)))


if __name__ == "__main__":
    main()
