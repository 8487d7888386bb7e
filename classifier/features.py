"""Submission signals, and the one text the model reads: normalised body and name plus signal pseudo-tokens."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Final

from classifier.normalise import normalise_text
from classifier.submission import Submission

# Links written out in full, starting with www., or as bare host names under common spam top-level domains.
_LINK = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+"
    r"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|info|biz|io|ly|co|me|xyz|top|ru|cn|online|site|shop)"
    r"\b(?:/[^\s<>\"']*)?",
    re.IGNORECASE,
)
# A necessary condition for _LINK: a scheme, "www." or a listed top-level domain. Checking it first is several
# times cheaper on the usual reply without links, where _LINK would try a host name at every word.
_LINK_HINT = re.compile(
    r"https?://|www\.|\.(?:com|net|org|info|biz|io|ly|co|me|xyz|top|ru|cn|online|site|shop)\b", re.IGNORECASE
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
_TLD = re.compile(r"\.([a-z]{2,12})$")
# Runs of five or more digits (phone numbers, claim codes) and amounts of money.
_LONG_NUMBER = re.compile(r"\d[\d -]{3,}\d")
_MONEY = re.compile(
    r"[$\u00a3\u20ac\u00a5]\s?\d|\d\s?(?:[$\u00a3\u20ac]|usd|eur|gbp|dollars?|pounds?)\b"
    # The readers' other currencies (issue 21): rouble and hryvnia signs, and the amounts written out in Russian,
    # Ukrainian and Polish, so a price is a signal whatever the language ("990 ₽", "500 грн", "1500 євро").
    r"|[\u20bd\u20b4]\s?\d|\d\s?(?:[\u20bd\u20b4]|rub|uah|pln|zł|руб\w*|грн|гривен\w*|гривн\w*|доллар\w*|долар\w*"  # noqa: RUF001 (Cyrillic on purpose)
    r"|евро|євро|тенге)(?!\w)",
    re.IGNORECASE,
)
# Messengers named as the way to get in touch ("write to us on Telegram", "вайбер", "t.me/..."): spam moves
# the conversation there when links are held. Brand names in Latin and Cyrillic spelling, not English words.
_MESSENGER = re.compile(
    r"\b(?:telegram|whatsapp|viber|телеграм\w*|ватсап\w*|вотсап\w*|вацап\w*|вайбер\w*|вибер\w*)|\b(?:t\.me|wa\.me)/",
    re.IGNORECASE,
)
# Buckets, chosen so the middle bucket (most replies) has no token at all.
_SHORT_CHARS, _LONG_CHARS = 25, 400
_CAPS_MIN_LETTERS, _CAPS_HIGH = 8, 0.6
_PUNCT_MIN_CHARS, _PUNCT_HIGH = 10, 0.15
# No "name and body in different scripts" signal: tried, it pushed polite replies in Arabic or Japanese from
# people with Latin-script names towards spam (weight about 1.6 on the spam logit) without a measured gain.

# Fixed pseudo-token -> the name a moderator sees in a contribution; "__tld_<x>__" shows as "link_domain_.<x>".
SIGNAL_NAMES: dict[str, str] = {
    "__link__": "link_count",
    "__shortener__": "url_shortener",
    "__website__": "has_website",
    "__name_has_url__": "name_has_url",
    "__name_many_words__": "name_many_words",
    "__caps_high__": "mostly_capitals",
    "__punct_high__": "much_punctuation",
    "__len_short__": "very_short",
    "__len_long__": "very_long",
    "__long_number__": "long_number",
    "__money__": "money_amount",
    "__messenger__": "messenger_contact",
}


def signal_name(token: str) -> str | None:
    """The display name of a pseudo-token, or None if `token` is an ordinary word."""
    if token in SIGNAL_NAMES:
        return SIGNAL_NAMES[token]
    if token.startswith("__tld_") and token.endswith("__"):
        return f"link_domain_.{token[6:-2]}"
    return None


def find_links(text: str) -> list[str]:
    """Return the links in `text`, in order, as written."""
    return _LINK.findall(text) if _LINK_HINT.search(text) else []


def _host(link: str) -> str:
    match = _HOST.match(link)
    return match.group(1).lower().rstrip(".") if match else ""


def _link_tokens(submission: Submission, body: str) -> list[str]:
    links = find_links(body)
    tokens = ["__link__"] * min(len(links), _MAX_LINK_TOKENS)
    hosts = [_host(link) for link in links]
    if any(host in _SHORTENERS for host in hosts):
        tokens.append("__shortener__")
    tlds = dict.fromkeys(match.group(1) for host in hosts if (match := _TLD.search(host)))
    tokens.extend(f"__tld_{tld}__" for tld in list(tlds)[:_MAX_LINK_TOKENS])
    return tokens


def _identity_tokens(submission: Submission, body: str) -> list[str]:
    tokens = []
    if submission.website:
        tokens.append("__website__")
    if find_links(submission.name):
        tokens.append("__name_has_url__")
    # "Best Cheap Payday Loans": display names of three or more words are mostly keyword stuffing.
    if len(submission.name.split()) >= 3:
        tokens.append("__name_many_words__")
    return tokens


def _ascii_bytes(test: Callable[[str], bool]) -> bytes:
    return bytes(code for code in range(128) if test(chr(code)))


# The ASCII characters each str predicate accepts: an ASCII text is counted with bytes.translate, in C, ~10x faster
# than a map over its characters on a long reply (the same counts: the sets come from the predicates themselves).
_ASCII_ALPHA, _ASCII_UPPER = _ascii_bytes(str.isalpha), _ascii_bytes(str.isupper)
_ASCII_ALNUM, _ASCII_SPACE = _ascii_bytes(str.isalnum), _ascii_bytes(str.isspace)


def _count(text: str, ascii_chars: bytes, test: Callable[[str], bool]) -> int:
    """How many characters of `text` pass `test` (whose ASCII members are `ascii_chars`)."""
    if text.isascii():
        raw = text.encode("ascii")
        return len(raw) - len(raw.translate(None, ascii_chars))
    return sum(map(test, text))


def _letters_and_capitals(text: str) -> tuple[int, int]:
    if text.isascii():
        return _count(text, _ASCII_ALPHA, str.isalpha), _count(text, _ASCII_UPPER, str.isupper)
    letters = "".join(filter(str.isalpha, text))  # capitals among letters: "Ⅷ" is upper but not a letter
    return len(letters), sum(map(str.isupper, letters))


def _shape_tokens(submission: Submission, body: str) -> list[str]:
    # Length and punctuation are read from the normalised body, so padding with invisible characters or
    # repeats changes nothing; capitals only survive in the raw one (normalising casefolds).
    tokens = []
    if len(body) < _SHORT_CHARS:
        tokens.append("__len_short__")
    elif len(body) > _LONG_CHARS:
        tokens.append("__len_long__")
    letters, capitals = _letters_and_capitals(submission.body)
    if letters >= _CAPS_MIN_LETTERS and capitals / letters >= _CAPS_HIGH:
        tokens.append("__caps_high__")
    # Visible: what str.split() keeps, i.e. the characters str.isspace() refuses.
    visible = len(body) - _count(body, _ASCII_SPACE, str.isspace)
    punctuation = visible - _count(body, _ASCII_ALNUM, str.isalnum)
    if visible >= _PUNCT_MIN_CHARS and punctuation / visible >= _PUNCT_HIGH:
        tokens.append("__punct_high__")
    return tokens


def _number_tokens(submission: Submission, body: str) -> list[str]:
    tokens = []
    if _LONG_NUMBER.search(body):
        tokens.append("__long_number__")
    if _MONEY.search(body):
        tokens.append("__money__")
    if _MESSENGER.search(body):
        tokens.append("__messenger__")
    return tokens


# Each family of signals, by name, in the order their tokens are appended; each reads the submission and its
# normalised body. bench/classifier_signals.py switches families off by name to check each earns its place.
SIGNALS: dict[str, Callable[[Submission, str], list[str]]] = {
    "links": _link_tokens,
    "identity": _identity_tokens,
    "shape": _shape_tokens,
    "numbers": _number_tokens,
}


def signal_tokens(submission: Submission, body: str | None = None) -> list[str]:
    """Return the pseudo-tokens describing the submission beyond its words; repeated tokens count up.

    `body` is normalise_text(submission.body), passed when the caller has it already.
    """
    normalised = normalise_text(submission.body) if body is None else body
    return [token for signal in SIGNALS.values() for token in signal(submission, normalised)]


# The model reads at most this much of a body: its start and its end. Scoring time grows with length (~1 us per
# character), and the longest replies (5,000 characters and more) set the p99; cutting the middle of the 1.6% of
# held-out replies longer than this changed neither head's ROC AUC in the fourth decimal. The service's link rule and
# spam-run signatures still read the whole body, so a link drop hidden in the middle of a long reply is still held.
MODEL_HEAD_CHARS: Final = 1500
MODEL_TAIL_CHARS: Final = 500


def model_body(body: str) -> str:
    """The part of a body the model reads: all of it, or its first and last characters when it is long."""
    if len(body) <= MODEL_HEAD_CHARS + MODEL_TAIL_CHARS:
        return body
    return f"{body[:MODEL_HEAD_CHARS]}\n{body[-MODEL_TAIL_CHARS:]}"


def model_text(submission: Submission) -> str:
    """Return the single string the model pipeline reads for `submission`.

    The name is appended as words because keyword-stuffed names use the same vocabulary as spam bodies.
    """
    if len(submission.body) > MODEL_HEAD_CHARS + MODEL_TAIL_CHARS:
        submission = replace(submission, body=model_body(submission.body))
    body = normalise_text(submission.body)
    parts = [body, normalise_text(submission.name), *signal_tokens(submission, body)]
    return " ".join(part for part in parts if part)
