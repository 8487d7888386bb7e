"""The hashed n-grams of one text, computed as HashingVectorizer does, with each occurrence traced to its term."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.utils import murmurhash3_32

# The signed 32-bit hash whose absolute value is undefined in C; FeatureHasher maps it as below.
_INT32_MIN = -(2**31)


def hashed_index(term: str, n_features: int) -> int:
    """Column of `term` exactly as sklearn's FeatureHasher computes it: |signed murmurhash3 (seed 0)| mod n.

    Note it is abs() of the signed hash, not the unsigned (positive=True) hash: the two disagree for every
    negative hash value.
    """
    value = int(murmurhash3_32(term, seed=0))
    if value == _INT32_MIN:
        return (2**31 - 1 - (n_features - 1)) % n_features
    return abs(value) % n_features


@dataclass(frozen=True, slots=True)
class HashedText:
    """Columns present in a text with their raw counts, plus each (occurrence, term) share for attribution.

    `occurrence_columns[k]` carries `occurrence_shares[k]` of one occurrence of that column to
    `terms[occurrence_terms[k]]`; the shares of one occurrence add up to 1.
    """

    columns: NDArray[np.int64]
    counts: NDArray[np.float64]
    occurrence_columns: NDArray[np.int64]
    occurrence_terms: NDArray[np.int64]
    occurrence_shares: NDArray[np.float64]
    terms: tuple[str, ...]


class TextHasher:
    """Reproduces a fitted word + char_wb FeatureUnion of HashingVectorizers on one text at a time."""

    def __init__(self, features: FeatureUnion) -> None:
        words, chars = (transformer for _, transformer in features.transformer_list)
        if not (isinstance(words, HashingVectorizer) and isinstance(chars, HashingVectorizer)):
            raise TypeError("expected a FeatureUnion of two HashingVectorizers (words, chars)")
        if chars.analyzer != "char_wb" or chars.input != "content":
            raise TypeError("expected char_wb n-grams of text content (they are computed word by word below)")
        self._tokenize: Callable[[str], list[str]] = words.build_tokenizer()
        self._word_ngram_range: tuple[int, int] = words.ngram_range
        self._word_columns = int(words.n_features)
        char_columns = int(chars.n_features)
        # Hashing is a pure function of the n-gram; caching it makes repeated vocabulary almost free.
        self._word_index = lru_cache(maxsize=2**18)(lambda term: hashed_index(term, self._word_columns))
        self._char_index = lru_cache(maxsize=2**18)(lambda term: self._word_columns + hashed_index(term, char_columns))
        # char_wb n-grams never cross whitespace, so a text's n-grams are those of its words, one word at a time
        # (sklearn pads each word with a space). Words repeat from comment to comment, so the columns of a word are
        # cached whole: one lookup instead of ~4 per character, the largest cost of scoring a clean reply.
        self._preprocess: Callable[[str], str] = chars.build_preprocessor()
        word_ngrams: Callable[[str], list[str]] = chars._char_wb_ngrams
        self._word_char_columns = lru_cache(maxsize=2**16)(
            lambda word: tuple(self._char_index(ngram) for ngram in word_ngrams(word))
        )

    def hash_counts(self, text: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Only the columns and counts of FeatureUnion.transform([text]): the scoring path, without attribution.

        The char n-grams come word by word from a cache (see __init__); the order differs from the analyzer's, the
        counts do not.
        """
        word_index = self._word_index
        tokens = self._tokenize(text)
        low, high = self._word_ngram_range
        occurrences = [
            word_index(" ".join(tokens[start : start + n]))
            for n in range(low, high + 1)
            for start in range(len(tokens) - n + 1)
        ]
        for word in self._preprocess(text).split():
            occurrences.extend(self._word_char_columns(word))
        unique, counts = np.unique(np.asarray(occurrences, dtype=np.int64), return_counts=True)
        return unique, counts.astype(np.float64)

    def hash_text(self, text: str) -> HashedText:
        """Return the columns and counts FeatureUnion.transform([text]) would produce, traced to terms."""
        term_ids: dict[str, int] = {}
        occurrences: list[int] = []
        columns: list[int] = []
        terms: list[int] = []
        shares: list[float] = []
        word_index = self._word_index

        tokens = self._tokenize(text)
        low, high = self._word_ngram_range
        for n in range(low, high + 1):
            share = 1.0 / n
            for start in range(len(tokens) - n + 1):
                # A bigram's weight is shared by the words it joins.
                owners = tokens[start : start + n]
                column = word_index(" ".join(owners))
                occurrences.append(column)
                for owner in owners:
                    columns.append(column)
                    terms.append(term_ids.setdefault(owner, len(term_ids)))
                    shares.append(share)
        for chunk in text.split():
            # char_wb n-grams never cross whitespace, so each belongs to the words inside its chunk.
            owners = self._tokenize(chunk) or [chunk]
            ngram_columns = self._word_char_columns(self._preprocess(chunk))
            occurrences.extend(ngram_columns)
            share = 1.0 / len(owners)
            for owner in owners:
                owner_id = term_ids.setdefault(owner, len(term_ids))
                columns.extend(ngram_columns)
                terms.extend([owner_id] * len(ngram_columns))
                shares.extend([share] * len(ngram_columns))

        unique, counts = np.unique(np.asarray(occurrences, dtype=np.int64), return_counts=True)
        return HashedText(
            columns=unique,
            counts=counts.astype(np.float64),
            occurrence_columns=np.asarray(columns, dtype=np.int64),
            occurrence_terms=np.asarray(terms, dtype=np.int64),
            occurrence_shares=np.asarray(shares, dtype=np.float64),
            terms=tuple(term_ids),
        )
