"""Text normalisation applied before the model sees any text, at training and at scoring time alike."""

from __future__ import annotations

import re
import unicodedata

# Three or more of the same non-digit character become two: "soooo" and "sooooooo" read alike, while
# "good", "Mississippi" and "1000" keep their spelling.
_REPEATS = re.compile(r"(\D)\1{2,}")
# Double underscores are reserved for the submission pseudo-tokens (see features.py), so a body cannot
# forge a "__website__" signal by typing it.
_UNDERSCORES = re.compile(r"_{2,}")
_WHITESPACE = re.compile(r"\s+")
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _is_kept(char: str) -> bool:
    # Format characters (zero-width spaces and joiners, bidi controls, soft hyphens, BOM) are invisible to a
    # reader and are the usual way to hide "c\u200basino" from a filter.
    return unicodedata.category(char) != "Cf"


def _visible(char: str) -> str:
    return " " if unicodedata.category(char) == "Cc" else char


def normalise_text(text: str) -> str:
    """Return the canonical form of `text`: what a human would read, folded so look-alikes share features.

    NFKC folds full-width and compatibility forms (full-width "casino" -> ASCII "casino"); casefold goes further than
    lower() (German "ß" -> "ss"); NFKC runs again because casefolding can leave non-normalised sequences.
    """
    # Most replies are ASCII, which has control characters but no format characters: skip the per-char walk.
    if text.isascii():
        stripped = _ASCII_CONTROL.sub(" ", text)
    else:
        stripped = "".join(_visible(char) for char in text if _is_kept(char))
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", stripped).casefold())
    folded = _UNDERSCORES.sub("_", folded)
    folded = _REPEATS.sub(r"\1\1", folded)
    return _WHITESPACE.sub(" ", folded).strip()
