"""The one labelled-row shape every corpus is read into, and de-duplication on normalised text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from classifier.features import model_text
from classifier.normalise import normalise_text
from classifier.submission import Submission


@dataclass(frozen=True, slots=True)
class LabelledRow:
    """A reply with what is known about it: a label of None means the corpus says nothing about that head.

    `source` names the corpus; `group` the unit that must not straddle a split (a video, an article thread).
    `weight` scales the row's say in training relative to its corpus (1.0 = like any other row of that corpus):
    the service gives newer moderator decisions a larger weight than old ones.
    """

    text: str
    name: str = ""
    website: str | None = None
    spam: int | None = None
    abuse: int | None = None
    source: str = ""
    group: str = ""
    weight: float = 1.0

    def label(self, head: str) -> int | None:
        """Return the row's label for head "spam" or "abuse"."""
        return self.spam if head == "spam" else self.abuse

    def model_text(self) -> str:
        """Return the text the pipeline reads for this row, exactly as it would for a live submission."""
        return model_text(Submission(body=self.text, name=self.name, website=self.website))


def dedupe_key(text: str) -> str:
    """Two texts are the same reply when their normalised forms are equal."""
    return normalise_text(text)


def dedupe(rows: Iterable[LabelledRow], *, exclude: frozenset[str] = frozenset()) -> list[LabelledRow]:
    """Keep the first row of each normalised text, and drop rows whose key is in `exclude` or is empty.

    Order decides which copy survives, so callers list their most trusted corpus first.
    """
    seen = set(exclude)
    kept = []
    for row in rows:
        key = dedupe_key(row.text)
        if key and key not in seen:
            seen.add(key)
            kept.append(row)
    return kept
