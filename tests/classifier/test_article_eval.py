"""The article-aware protocol of `replyguard evaluate`: a shift fitted on other videos, tried on the held-out one."""

from __future__ import annotations

import numpy as np

from classifier.article_eval import grouped
from classifier.relevance import load_embedder
from classifier.rows import LabelledRow
from classifier.videos import VIDEO_TITLES
from tests.classifier.test_relevance import needs_extra

ON_TOPIC = {
    "youtube-psy": "this gangnam style dance is so catchy, psy is a legend",
    "youtube-katyperry": "katy perry roar is her best song, love the jungle video",
    "youtube-lmfao": "party rock anthem still makes me want to shuffle",
    "youtube-eminem": "eminem and rihanna on love the way you lie, what a song",
    "youtube-shakira": "waka waka takes me back to the world cup in africa",
}
OFF_TOPIC = [
    "cheap payday loans approved today at fastcash.example",
    "earn money from home, visit my page bestjobs.example",
    "buy followers now at followers.example, limited offer",
]


@needs_extra
def test_relevance_ranks_off_topic_spam_that_the_logit_cannot_and_each_video_is_held_out() -> None:
    rows: list[LabelledRow] = []
    for group, text in ON_TOPIC.items():
        rows += [LabelledRow(f"{text} #{n}", spam=0, source="youtube", group=group) for n in range(6)]
        rows += [LabelledRow(f"{OFF_TOPIC[n % 3]} #{n}", spam=1, source="youtube", group=group) for n in range(6)]
    # Logits that know a little (the fit must read as a shift of them); the rest of the ranking is relevance's,
    # fitted on the other videos each time.
    noise = np.random.default_rng(0).normal(scale=1.5, size=len(rows))
    logits = {index: 2.0 * float(row.spam or 0) - 1.0 + noise[index] for index, row in enumerate(rows)}
    report = grouped(rows, logits, load_embedder())
    assert set(report) == {*VIDEO_TITLES, "pooled"}
    assert report["pooled"]["rows"] == len(rows) and report["pooled"]["positives"] == len(rows) // 2
    assert report["pooled"]["without"] < 0.9 and report["pooled"]["with"] > report["pooled"]["without"] + 0.05
    for group in VIDEO_TITLES:
        assert report[group]["rows"] == 12 and report[group]["with"] >= report[group]["without"]
