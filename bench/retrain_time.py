"""How long a retrain takes with N moderators' decisions plus every corpus (issue 14: 10,000 decisions in <= 3 min).

The decisions are Civil Comments posts as a site's moderators would have decided them: toxic posts rejected as
abuse, the others published (which teaches both heads "not bad"). They pass through the code real decisions pass
through (recency weights, then train_model's extra rows), so the figure includes the site correction's
cross-validation. The service retrains after another 200 decisions: the first training here has N - 200 of them and
leaves its general heads under the models folder; the retraining adds 200 newer ones (Globe and Mail comments, an
evaluation-only set, so none of them displaces a corpus row) and reuses those heads (classifier/general_cache.py).
Both times are printed. Run from the repository root:

    .venv/bin/python bench/retrain_time.py ../shared/data 10000
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from classifier import LabelledRow, train_model
from classifier.corpora import read_civil_comments, read_unhealthy_conversations
from classifier.progress import to_stderr
from classifier.rows import dedupe
from classifier.site import with_recency_weights

NEW_DECISIONS = 200


def _decided(rows: list[LabelledRow]) -> list[LabelledRow]:
    return [replace(row, spam=None if row.abuse else 0, source="moderators", group="site") for row in rows]


def main(data_dir: Path, count: int) -> None:
    older = _decided(dedupe(read_civil_comments(data_dir / "civil-comments-toxic-spans"))[: count - NEW_DECISIONS])
    newer = _decided(dedupe(read_unhealthy_conversations(data_dir / "unhealthy-conversations"))[:NEW_DECISIONS])
    with tempfile.TemporaryDirectory() as output:
        for label, rows in (("first training", older), ("retraining", [*newer, *older])):
            decisions = with_recency_weights(rows)
            started = time.perf_counter()
            model = train_model(output_root=Path(output), data_dir=data_dir, extra_rows=decisions, progress=to_stderr)
            seconds = time.perf_counter() - started
            print(f"{label}: {len(decisions)} decisions plus the corpora: trained {model.name} in {seconds:.0f} s")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 10_000)
