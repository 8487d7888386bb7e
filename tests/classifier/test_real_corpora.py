"""On the real corpora (skipped where ../shared/data is absent): the documented traps are handled."""

from __future__ import annotations

from collections import Counter

import pytest

from classifier.dataset import MAX_ROWS, load_evaluation_sets, load_training_rows
from classifier.rows import dedupe_key
from tests.default_model import DATA_DIR

pytestmark = pytest.mark.skipif(not DATA_DIR.is_dir(), reason="shared corpora not available")


def test_real_training_rows_are_unique_capped_clean_and_apart_from_evaluation_sets() -> None:
    rows, fingerprints = load_training_rows(DATA_DIR)
    keys = [dedupe_key(row.text) for row in rows]
    assert len(keys) == len(set(keys))
    evaluation = load_evaluation_sets(DATA_DIR)
    assert {"sfu-toxic", "ethos", "wikipedia-identity", "unhealthy-conversations"} <= set(evaluation)
    assert not {dedupe_key(row.text) for rows in evaluation.values() for row in rows} & set(keys)
    sources = Counter(row.source for row in rows)
    assert sources["davidson"] == MAX_ROWS["davidson"]
    assert sources["sms"] < 5574 - 400  # the 403 exact duplicates are gone
    assert not any("<br" in row.text or "&#39;" in row.text for row in rows if row.source == "youtube")
    assert not {"sfu", "ethos", "unhealthy-conversations"} & set(sources)
    # Civil Comments: only posts its raters had flagged, about 70% of them toxic by a majority of ours.
    civil = [row.abuse or 0 for row in rows if row.source == "civil-comments"]
    assert len(civil) > 15_000 and 0.6 < sum(civil) / len(civil) < 0.8
    assert set(fingerprints) == {
        "seed", "youtube-spam-collection", "fox-news-hate-comments", "sms-spam-collection",
        "jigsaw-toxic-comment-sample", "davidson-hate-offensive", "civil-comments-toxic-spans",
        "germeval-2018-offensive-de", "russian-news-comments-toxicity", "mlma-hate-speech-multilingual",
    }  # fmt: skip
    # The multilingual corpora: no tweet handles, line-break marks, VK addresses or "foreign agent" banners left.
    foreign = [row for row in rows if row.source in {"germeval", "russian-news", "mlma-fr", "mlma-ar"}]
    assert {row.source for row in foreign} == {"germeval", "russian-news", "mlma-fr", "mlma-ar"}
    assert all(row.spam is None for row in foreign)
    assert not any("|LBR|" in row.text or "@user" in row.text or "[id" in row.text for row in foreign)
    assert not any("ИНОСТРАННОГО АГЕНТА" in row.text.upper() for row in foreign)
    assert "mlma-en" not in sources
