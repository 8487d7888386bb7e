"""How long a retrain takes with N moderators' decisions plus every corpus (issue 14: 10,000 decisions in <= 3 min).

The decisions are Civil Comments posts as a site's moderators would have decided them: toxic posts rejected as
abuse, the others published (which teaches both heads "not bad"). They pass through the code real decisions pass
through (recency weights, then train_model's extra rows), so the figure includes the site correction's
cross-validation. Run from the repository root:

    .venv/bin/python bench/retrain_time.py ../shared/data 10000
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from classifier import train_model
from classifier.corpora import read_civil_comments
from classifier.progress import to_stderr
from classifier.rows import dedupe
from classifier.site import with_recency_weights


def main(data_dir: Path, count: int) -> None:
    posts = dedupe(read_civil_comments(data_dir / "civil-comments-toxic-spans"))[:count]
    decisions = with_recency_weights(
        [replace(row, spam=None if row.abuse else 0, source="moderators", group="site") for row in posts]
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as output:
        model = train_model(output_root=Path(output), data_dir=data_dir, extra_rows=decisions, progress=to_stderr)
        seconds = time.perf_counter() - started
        print(f"{len(decisions)} decisions plus the corpora: trained {model.name} in {seconds:.0f} s")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 10_000)
