"""The hashed n-grams of texts, computed as HashingVectorizer does, and each n-gram occurrence traced to its words."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

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
class HashedTexts:
    """The counts FeatureUnion.transform(texts) would give, as sorted (row, column) entries of one sparse matrix.

    The entries of row r are [bounds[r], bounds[r + 1]), columns ascending. `occurrences(r)` gives the column of
    each n-gram occurrence of text r in the order TextHasher read them, which is what attribution walks.
    """

    texts: tuple[str, ...]
    rows: NDArray[np.int64]
    columns: NDArray[np.int64]
    counts: NDArray[np.float64]
    bounds: NDArray[np.int64]
    occurrence_columns: NDArray[np.int64]  # every text's occurrences, one after the other
    occurrence_bounds: NDArray[np.int64]

    @property
    def size(self) -> int:
        return len(self.texts)

    def occurrences(self, row: int) -> NDArray[np.int64]:
        return self.occurrence_columns[self.occurrence_bounds[row] : self.occurrence_bounds[row + 1]]


class TextHasher:
    """Reproduces a fitted word + char_wb FeatureUnion of HashingVectorizers, text by text, batch by batch."""

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
        self._all_columns = self._word_columns + char_columns
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

    def hash_texts(self, texts: Sequence[str]) -> HashedTexts:
        """Hash several texts at once: one sort for the whole batch instead of one per text.

        Each row equals FeatureUnion.transform([text]) for its text; the counts do not depend on the batch.
        """
        occurrences = [self._occurrences(text) for text in texts]
        lengths = [len(found) for found in occurrences]
        columns = np.fromiter(chain.from_iterable(occurrences), dtype=np.int64, count=sum(lengths))
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        # Sorting (row, column) as one integer key counts every row's columns in one pass.
        keys, counts = np.unique(rows * self._all_columns + columns, return_counts=True)
        entry_rows, entry_columns = np.divmod(keys, self._all_columns)
        return HashedTexts(
            texts=tuple(texts),
            rows=entry_rows,
            columns=entry_columns,
            counts=counts.astype(np.float64),
            bounds=np.searchsorted(entry_rows, np.arange(len(texts) + 1)).astype(np.int64),
            occurrence_columns=columns,
            occurrence_bounds=np.concatenate(([0], np.cumsum(lengths, dtype=np.int64))),
        )

    def _occurrences(self, text: str) -> list[int]:
        """The column of each n-gram occurrence: word n-grams by length then position, then each word's char n-grams.

        The char n-grams come word by word from a cache (see __init__); the order differs from the analyzer's, the
        counts do not. attribute() relies on this order.
        """
        word_index = self._word_index
        tokens = self._tokenize(text)
        low, high = self._word_ngram_range
        found = [
            word_index(" ".join(tokens[start : start + n]))
            for n in range(low, high + 1)
            for start in range(len(tokens) - n + 1)
        ]
        for word in self._preprocess(text).split():
            found.extend(self._word_char_columns(word))
        return found

    def attribute(self, text: str, pushes: NDArray[np.float64]) -> tuple[list[str], NDArray[np.float64]]:
        """Each word's share of what the n-gram occurrences of `text` pushed: the words, and a (word, head) array.

        `pushes` has one row per occurrence, in the order of HashedTexts.occurrences, and one column per head. A word
        n-gram's push is split evenly over the words it joins; a char n-gram's over the words inside its
        whitespace-separated chunk (the chunk itself when it holds no token, like "!!!"). Words are listed in order
        of first appearance and, per head, add up to that head's pushes. Only cached columns are looked up again.
        """
        heads = pushes.shape[1]
        tokens = self._tokenize(text)
        low, high = self._word_ngram_range
        by_position = np.zeros((len(tokens), heads))
        offset = 0
        for n in range(low, high + 1):
            count = max(len(tokens) - n + 1, 0)
            share = pushes[offset : offset + count] / n
            for owner in range(n):  # the n-gram starting at `start` is owned by tokens start .. start + n - 1
                by_position[owner : owner + count] += share
            offset += count
        chunks = text.split()
        lengths = np.fromiter(
            (len(self._word_char_columns(word)) for word in self._preprocess(text).split()), np.int64, len(chunks)
        )
        ends = np.cumsum(lengths)
        # Sums of each chunk's occurrences, per head, as differences of a running total.
        running = np.vstack([np.zeros((1, heads)), np.cumsum(pushes[offset:], axis=0)])
        per_chunk = running[ends] - running[ends - lengths]

        term_ids: dict[str, int] = {}
        ids = [term_ids.setdefault(token, len(term_ids)) for token in tokens]
        owned_chunks: list[int] = []
        shares: list[float] = []
        for index, chunk in enumerate(chunks):
            owners = self._tokenize(chunk) or [chunk]
            ids.extend(term_ids.setdefault(owner, len(term_ids)) for owner in owners)
            owned_chunks.extend([index] * len(owners))
            shares.extend([1.0 / len(owners)] * len(owners))
        values = np.vstack([by_position, per_chunk[owned_chunks] * np.asarray(shares)[:, None]])
        totals = np.column_stack(
            [np.bincount(ids, weights=values[:, head], minlength=len(term_ids)) for head in range(heads)]
        )
        return list(term_ids), totals.astype(np.float64, copy=False)
