"""Readers for each corpus folder in the shared data layout; each returns labelled rows and skips what is absent."""

from __future__ import annotations

import csv
import html
import json
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from classifier.rows import LabelledRow

# Jigsaw and SFU comments can exceed csv's default 128 KiB field limit.
csv.field_size_limit(sys.maxsize)

SEED_PATH = Path(__file__).parent / "seed" / "seed_corpus.jsonl"
# Ordinary, spam and abusive replies in Ukrainian, written for this project (no corpus of Ukrainian comments is in
# the shared data), so the service starts with something in the language of the readers it was built for.
UKRAINIAN_SEED_PATH = Path(__file__).parent / "seed" / "seed_uk.jsonl"
SEED_PATHS = (SEED_PATH, UKRAINIAN_SEED_PATH)

_TAG = re.compile(r"<[^>]*>")
_MENTION = re.compile(r"@\w+:?")
_RETWEET = re.compile(r"\bRT\b")


def _strip_html(text: str) -> str:
    # YouTube CONTENT keeps <br />, <a href=...> and entities; the anchor text still shows the link.
    return html.unescape(_TAG.sub(" ", text))


def _csv_rows(path: Path, *, delimiter: str = ",") -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle, delimiter=delimiter)


def read_seed(paths: Sequence[Path] = SEED_PATHS) -> list[LabelledRow]:
    """The hand-written seed corpus shipped with the package: the English seed, then the Ukrainian one."""
    rows = []
    lines = [line for path in paths for line in path.read_text(encoding="utf-8").splitlines()]
    for line in lines:
        if line.strip():
            item = json.loads(line)
            rows.append(
                LabelledRow(
                    text=item["body"], name=item.get("name", ""), website=item.get("website"),
                    spam=int(item["spam"]), abuse=int(item["abuse"]), source="seed", group="seed",
                )
            )  # fmt: skip
    return rows


def read_youtube(folder: Path) -> list[LabelledRow]:
    """YouTube comment spam; CONTENT and AUTHOR only, because DATE and COMMENT_ID leak the label."""
    rows = []
    for path in sorted(folder.glob("Youtube*.csv")):
        video = path.stem.split("-", 1)[-1].lower()
        for record in _csv_rows(path):
            rows.append(
                LabelledRow(
                    text=_strip_html(record["CONTENT"]), name=record["AUTHOR"], spam=int(record["CLASS"]),
                    abuse=None, source="youtube", group=f"youtube-{video}",
                )
            )  # fmt: skip
    return rows


def read_sms(folder: Path) -> list[LabelledRow]:
    """SMS spam: `label<TAB>text` lines without a header; duplicates are removed later with everything else."""
    path = folder / "SMSSpamCollection"
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        label, _, text = line.partition("\t")
        if text:
            rows.append(LabelledRow(text=text, spam=int(label == "spam"), abuse=None, source="sms", group="sms"))
    return rows


def read_jigsaw(folder: Path) -> list[LabelledRow]:
    """Wikipedia talk comments with the Jigsaw `toxic` label.

    Talk-page comments are taken as not spam: they are a clean sample of long, argumentative prose that the
    spam head otherwise never sees among its negatives.
    """
    rows = []
    for path in sorted(folder.glob("text_comment_*.csv")):
        for record in _csv_rows(path):
            abuse = int(record["labels"])
            rows.append(LabelledRow(text=record["comment_text"], spam=0, abuse=abuse, source="jigsaw", group="jigsaw"))
    return rows


def read_davidson(folder: Path) -> list[LabelledRow]:
    """Tweets; hate (0) and offensive (1) both count as abuse. Mentions and "RT" are dropped as tweet noise."""
    path = folder / "labeled_data.csv"
    if not path.is_file():
        return []
    rows = []
    for record in _csv_rows(path):
        text = _RETWEET.sub(" ", _MENTION.sub(" ", html.unescape(record["tweet"])))
        rows.append(
            LabelledRow(
                text=text, spam=None, abuse=int(record["class"] in {"0", "1"}), source="davidson", group="davidson"
            )
        )
    return rows


def read_fox_news(folder: Path) -> list[LabelledRow]:
    """Fox News comments (JSON lines), grouped by article so splits can keep threads apart; taken as not spam."""
    path = folder / "fox-news-comments.json"
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            rows.append(
                LabelledRow(
                    text=item["text"], spam=0, abuse=int(item["label"]), source="fox-news",
                    group=f"fox-news-{item['title']}",
                )
            )  # fmt: skip
    return rows


def read_wikipedia_identity(folder: Path, *, fuzzed: bool = False) -> list[LabelledRow]:
    """Dixon et al. identity-term test set (evaluation only); the fuzzed copy swaps identity terms."""
    path = folder / ("toxicity_fuzzed_testset.csv" if fuzzed else "toxicity_nonfuzzed_testset.csv")
    if not path.is_file():
        return []
    source = "wikipedia-identity-fuzzed" if fuzzed else "wikipedia-identity"
    return [
        LabelledRow(text=r["comment"], abuse=int(r["toxic"] == "True"), source=source, group=source)
        for r in _csv_rows(path)
    ]


def read_sfu(folder: Path, *, min_level: int = 2) -> list[LabelledRow]:
    """SFU Globe and Mail comments (evaluation only: CC BY-NC-SA); toxic when the popular level >= min_level."""
    path = folder / "SFU_constructiveness_toxicity.csv"
    if not path.is_file():
        return []
    return [
        LabelledRow(
            text=r["comment"],
            abuse=int(int(r["is_toxic_popular_answer_1"]) >= min_level),
            source="sfu",
            group=f"sfu-{r.get('url') or r.get('globe_url') or 'unknown article'}",
        )
        for r in _csv_rows(path)
        if r["is_toxic_popular_answer_1"].strip().isdigit()
    ]


def read_ethos(folder: Path) -> list[LabelledRow]:
    """ETHOS binary hate labels (evaluation only: GPLv3); semicolon-separated, hate when isHate >= 0.5."""
    path = folder / "Ethos_Dataset_Binary.csv"
    if not path.is_file():
        return []
    return [
        LabelledRow(text=r["comment"], abuse=int(float(r["isHate"]) >= 0.5), source="ethos", group="ethos")
        for r in _csv_rows(path, delimiter=";")
    ]


def read_civil_comments(folder: Path) -> list[LabelledRow]:
    """Civil Comments posts (the Toxic Spans subset, CC0), toxic when at most half of a post's raters ticked
    `not toxic`.

    Every post here was already rated toxic by Civil Comments' own raters, so the "not toxic" side is
    toxic-looking but acceptable: the corpus teaches where the line is, not what an ordinary reply looks like.
    Posts carry no article, so each is its own group. They teach the abuse head only: a sample chosen for looking
    toxic says nothing about how ordinary replies differ from spam.
    """
    comments, annotations = folder / "comments.csv", folder / "annotations.csv"
    if not comments.is_file() or not annotations.is_file():
        return []
    raters: dict[str, list[bool]] = {}
    for record in _csv_rows(annotations):
        raters.setdefault(record["comment_id"], []).append(record["not toxic"] == "True")
    rows = []
    for record in _csv_rows(comments):
        votes = raters.get(record["comment_id"])
        if votes:
            rows.append(
                LabelledRow(
                    text=record["comment_text"], spam=None, abuse=int(sum(votes) * 2 <= len(votes)),
                    source="civil-comments", group=f"civil-comments-{record['comment_id']}",
                )
            )  # fmt: skip
    return rows


def read_unhealthy_conversations(folder: Path) -> list[LabelledRow]:
    """Globe and Mail comments (evaluation only: CC BY-NC-SA), abuse-like when `hostile` or `antagonize`.

    These are subtler than insults: what a news moderator would hold. Comments carry no article, so each is
    its own group.
    """
    rows: list[LabelledRow] = []
    for path in (folder / "val.csv", folder / "test.csv"):
        if path.is_file():
            rows.extend(
                LabelledRow(
                    text=r["comment"], abuse=int(r["hostile"] == "1" or r["antagonize"] == "1"),
                    source="unhealthy-conversations", group=f"unhealthy-{r['_unit_id']}",
                )
                for r in _csv_rows(path)
            )  # fmt: skip
    return rows


MLMA_TRAINED_LANGUAGES = ("fr", "ar")
# GermEval marks a tweet's line breaks with "|LBR|".
_LINE_BREAK_MARK = re.compile(r"\|LBR\|")
# VKontakte addresses a reply as "[id123|Name]" (or "[club123|Name]"): a name the commenter did not type.
_VK_MENTION = re.compile(r"\[(?:id|club|public)\d+\|[^\]]*\],?")
# The label Russian law makes a "foreign agent" publication print; VK copies it into some comments. It is the
# publication's words, not the commenter's, and would teach the model that it marks a comment section.
_FOREIGN_AGENT_BANNER = re.compile(
    r"данное\s+сообщение\s*\(материал\).*?иностранного\s+агента"
    r"(?:,\s*и\s*\(или\)\s*российским\s+юридическим\s+лицом,\s*выполняющим\s+функции\s+иностранного\s+агента)?"
    r"\.?[\s,]*",
    re.IGNORECASE | re.DOTALL,
)
# MLMA replaced every handle and link with these placeholders; "rt" marks a retweet.
_MLMA_NOISE = re.compile(r"@user\b|@url\b|\brt\b", re.IGNORECASE)
# GermEval's official parts: the test part is held out whole (dataset.FIXED_SPLIT_GROUPS).
GERMEVAL_TRAIN_GROUP = "germeval-train"
GERMEVAL_TEST_GROUP = "germeval-test"


def _tidy(text: str) -> str:
    return " ".join(text.split())


def read_germeval(folder: Path) -> list[LabelledRow]:
    """GermEval 2018 German tweets (CC BY 4.0), OFFENSE as abuse; mentions and line-break marks dropped.

    Each row's group names its official part, so the official test part can be held out whole; no spam label.
    """
    rows = []
    for part, group in (("training", GERMEVAL_TRAIN_GROUP), ("test", GERMEVAL_TEST_GROUP)):
        path = folder / f"germeval2018.{part}.txt"
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            fields = line.split("\t")
            if len(fields) >= 2:
                text = _tidy(_MENTION.sub(" ", _LINE_BREAK_MARK.sub(" ", fields[0])))
                rows.append(
                    LabelledRow(text=text, spam=None, abuse=int(fields[1] == "OFFENSE"), source="germeval", group=group)
                )
    return rows


def read_russian_news(folder: Path) -> list[LabelledRow]:
    """Comments under three Russian news publics on VK (MIT), toxicity as abuse, grouped by public; no spam label.

    The text is the comment as written (`comments`, disguised spellings included: the normaliser and the model
    must meet them as written), without VK's "[id123|Name]" address and the "foreign agent" banner.
    """
    path = folder / "russian_distorted_toxicity.tsv"
    if not path.is_file():
        return []
    rows = []
    for record in _csv_rows(path, delimiter="\t"):
        text = _tidy(_FOREIGN_AGENT_BANNER.sub(" ", _VK_MENTION.sub(" ", record["comments"]))).strip(" ,")
        rows.append(
            LabelledRow(
                text=text, spam=None, abuse=int(record["toxicity"] == "1"), source="russian-news",
                group=f"russian-news-{record['source']}",
            )
        )  # fmt: skip
    return rows


def read_mlma(folder: Path, *, languages: Sequence[str] = MLMA_TRAINED_LANGUAGES) -> list[LabelledRow]:
    """MLMA tweets in French and Arabic (MIT; English too when asked): hostile (abuse) unless the sentiment is
    `normal` alone.

    Collected with hostile keywords, so even its "normal" tweets are about the same targets: each language is its
    own source ("mlma-fr", "mlma-ar", "mlma-en") so its effect can be measured apart; no spam label. The English
    part is not read for training: it lowered Jigsaw's held-out abuse ROC AUC by 0.006 and Civil Comments' by 0.002
    for no English gain (bench/classifier_languages.py, docs/model.md).
    """
    rows = []
    for language in languages:
        path = folder / f"{language}_dataset.csv"
        if not path.is_file():
            continue
        for record in _csv_rows(path):
            text = _tidy(_MLMA_NOISE.sub(" ", html.unescape(record["tweet"])))
            rows.append(
                LabelledRow(
                    text=text, spam=None, abuse=int(record["sentiment"].strip() != "normal"),
                    source=f"mlma-{language}", group=f"mlma-{language}",
                )
            )  # fmt: skip
    return rows
