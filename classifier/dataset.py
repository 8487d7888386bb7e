"""Training and evaluation sets assembled from the corpora: de-duplicated, fingerprinted, split reproducibly."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Final

import numpy as np

from classifier import corpora
from classifier.pipeline import RANDOM_STATE
from classifier.rows import LabelledRow, dedupe, dedupe_key

Reader = Callable[[Path], list[LabelledRow]]

# Permissive licences only. Order matters: the first copy of a duplicated text wins, so the hand-written seed
# and the news comments come before the off-domain corpora.
TRAINING_CORPORA: Final[dict[str, Reader]] = {
    "youtube-spam-collection": corpora.read_youtube,
    "fox-news-hate-comments": corpora.read_fox_news,
    "sms-spam-collection": corpora.read_sms,
    "jigsaw-toxic-comment-sample": corpora.read_jigsaw,
    "davidson-hate-offensive": corpora.read_davidson,
}
# Never trained on: SFU (CC BY-NC-SA) and ETHOS (GPLv3) for licence reasons, the Wikipedia identity set
# because it exists to measure bias. Their texts are also removed from training so evaluation stays clean.
EVALUATION_SETS: Final[dict[str, tuple[str, Reader]]] = {
    "wikipedia-identity": ("wikipedia-toxicity-identity-testset", corpora.read_wikipedia_identity),
    "wikipedia-identity-fuzzed": (
        "wikipedia-toxicity-identity-testset",
        lambda folder: corpora.read_wikipedia_identity(folder, fuzzed=True),
    ),
    "sfu-mild-or-worse": ("sfu-constructiveness-toxicity", corpora.read_sfu),
    "sfu-toxic": ("sfu-constructiveness-toxicity", lambda folder: corpora.read_sfu(folder, min_level=3)),
    "ethos": ("ethos-hate-speech", corpora.read_ethos),
}
HELD_OUT_FRACTION: Final = 0.2
# Davidson's 24k tweets are 83% abusive and full of tweet slang; all of them drown the news-like corpora and
# lower quality on news comments (Fox News, SFU) and ETHOS, so a fixed random sample is used.
MAX_ROWS: Final[dict[str, int]] = {"davidson": 4000}


def fingerprint_files(paths: list[Path]) -> str:
    """sha256 over the named files' names and bytes, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _folder_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.is_file() and p.suffix != ".md"]


def load_evaluation_sets(data_dir: Path | None) -> dict[str, list[LabelledRow]]:
    """Evaluation-only sets present under data_dir, each de-duplicated within itself; absent ones are left out."""
    sets = {}
    for name, (folder_name, reader) in EVALUATION_SETS.items():
        folder = data_dir / folder_name if data_dir is not None else None
        if folder is not None and folder.is_dir():
            rows = dedupe(reader(folder))
            if rows:
                sets[name] = rows
    return sets


def load_training_rows(data_dir: Path | None) -> tuple[list[LabelledRow], dict[str, str]]:
    """The seed corpus plus every training corpus present, de-duplicated across all of them, with fingerprints.

    Texts that also occur in an evaluation-only set are dropped here, before any split.
    """
    found = [("seed", [corpora.SEED_PATH], corpora.read_seed())]
    for name, reader in TRAINING_CORPORA.items():
        folder = data_dir / name if data_dir is not None else None
        if folder is not None and folder.is_dir():
            found.append((name, _folder_files(folder), reader(folder)))
    held_apart = frozenset(dedupe_key(row.text) for rows in load_evaluation_sets(data_dir).values() for row in rows)
    rows = _cap_sources(dedupe((row for _, _, rows in found for row in rows), exclude=held_apart))
    kept = Counter(row.source for row in rows)
    fingerprints = {}
    for name, paths, corpus_rows in found:
        source = corpus_rows[0].source if corpus_rows else name
        fingerprints[name] = f"sha256={fingerprint_files(paths)};rows={kept[source]}"
    return rows, fingerprints


def _cap_sources(rows: list[LabelledRow]) -> list[LabelledRow]:
    generator = np.random.default_rng(RANDOM_STATE)
    dropped: set[int] = set()
    for source, limit in MAX_ROWS.items():
        members = [index for index, row in enumerate(rows) if row.source == source]
        if len(members) > limit:
            dropped.update(generator.permutation(members)[limit:].tolist())
    return [row for index, row in enumerate(rows) if index not in dropped]


def split_held_out(rows: list[LabelledRow]) -> tuple[list[LabelledRow], list[LabelledRow]]:
    """Split into (train, held_out) with HELD_OUT_FRACTION of every (source, spam, abuse) stratum held out.

    Deterministic for the same rows in the same order; both parts come back shuffled, because the calibrator's
    cross-validation folds are taken in order and must not line up with corpora.
    """
    strata: dict[tuple[str, int | None, int | None], list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        strata[(row.source, row.spam, row.abuse)].append(index)
    generator = np.random.default_rng(RANDOM_STATE)
    train: list[int] = []
    held_out: list[int] = []
    for members in strata.values():
        shuffled = generator.permutation(members).tolist()
        cut = round(len(shuffled) * HELD_OUT_FRACTION)
        held_out.extend(shuffled[:cut])
        train.extend(shuffled[cut:])
    return (
        [rows[i] for i in generator.permutation(train)],
        [rows[i] for i in generator.permutation(held_out)],
    )
