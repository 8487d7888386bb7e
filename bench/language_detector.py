"""The service's own language detector (classifier/language.py) on the set bench/language_id.py measures candidates on.

Run: .venv/bin/python -m bench.language_detector [DATA_DIR]      (DATA_DIR: ../shared/data)
Prints accuracy overall, on 20-60 characters and per language, the commonest errors, and p50/p99 of one call after a
warm-up (time.perf_counter_ns; a shared machine: re-run before believing one number).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from bench.language_id import MIN_CHARS, SHORT_MAX, WARM_UP, evaluation_set
from classifier.language import detect_language, load_detector


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    rows, _ = evaluation_set(data)
    load_detector()
    for _, text in rows[:WARM_UP]:
        detect_language(text)
    timings: list[int] = []
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    errors: Counter[tuple[str, str | None]] = Counter()
    for language, text in rows:
        start = time.perf_counter_ns()
        found = detect_language(text)
        timings.append(time.perf_counter_ns() - start)
        short = "short" if MIN_CHARS <= len(text) <= SHORT_MAX else "long"
        for group in (language, short, "all"):
            total[group] += 1
            right[group] += found == language
        if found != language:
            errors[(language, found)] += 1
    timings.sort()
    print(f"all {right['all'] / total['all']:.4f}  {MIN_CHARS}-{SHORT_MAX} ch {right['short'] / total['short']:.4f}")
    for language in sorted(set(total) - {"all", "short", "long"}):
        print(f"{language} {right[language] / total[language]:.4f} ({total[language]} replies)")
    print("commonest errors (corpus language, detected):", errors.most_common(8))
    print(f"p50 {timings[len(timings) // 2] / 1000:.0f} us  p99 {timings[int(len(timings) * 0.99)] / 1000:.0f} us")


if __name__ == "__main__":
    main()
