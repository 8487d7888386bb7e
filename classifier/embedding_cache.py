"""Sentence vectors of corpus rows kept beside the models, so a retraining embeds only texts it has not seen.

Embedding costs 10-20 ms a text on these machines (docs/model.md): the abuse head's second opinion
(classifier/abuse_opinion.py) reads about 9,000 corpus texts, which is two minutes the first time and should be
seconds on every retraining after it. The cache is one `.npz` file per embedding model (named by its sha256), keyed
by each text's digest, read without pickle; a damaged file is set aside and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import numpy as np

from classifier.relevance import DIMENSION, MODEL_SHA256, Embedder, Vectors

log = logging.getLogger(__name__)

# A dot folder under the models root: a model scan (folders holding card.json) never takes it for a model.
CACHE_FOLDER: Final = ".embeddings"
# Enough of a sha256 to tell texts apart (collisions at 2^-64 per pair), short enough to keep the file small.
KEY_BYTES: Final = 16


def text_key(text: str) -> str:
    """The cache key of a text: the hex of the first KEY_BYTES of its sha256."""
    return hashlib.sha256(text.encode()).hexdigest()[: 2 * KEY_BYTES]


class CachedEmbedder:
    """embed() with an on-disk cache under models_root (None: no cache, every text embedded)."""

    def __init__(self, embedder: Embedder, models_root: Path | None) -> None:
        self.embedder = embedder
        self.path = None if models_root is None else models_root / CACHE_FOLDER / f"minilm-{MODEL_SHA256[:16]}.npz"
        self.embedded = 0  # texts embedded (not found in the cache) by this instance, for the progress lines
        self._known: dict[str, Vectors] | None = None  # the file, read once per instance (a training asks twice)

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit vector per text, as Embedder.embed, reading known texts from the cache and adding new ones."""
        if self._known is None:
            self._known = self._read()
        known = self._known
        keys = [text_key(text) for text in texts]
        missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in known}
        if missing:
            vectors = self.embedder.embed(list(missing.values()))
            known.update(zip(missing, vectors, strict=True))
            self.embedded += len(missing)
            self._write(known)
        if not keys:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return np.stack([known[key] for key in keys]).astype(np.float32, copy=False)

    def _read(self) -> dict[str, Vectors]:
        if self.path is None or not self.path.is_file():
            return {}
        try:
            with np.load(self.path, allow_pickle=False) as stored:
                keys, vectors = stored["keys"], stored["vectors"]
                if vectors.ndim != 2 or vectors.shape != (len(keys), DIMENSION):
                    raise ValueError(f"shape {vectors.shape} for {len(keys)} keys")
                return dict(zip(keys.tolist(), vectors, strict=True))
        except (OSError, ValueError, KeyError) as exc:
            log.warning("the embedding cache %s is unreadable (%s); it is rebuilt", self.path, exc)
            return {}

    def _write(self, known: dict[str, Vectors]) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside and renamed over: a training killed mid-write leaves the old cache, never half a file.
        handle, staging = tempfile.mkstemp(prefix=".embeddings-", suffix=".npz", dir=self.path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                keys = np.array(list(known), dtype=f"<U{2 * KEY_BYTES}")
                np.savez(out, keys=keys, vectors=np.stack(list(known.values())))
            os.replace(staging, self.path)
        except BaseException:
            Path(staging).unlink(missing_ok=True)
            raise
