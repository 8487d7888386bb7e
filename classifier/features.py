"""Submission signals, and the one text the model reads: normalised body and name plus signal pseudo-tokens."""

from __future__ import annotations

import re

from classifier.normalise import normalise_text
from classifier.submission import Submission

# Links written out in full, starting with www., or as bare host names under common spam top-level domains.
_LINK = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+"
    r"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|info|biz|io|ly|co|me|xyz|top|ru|cn|online|site|shop)"
    r"\b(?:/[^\s<>\"']*)?",
    re.IGNORECASE,
)
_HOST = re.compile(r"^(?:https?://)?(?:www\.)?([^/?#:\s]+)", re.IGNORECASE)
_SHORTENERS = frozenset(
    {
        "bit.ly", "tinyurl.com", "goo.gl", "t.co", "ow.ly", "is.gd", "buff.ly", "cutt.ly", "rebrand.ly",
        "shorturl.at", "tiny.cc", "rb.gy", "t.ly", "s.id", "bl.ink", "v.gd", "shorte.st", "adf.ly",
    }
)  # fmt: skip
# More links than this add nothing: three links already mark a link drop.
_MAX_LINK_TOKENS = 3

# Pseudo-token -> the name a moderator sees in a contribution.
SIGNAL_NAMES: dict[str, str] = {
    "__link__": "link_count",
    "__shortener__": "url_shortener",
    "__website__": "has_website",
    "__name_has_url__": "name_has_url",
    "__name_many_words__": "name_many_words",
}


def find_links(text: str) -> list[str]:
    """Return the links in `text`, in order, as written."""
    return _LINK.findall(text)


def _is_shortened(link: str) -> bool:
    match = _HOST.match(link)
    return match is not None and match.group(1).lower() in _SHORTENERS


def signal_tokens(submission: Submission) -> list[str]:
    """Return the pseudo-tokens describing the submission beyond its words; repeated tokens count up."""
    links = find_links(submission.body)
    tokens = ["__link__"] * min(len(links), _MAX_LINK_TOKENS)
    if any(_is_shortened(link) for link in links):
        tokens.append("__shortener__")
    if submission.website:
        tokens.append("__website__")
    if find_links(submission.name):
        tokens.append("__name_has_url__")
    # "Best Cheap Payday Loans": display names of three or more words are mostly keyword stuffing.
    if len(submission.name.split()) >= 3:
        tokens.append("__name_many_words__")
    return tokens


def model_text(submission: Submission) -> str:
    """Return the single string the model pipeline reads for `submission`.

    The name is appended as words because keyword-stuffed names use the same vocabulary as spam bodies.
    """
    parts = [normalise_text(submission.body), normalise_text(submission.name), *signal_tokens(submission)]
    return " ".join(part for part in parts if part)
