"""Readers for each corpus folder in the shared data layout; each returns labelled rows and skips what is absent."""

from __future__ import annotations

import csv
import html
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from classifier.rows import LabelledRow

# Jigsaw and SFU comments can exceed csv's default 128 KiB field limit.
csv.field_size_limit(sys.maxsize)

SEED_PATH = Path(__file__).parent / "seed" / "seed_corpus.jsonl"

_TAG = re.compile(r"<[^>]*>")
_MENTION = re.compile(r"@\w+:?")
_RETWEET = re.compile(r"\bRT\b")


def _strip_html(text: str) -> str:
    # YouTube CONTENT keeps <br />, <a href=...> and entities; the anchor text still shows the link.
    return html.unescape(_TAG.sub(" ", text))


def _csv_rows(path: Path, *, delimiter: str = ",") -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle, delimiter=delimiter)


def read_seed(path: Path = SEED_PATH) -> list[LabelledRow]:
    """The hand-written seed corpus shipped with the package."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
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
