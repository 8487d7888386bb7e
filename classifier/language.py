"""The language a reply is written in: an ISO 639-1 code found offline by py3langid, or None when it cannot say.

py3langid ships its model (BSD-3-Clause) and needs only numpy. Restricted to the languages the service expects it is
the most accurate candidate measured on short real replies (docs/model.md, "Language identification"): a reply is
first classified among those; only when that answer is unsure does the full model (97 languages) get a say, so an
Italian or Chinese reply is not forced into Spanish or German at the cost of a second pass for every reply.
"""

from __future__ import annotations

import re
from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

# The readers' languages the service is built for (issue 21), Arabic for right-to-left.
SERVICE_LANGUAGES = ("en", "de", "fr", "es", "ru", "uk", "ar")
MIN_CHARS = 20  # shorter texts (after links and handles are dropped) are too short to say; measured from 20 up
# Past this many characters the answer no longer changes, and cost grows with length: the p99 stays bounded.
MAX_CHARS = 600
# Below this probability among the service's languages, the full model is asked: a language outside them (Italian
# read as Spanish, Polish as English) is otherwise given the nearest one of ours.
SURE = 0.95

_LINK = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+|@\w+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


@cache
def _identifiers() -> tuple[LanguageIdentifier, LanguageIdentifier]:
    """(restricted to SERVICE_LANGUAGES, all languages), built once per process (about a second)."""
    full = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    # The same tables, read once: set_languages keeps its own view of the columns it is restricted to.
    restricted = LanguageIdentifier(
        full.nb_ptc, full.nb_pc, full.nb_classes, full.tk_nextmove, full.tk_output, norm_probs=True, tk_row=full.tk_row
    )
    restricted.set_languages(list(SERVICE_LANGUAGES))
    return restricted, full


def load_detector() -> None:
    """Build the detector now (at start-up), so the first reply does not pay for it."""
    _identifiers()


def readable_text(text: str) -> str:
    """What the detector reads: the text without links, addresses and handles, spaces collapsed, at most MAX_CHARS."""
    return _SPACE.sub(" ", _LINK.sub(" ", text)).strip()[:MAX_CHARS]


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language `text` is written in; None when it has fewer than MIN_CHARS characters
    besides links and handles, or when no language is likely enough to name."""
    readable = readable_text(text)
    if len(readable) < MIN_CHARS:
        return None
    restricted, full = _identifiers()
    language, probability = restricted.classify(readable)
    if probability >= SURE:
        return str(language)
    # Unsure among ours: a language of ours that the full model also ranks first stands; so does ours when it is the
    # likelier half and the full model is not sure of another; else the full model's answer (a two-letter code).
    other, other_probability = full.classify(readable)
    if other == language or (probability >= 0.5 and other_probability < SURE):
        return str(language)
    return str(other) if len(str(other)) == 2 else None
