"""How much a corpus row counts in a head's fit: its own weight, times its source's weight for that head.

The general heads are fitted on corpora that are not news replies; these weights say how far each corpus is trusted
to speak for one. They are part of what a general fit depends on (classifier/general_cache.py keys by them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from classifier.rows import LabelledRow

# The seed is the only hand-labelled, news-reply-shaped data; without extra weight the off-domain corpora
# (where nearly every link is spam) teach the model to reject ordinary replies that cite a source.
SEED_WEIGHT = 5.0
# YouTube is the only corpus of comment-section spam with its own ham beside it, but its ~1,400 training rows
# sit among ~17,000 Jigsaw and Fox News rows taken as not spam, so the spam head learned "not Wikipedia prose"
# more than "spam among comments". Five times the weight gains 0.009-0.014 ROC AUC on every video left out
# (bench/classifier_spam_mix.py) and holds no more Jigsaw talk comments; dropping Jigsaw and Fox instead gains
# more on YouTube but holds 4% of Jigsaw and 2% of SFU comments.
YOUTUBE_WEIGHT = 5.0
SOURCE_WEIGHTS = {"seed": SEED_WEIGHT, "youtube": YOUTUBE_WEIGHT}
# The abuse head's corpora, as judges of replies on a news site none of them comes from. Civil Comments' posts were
# all flagged by its own raters, so its "acceptable" side is toxic-looking talk the raters let pass: at full weight
# it taught the head that such talk is fine, and the head ranked the Globe and Mail's comments (never trained on)
# 0.029 below a head fitted on the Jigsaw sample alone. Jigsaw twice and Civil Comments at half weight
# (bench/classifier_abuse_mix.py, docs/model.md "Data"): +0.016 on the Globe and Mail comments, +0.006 on Fox
# News and +0.004 on Civil Comments each left out of the fit, every language within 0.002.
HEAD_SOURCE_WEIGHTS: dict[str, dict[str, float]] = {"abuse": {"jigsaw": 2.0, "civil-comments": 0.5}}


def row_weights(rows: Sequence[LabelledRow], head: str | None = None) -> np.ndarray:
    """Each row's training weight for `head`: its own weight, times its source's SOURCE_WEIGHTS entry and that
    head's HEAD_SOURCE_WEIGHTS entry (1 if none). Without a head, the weights every head shares."""
    per_head = HEAD_SOURCE_WEIGHTS.get(head or "", {})
    return np.array([row.weight * SOURCE_WEIGHTS.get(row.source, 1.0) * per_head.get(row.source, 1.0) for row in rows])


def weights_fingerprint() -> str:
    """The source weights as text, for keys of what a fit depends on."""
    return repr(
        (sorted(SOURCE_WEIGHTS.items()), sorted((h, sorted(w.items())) for h, w in HEAD_SOURCE_WEIGHTS.items()))
    )
