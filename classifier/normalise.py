"""Text normalisation applied before the model sees any text, at training and at scoring time alike.

Spammers disguise words so that a filter's vocabulary misses them while a reader still sees them; each step
below undoes one trick, so "c\u0430sino" (a Cyrillic a), full-width "casino", "c\u200basino", "c4s1no",
"c a s i n o" and "c.a.s.i.n.o" all read "casino", and a Russian word with a Latin look-alike typed in reads Russian.
The stored reply is never changed: this is only what the model reads.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache, lru_cache
from typing import Final

# Three or more of the same non-digit character become two: "soooo" and "sooooooo" read alike, while
# "good", "Mississippi" and "1000" keep their spelling.
_REPEATS = re.compile(r"(\D)\1{2,}")
# Double underscores are reserved for the submission pseudo-tokens (see features.py), so a body cannot
# forge a "__website__" signal by typing it.
_UNDERSCORES = re.compile(r"_{2,}")
_WHITESPACE = re.compile(r"\s+")
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Cyrillic and Greek letters that look like Latin ones (Unicode's confusables, the unambiguous part). Applied
# only inside a word that also has a Latin letter, so Russian and Greek text keep their own letters.
CONFUSABLES: Final = str.maketrans(
    "АВЕКМНОРСТХУЅІЈаеорсухѕіјԁһӏԛԝүɡΑΒΕΖΗΙΚΜΝΟΡΤΥΧαοιυνρκτχεϲ",
    "ABEKMHOPCTXYSIJaeopcyxsijdhlqwygABEZHIKMNOPTYXaoiuvpktxec",
)
_CONFUSABLE_CHARS: Final = frozenset(chr(code) for code in CONFUSABLES)
# The other way: Latin letters typed into a Cyrillic word ("xуй", "пиздa", "пiсня" from a Latin keyboard layout)
# become the Cyrillic letters they stand for, so the word reads as the Russian or Ukrainian word it is.
TO_CYRILLIC: Final = str.maketrans(
    "ABEKMHOPCTXYaeopcyxikmtb",
    "АВЕКМНОРСТХУаеорсухікмть",
)
_CYRILLIC: Final = "\u0400-\u04ff"
# Cyrillic letters no Latin letter looks like (б, д, ж, и, л, п, я, ы, й; Ukrainian ї, є, ґ...): a word holding
# one is a Cyrillic word, whatever Latin look-alikes were typed into it. A Latin word disguised with Cyrillic
# look-alikes has none of them, by construction.
_CYRILLIC_ONLY: Final = re.compile(
    "[" + "".join(c for c in map(chr, range(0x400, 0x500)) if c.isalpha() and c not in _CONFUSABLE_CHARS) + "]"
)
_ANY_CYRILLIC: Final = re.compile(f"[{_CYRILLIC}]")
_WORD: Final = re.compile(r"\w+")
_LATIN_LETTER: Final = re.compile(r"[a-zA-Z]")

# Digits and symbols standing in for letters. Applied only to a word that starts with a letter and mixes in
# one of these ("v1agra", "fr33", "c@sino"), so numbers, "1st" and "$100" keep their digits.
LEET: Final = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
# In a Cyrillic word the same trick stands for Cyrillic letters: "ху3", "ё6аный", "4мо", "п@дла".
CYRILLIC_LEET: Final = str.maketrans({"0": "о", "3": "з", "4": "ч", "6": "б", "@": "а"})
_LEET_WORD: Final = re.compile(r"\b[^\W\d_][\w@$]*[0134567@$][\w@$]*")
_OTHER_DIGIT: Final = re.compile(r"[26789]")
_OTHER_CYRILLIC_DIGIT: Final = re.compile(r"[125789$]")
# Three or more single letters each followed by one separator: "f r e e", "c.a.s.i.n.o", "c-a-s-h". Two
# spaces between runs ("f r e e  m o n e y") keep the words apart.
_SPACED: Final = re.compile(r"(?<![^\W_])(?:[^\W\d_][ .\-*·_]){2,}[^\W\d_](?![^\W_])")
_SEPARATORS: Final = re.compile(r"[ .\-*·_]")


@cache
def _invisible_table() -> dict[int, str | None]:
    """str.translate table: format characters dropped, control characters made spaces.

    Format characters (zero-width spaces and joiners, bidi controls, soft hyphens, BOM) are invisible to a reader
    and are the usual way to hide "c\u200basino" from a filter. One translate call runs in C; a per-character
    category test cost ~1 ms on a 4,000-character reply. Built once, on the first non-ASCII text (~0.2 s).
    """
    table: dict[int, str | None] = {}
    for code in range(sys.maxunicode + 1):
        category = unicodedata.category(chr(code))
        if category == "Cf":
            table[code] = None
        elif category == "Cc":
            table[code] = " "
    return table


def _unmix_word(match: re.Match[str]) -> str:
    """One script per word: a Cyrillic word's Latin look-alikes become Cyrillic, a Latin word's Cyrillic or Greek
    look-alikes become Latin; a word in one script is returned as it is."""
    word = match.group()
    if not _LATIN_LETTER.search(word):
        return word
    if _CYRILLIC_ONLY.search(word):
        return word.translate(TO_CYRILLIC)
    if not _CONFUSABLE_CHARS.isdisjoint(word):
        return word.translate(CONFUSABLES)
    return word


def _unleet_word(match: re.Match[str]) -> str:
    word = match.group()
    # "covid19", "b2b" and "h2o" are names, not disguises: a word with any other digit keeps its digits, and
    # so does one that is mostly digits. The price is that "mp3" reads "mpe", in training and scoring alike.
    letters = sum(char.isalpha() for char in word)
    cyrillic = _ANY_CYRILLIC.search(word) is not None
    other_digit = _OTHER_CYRILLIC_DIGIT if cyrillic else _OTHER_DIGIT
    if letters < 2 or letters < len(word) / 2 or other_digit.search(word):
        return word
    return word.translate(CYRILLIC_LEET if cyrillic else LEET)


def _join_spaced(match: re.Match[str]) -> str:
    return _SEPARATORS.sub("", match.group())


# Remembered for the last few texts: scoring a reply normalises its body for the model's features and again for its
# spam-run signature and language (~6% of the scoring child's time). Pure, so a cached answer is the same answer.
@lru_cache(maxsize=1024)
def normalise_text(text: str) -> str:
    """Return the canonical form of `text`: what a human would read, folded so look-alikes share features.

    In order: invisible characters go; Cyrillic/Greek look-alikes inside Latin words become Latin and Latin
    look-alikes inside Cyrillic words become Cyrillic (whole Russian, Ukrainian or Greek words keep their letters);
    NFKC folds
    full-width and compatibility forms; casefold goes further than lower() (German "ß" -> "ss"); leetspeak
    digits inside words become letters; letters spaced out one by one are joined; long repeats shrink to two.
    """
    # Most replies are ASCII, which has control characters but no format characters or look-alikes.
    if text.isascii():
        folded = _ASCII_CONTROL.sub(" ", text).casefold()
    else:
        stripped = text.translate(_invisible_table())
        # Full-width letters become ASCII first, so a full-width word with a Cyrillic "a" is still a Latin word.
        latin = unicodedata.normalize("NFKC", stripped)
        # Word by word only when a word could mix scripts: a Latin letter beside a look-alike or a Cyrillic letter.
        mixable = not _CONFUSABLE_CHARS.isdisjoint(latin) or _ANY_CYRILLIC.search(latin)
        if mixable and _LATIN_LETTER.search(latin):
            latin = _WORD.sub(_unmix_word, latin)
        folded = unicodedata.normalize("NFKC", latin.casefold())
    folded = _UNDERSCORES.sub("_", folded)
    folded = _LEET_WORD.sub(_unleet_word, folded)
    folded = _SPACED.sub(_join_spaced, folded)
    folded = _REPEATS.sub(r"\1\1", folded)
    return _WHITESPACE.sub(" ", folded).strip()
