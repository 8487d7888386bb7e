"""Mark the words that pushed a score inside the reply's text, for the moderator's eye."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    marked: bool


def highlight(text: str, terms: Iterable[str]) -> list[Segment]:
    """`text` cut into plain and marked pieces, marking each case-insensitive occurrence of a term.

    The pieces are rendered by an auto-escaping template, so the text stays inert whatever it holds. Terms that are
    features rather than words (e.g. "links:3") simply never match.
    """
    words = sorted({term for term in terms if term.strip()}, key=len, reverse=True)  # longest first wins
    if not words:
        return [Segment(text, marked=False)]
    pattern = re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)
    segments: list[Segment] = []
    position = 0
    for match in pattern.finditer(text):
        if match.start() > position:
            segments.append(Segment(text[position : match.start()], marked=False))
        segments.append(Segment(match.group(), marked=True))
        position = match.end()
    if position < len(text):
        segments.append(Segment(text[position:], marked=False))
    return segments
