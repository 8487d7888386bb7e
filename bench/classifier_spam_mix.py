"""What in the spam head's data mix or recipe costs it on YouTube? Leave-one-domain-out ROC AUC per configuration.

Run: .venv/bin/python bench/classifier_spam_mix.py [CONFIGURATION ...]  (2-5 min per configuration, 2 shared cores)

For each configuration of the spam head (which corpora count as "not spam" and how much, C, class weights,
n-gram recipe, signals, YouTube author names) it prints one JSON line:
- lodo: ROC AUC with each spam domain left out (five YouTube videos, SMS, seed), the folds of
  classifier.crossdomain (uncalibrated refit, training's row weights times the configuration's);
- held_out: ROC AUC on the test rows of the usual hash split, after a calibrated fit on its training rows;
- fp_guard: the hold and reject thresholds chosen by train.choose_thresholds on the validation rows (abuse
  scores from the shipped recipe), and the share of ordinary real comments held by the spam head at that hold:
  Jigsaw non-toxic and Fox News non-hate test rows, and every SFU comment (evaluation only; none is spam).

A spam head that ranks YouTube better but holds more news comments is worse, not better: read both.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import FeatureUnion

from classifier import dataset, features
from classifier.crossdomain import build_folds
from classifier.dataset import load_evaluation_sets, load_training_rows, split_held_out, split_validation
from classifier.pipeline import CHAR_FEATURES, RANDOM_STATE, TOKEN_PATTERN, WORD_FEATURES, build_head_pipeline
from classifier.rows import LabelledRow
from classifier.train import choose_thresholds, fit_heads
from classifier.weights import SEED_WEIGHT

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
SPAM_DOMAINS = ("youtube-eminem", "youtube-katyperry", "youtube-lmfao", "youtube-psy", "youtube-shakira", "sms", "seed")
WORKERS = 2


@dataclass(frozen=True)
class Config:
    """One spam-head variant. source_weight multiplies training weights per source (0 drops the source)."""

    source_weight: dict[str, float] = field(default_factory=dict)
    subsample: dict[str, int] = field(default_factory=dict)  # source -> rows kept (fixed random sample)
    C: float = 4.0
    class_weight: str | None = "balanced"
    words: tuple[int, int] = (1, 2)
    chars: tuple[int, int] = (2, 5)
    char_analyzer: str = "char_wb"
    binary: bool = False
    sublinear: bool = True
    signals: tuple[str, ...] = ("links", "identity", "shape", "numbers")
    youtube_names: bool = True


OUT_OF_DOMAIN = ("jigsaw", "fox-news")
CONFIGS: dict[str, Config] = {
    "before": Config(),  # the recipe before this bench: YouTube rows weigh like Jigsaw rows
    "no-jigsaw-fox": Config(source_weight=dict.fromkeys(OUT_OF_DOMAIN, 0.0)),
    "jigsaw-fox-x0.1": Config(source_weight=dict.fromkeys(OUT_OF_DOMAIN, 0.1)),
    "jigsaw-fox-x0.3": Config(source_weight=dict.fromkeys(OUT_OF_DOMAIN, 0.3)),
    "jigsaw-2k": Config(subsample={"jigsaw": 2000}),
    "youtube-x3": Config(source_weight={"youtube": 3.0}),
    "youtube-x5": Config(source_weight={"youtube": 5.0}),
    "youtube-x5-sms-x2": Config(source_weight={"youtube": 5.0, "sms": 2.0}),
    "no-sms": Config(source_weight={"sms": 0.0}),
    "youtube-only": Config(source_weight={"jigsaw": 0.0, "fox-news": 0.0, "sms": 0.0, "seed": 0.0}),
    "C1": Config(C=1.0),
    "C16": Config(C=16.0),
    "unbalanced": Config(class_weight=None),
    "words1-3": Config(words=(1, 3)),
    "char-cross-word": Config(char_analyzer="char"),
    "chars1-4": Config(chars=(1, 4)),
    "binary": Config(binary=True, sublinear=False),
    "no-signals": Config(signals=()),
    "no-youtube-names": Config(youtube_names=False),
    "youtube-x10": Config(source_weight={"youtube": 10.0}),
    "youtube-x5-C16": Config(source_weight={"youtube": 5.0}, C=16.0),
    "youtube-x5-C1": Config(source_weight={"youtube": 5.0}, C=1.0),
    "youtube-x5-words1-3": Config(source_weight={"youtube": 5.0}, words=(1, 3)),
    "youtube-x5-no-names": Config(source_weight={"youtube": 5.0}, youtube_names=False),
    "youtube-x5-unbalanced": Config(source_weight={"youtube": 5.0}, class_weight=None),
    "youtube-x5-char-cross-word": Config(source_weight={"youtube": 5.0}, char_analyzer="char"),
}


def features_for(config: Config) -> FeatureUnion:
    return FeatureUnion(
        [
            (
                "words",
                HashingVectorizer(
                    analyzer="word", ngram_range=config.words, token_pattern=TOKEN_PATTERN, n_features=WORD_FEATURES,
                    lowercase=False, alternate_sign=False, norm=None, binary=config.binary,
                ),
            ),
            (
                "chars",
                HashingVectorizer(
                    analyzer=config.char_analyzer, ngram_range=config.chars, n_features=CHAR_FEATURES,
                    lowercase=False, alternate_sign=False, norm=None, binary=config.binary,
                ),
            ),
        ]
    )  # fmt: skip


class Harness:
    """Rows, texts and hashed matrices loaded once; matrices cached per text and n-gram recipe."""

    def __init__(self, rows: list[LabelledRow], say: Callable[[str], None]) -> None:
        self.say = say
        self.rows = rows
        train, held_out = split_held_out(rows)
        self.validation, self.test = split_validation(held_out)
        self.train = train
        self.sfu = load_evaluation_sets(DATA_DIR).get("sfu-mild-or-worse", [])
        self._matrices: dict[tuple[Any, ...], sp.csr_matrix] = {}
        self._abuse_validation: NDArray[np.float64] | None = None

    @property
    def abuse_validation(self) -> NDArray[np.float64]:
        """The shipped abuse head's validation scores: choose_thresholds weighs both heads against the budget."""
        if self._abuse_validation is None:
            abuse = fit_heads(self.train)["abuse"]
            self._abuse_validation = abuse.predict_proba([row.model_text() for row in self.validation])[:, 1]
        return self._abuse_validation

    def matrix(self, config: Config, rows: list[LabelledRow], part: str) -> sp.csr_matrix:
        key = (part, config.words, config.chars, config.char_analyzer, config.binary, config.signals,
               config.youtube_names)  # fmt: skip
        if key not in self._matrices:
            everything = dict(features.SIGNALS)
            features.SIGNALS.clear()
            features.SIGNALS.update({name: everything[name] for name in config.signals})
            try:
                texts = [self._row(config, row).model_text() for row in rows]
            finally:
                features.SIGNALS.clear()
                features.SIGNALS.update(everything)
            self._matrices[key] = sp.csr_matrix(features_for(config).fit_transform(texts))
        return self._matrices[key]

    @staticmethod
    def _row(config: Config, row: LabelledRow) -> LabelledRow:
        return row if config.youtube_names or row.source != "youtube" else replace(row, name="")

    def weights(self, config: Config, rows: list[LabelledRow]) -> NDArray[np.float64]:
        # The weights before this bench: seed rows x SEED_WEIGHT, every other corpus x1. A configuration's
        # source_weight multiplies these (the shipped recipe is "youtube-x5").
        base = np.array([row.weight * (SEED_WEIGHT if row.source == "seed" else 1.0) for row in rows])
        scale = np.array([config.source_weight.get(row.source, 1.0) for row in rows])
        keep = np.ones(len(rows), dtype=bool)
        generator = np.random.default_rng(RANDOM_STATE)
        for source, limit in config.subsample.items():
            members = np.flatnonzero([row.source == source for row in rows])
            if len(members) > limit:
                keep[generator.permutation(members)[limit:]] = False
        return np.where(keep, base * scale, 0.0)

    def regression(self, config: Config) -> LogisticRegression:
        regression = build_head_pipeline().named_steps["classifier"].estimator
        return regression.set_params(C=config.C, class_weight=config.class_weight)

    def lodo(self, config: Config) -> dict[str, float]:
        hashed = self.matrix(config, self.rows, "all")
        weights = self.weights(config, self.rows)
        folds = [f for f in build_folds(self.rows) if f.head == "spam" and f.name.removeprefix("lodo/") in SPAM_DOMAINS]

        def run(fold: Any) -> tuple[str, float]:
            train = fold.train & (weights > 0)
            labels = np.array([self.rows[i].spam for i in np.flatnonzero(train)], dtype=np.int64)
            tfidf = TfidfTransformer(sublinear_tf=config.sublinear).fit(hashed[train])
            model = self.regression(config).fit(tfidf.transform(hashed[train]), labels, sample_weight=weights[train])
            scores = model.decision_function(tfidf.transform(hashed[fold.test]))
            truth = [self.rows[i].spam for i in np.flatnonzero(fold.test)]
            return fold.name.removeprefix("lodo/"), round(float(roc_auc_score(truth, scores)), 4)

        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            return dict(pool.map(run, folds))

    def held_out(self, config: Config) -> dict[str, Any]:
        hashed = self.matrix(config, self.train, "train")
        weights = self.weights(config, self.train)
        labelled = np.array([row.spam is not None for row in self.train]) & (weights > 0)
        labels = np.array([self.train[i].spam for i in np.flatnonzero(labelled)], dtype=np.int64)
        tfidf = TfidfTransformer(sublinear_tf=config.sublinear).fit(hashed[labelled])
        model = CalibratedClassifierCV(self.regression(config), method="sigmoid", cv=3, ensemble=False)
        model.fit(tfidf.transform(hashed[labelled]), labels, sample_weight=weights[labelled])

        def score(rows: list[LabelledRow], part: str) -> NDArray[np.float64]:
            return np.asarray(model.predict_proba(tfidf.transform(self.matrix(config, rows, part)))[:, 1])

        thresholds, _ = choose_thresholds(
            self.validation, {"spam": score(self.validation, "validation"), "abuse": self.abuse_validation}
        )
        test_scores = score(self.test, "test")
        result: dict[str, Any] = {"held_out": {}, "fp_guard": {"hold": thresholds.spam_hold}}
        for name, source in (("all", None), ("youtube", "youtube"), ("sms", "sms"), ("seed", "seed")):
            picked = [i for i, r in enumerate(self.test) if r.spam is not None and source in (None, r.source)]
            truth = [self.test[i].spam for i in picked]
            result["held_out"][name] = round(float(roc_auc_score(truth, test_scores[picked])), 4)
        for name, source in (("jigsaw", "jigsaw"), ("fox", "fox-news")):
            picked = [i for i, r in enumerate(self.test) if r.source == source and r.abuse == 0]
            result["fp_guard"][name] = round(float(np.mean(test_scores[picked] >= thresholds.spam_hold)), 4)
        sfu_scores = score(self.sfu, "sfu")
        result["fp_guard"]["sfu"] = round(float(np.mean(sfu_scores >= thresholds.spam_hold)), 4)
        result["fp_guard"]["reject"] = thresholds.spam_reject
        return result


ABUSE_CONFIGS: dict[str, Config] = {
    "abuse-shipped": Config(),
    "abuse-davidson-all": Config(),  # run with every Davidson row (MAX_ROWS lifted), see main()
    "abuse-davidson-x0.3": Config(source_weight={"davidson": 0.3}),
    "abuse-jigsaw-x0.3": Config(source_weight={"jigsaw": 0.3}),
    "abuse-seed-x3": Config(source_weight={"seed": 3.0}),
    "abuse-C1": Config(C=1.0),
    "abuse-C0.25": Config(C=0.25),
    "abuse-words1-3": Config(words=(1, 3)),
    "abuse-no-signals": Config(signals=()),
}


def abuse_figures(harness: Harness, config: Config) -> dict[str, float]:
    """Abuse ROC AUC: Fox News left out, Fox threads pooled over 3 grouped folds, and the evaluation-only sets
    scored by a fit on the training split (uncalibrated: ranking only)."""
    rows = harness.rows
    hashed = harness.matrix(config, rows, "all")
    weights = harness.weights(config, rows)
    folds = [
        f for f in build_folds(rows)
        if f.head == "abuse" and (f.name == "lodo/fox-news" or f.name.startswith("fox-threads/"))
    ]  # fmt: skip

    def fit(
        mask: NDArray[np.bool_], matrix: sp.csr_matrix, labels_of: list[LabelledRow], weight: NDArray[np.float64]
    ) -> Callable[[sp.csr_matrix], NDArray[np.float64]]:
        train = mask & (weight > 0)
        labels = np.array([labels_of[i].abuse for i in np.flatnonzero(train)], dtype=np.int64)
        tfidf = TfidfTransformer(sublinear_tf=config.sublinear).fit(matrix[train])
        model = harness.regression(config).fit(tfidf.transform(matrix[train]), labels, sample_weight=weight[train])
        return lambda m: np.asarray(model.decision_function(tfidf.transform(m)), dtype=np.float64)

    def run(fold: Any) -> tuple[str, NDArray[np.float64], NDArray[np.int64]]:
        scores = fit(fold.train, hashed, rows, weights)(hashed[fold.test])
        return fold.name, scores, np.array([rows[i].abuse for i in np.flatnonzero(fold.test)])

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(run, folds))
    figures = {name: round(float(roc_auc_score(truth, s)), 4) for name, s, truth in results if name == "lodo/fox-news"}
    threads = [(s, truth) for name, s, truth in results if name.startswith("fox-threads/")]
    figures["fox-threads"] = round(
        float(roc_auc_score(np.concatenate([t for _, t in threads]), np.concatenate([s for s, _ in threads]))), 4
    )
    train = harness.train
    train_matrix = harness.matrix(config, train, "train")
    labelled = np.array([row.abuse is not None for row in train])
    score = fit(labelled, train_matrix, train, harness.weights(config, train))
    for name, eval_rows in load_evaluation_sets(DATA_DIR).items():
        if name in ("sfu-mild-or-worse", "sfu-toxic", "ethos"):
            truth = [row.abuse for row in eval_rows]
            figures[name] = round(float(roc_auc_score(truth, score(harness.matrix(config, eval_rows, name)))), 4)
    picked = [i for i, row in enumerate(harness.test) if row.abuse is not None]
    test_scores = score(harness.matrix(config, [harness.test[i] for i in picked], "test-abuse"))
    figures["held_out"] = round(float(roc_auc_score([harness.test[i].abuse for i in picked], test_scores)), 4)
    return figures


def main() -> None:
    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    names = sys.argv[1:] or list(CONFIGS)
    if "abuse-davidson-all" in names:
        dataset.MAX_ROWS.pop("davidson", None)
    harness = Harness(load_training_rows(DATA_DIR)[0], say)
    for name in names:
        if name in ABUSE_CONFIGS:
            print(name, json.dumps(abuse_figures(harness, ABUSE_CONFIGS[name])), flush=True)
            continue
        config = CONFIGS[name]
        result = {"lodo": harness.lodo(config)} | harness.held_out(config)
        print(name, json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
