"""Tiny corpora in each real folder's file format, generated from templates (no real corpus rows)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

HAM = "thanks for the report about the {} market, very clear"
SPAM = "win cash now at http://prize{}.example.xyz claim your free gift"
NICE = "I think the {} plan deserves a fair hearing"
RUDE = "you stupid idiot number {}, shut up"


def _write_csv(path: Path, header: list[str], rows: list[list[object]], *, delimiter: str = ",") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)


def write_fake_corpora(root: Path, *, per_class: int = 12) -> Path:
    """Write every corpus folder under root and return root. Texts repeat on purpose to exercise de-duplication."""
    n = per_class
    for video in ("Youtube01-Alpha", "Youtube02-Beta"):
        _write_csv(
            root / "youtube-spam-collection" / f"{video}.csv",
            ["COMMENT_ID", "AUTHOR", "DATE", "CONTENT", "CLASS"],
            [[f"h{i}", "Viewer", "2014-01-01", HAM.format(f"{video} {i}") + "<br />&#39;ok&#39;", 0] for i in range(n)]
            + [[f"s{i}", "Promo", "", SPAM.format(f"{video}{i}"), 1] for i in range(n)],
        )
    sms = [f"ham\t{HAM.format(f'sms {i}')}" for i in range(per_class)]
    sms += [f"spam\t{SPAM.format(f'sms{i}')}" for i in range(per_class)]
    sms += [sms[0], sms[-1]]  # exact duplicates, as in the real file
    (root / "sms-spam-collection").mkdir(parents=True)
    (root / "sms-spam-collection" / "SMSSpamCollection").write_text("\n".join(sms) + "\n", encoding="utf-8")
    _write_csv(
        root / "jigsaw-toxic-comment-sample" / "text_comment_1.csv",
        ["comment_text", "labels"],
        [[NICE.format(f"jigsaw {i}") + "\nsecond line", 0] for i in range(per_class)]
        + [[RUDE.format(f"j{i}"), 1] for i in range(per_class)],
    )
    _write_csv(
        root / "davidson-hate-offensive" / "labeled_data.csv",
        ["", "count", "hate_speech", "offensive_language", "neither", "class", "tweet"],
        [[i, 3, 0, 0, 3, 2, f"RT @someone: {NICE.format(f'tweet {i}')} &amp; more"] for i in range(per_class)]
        + [[i, 3, 0, 3, 0, 1, RUDE.format(f"t{i}")] for i in range(per_class)],
    )
    fox = [{"title": f"Article {i % 3}", "text": NICE.format(f"fox {i}"), "label": 0} for i in range(per_class)]
    fox += [{"title": f"Article {i % 3}", "text": RUDE.format(f"f{i}"), "label": 1} for i in range(per_class)]
    (root / "fox-news-hate-comments").mkdir(parents=True)
    (root / "fox-news-hate-comments" / "fox-news-comments.json").write_text(
        "\n".join(json.dumps(item) for item in fox) + "\n", encoding="utf-8"
    )
    wiki = [[i, NICE.format(f"wiki {i}"), "False"] for i in range(per_class)]
    wiki += [[100 + i, RUDE.format(f"w{i}"), "True"] for i in range(per_class)]
    wiki.append([999, NICE.format("jigsaw 0") + "\nsecond line", "False"])  # also in the Jigsaw sample
    for name in ("toxicity_nonfuzzed_testset.csv", "toxicity_fuzzed_testset.csv"):
        _write_csv(root / "wikipedia-toxicity-identity-testset" / name, ["rev_id", "comment", "toxic"], wiki)
    _write_csv(
        root / "sfu-constructiveness-toxicity" / "SFU_constructiveness_toxicity.csv",
        ["comment", "is_toxic_popular_answer_1", "url"],
        [[NICE.format(f"sfu {i}"), 1, f"article-{i % 3}"] for i in range(n)]
        + [[RUDE.format(f"s{i}"), 2 + i % 3, f"article-{i % 3}"] for i in range(n)],
    )
    civil = [[1000 + i, NICE.format(f"civil {i}")] for i in range(n)] + [
        [2000 + i, RUDE.format(f"c{i}")] for i in range(n)
    ]
    _write_csv(root / "civil-comments-toxic-spans" / "comments.csv", ["comment_id", "comment_text"], civil)
    # Three raters per post: two tick "not toxic" on the nice ones (acceptable), one on the rude ones (toxic).
    _write_csv(
        root / "civil-comments-toxic-spans" / "annotations.csv",
        ["annotation", "comment_id", "worker", "country", "all toxic", "not toxic"],
        [
            [3 * index + rater, post, rater, "USA", "False", str(rater < (2 if index < n else 1))]
            for index, (post, _) in enumerate(civil)
            for rater in range(3)
        ],
    )
    header = ["_unit_id", "comment", "antagonize", "hostile", "healthy"]
    _write_csv(
        root / "unhealthy-conversations" / "val.csv",
        header,
        [[3000 + i, NICE.format(f"globe {i}"), 0, 0, 1] for i in range(n)]
        + [[4000 + i, RUDE.format(f"g{i}"), i % 2, 1 - i % 2, 0] for i in range(n)],
    )
    _write_csv(
        root / "ethos-hate-speech" / "Ethos_Dataset_Binary.csv",
        ["comment", "isHate"],
        [[NICE.format(f"ethos {i}"), 0.0] for i in range(n)] + [[RUDE.format(f"e{i}"), 0.8] for i in range(n)],
        delimiter=";",
    )
    germeval = root / "germeval-2018-offensive-de"
    germeval.mkdir(parents=True)
    for part in ("training", "test"):
        lines = [f"@nutzer{i} Ich finde den Plan {part} {i} vernünftig |LBR| wirklich\tOTHER\tOTHER" for i in range(n)]
        lines += [f"@nutzer{i} Du bist ein Idiot {part} {i}\tOFFENSE\tINSULT" for i in range(n)]
        (germeval / f"germeval2018.{part}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    banner = (
        "ДАННОЕ СООБЩЕНИЕ (МАТЕРИАЛ) СОЗДАНО И (ИЛИ) РАСПРОСТРАНЕНО ИНОСТРАННЫМ СРЕДСТВОМ МАССОВОЙ ИНФОРМАЦИИ, "
        "ВЫПОЛНЯЮЩИМ ФУНКЦИИ ИНОСТРАННОГО АГЕНТА, И (ИЛИ) РОССИЙСКИМ ЮРИДИЧЕСКИМ ЛИЦОМ, ВЫПОЛНЯЮЩИМ ФУНКЦИИ "
        "ИНОСТРАННОГО АГЕНТА."
    )
    russian: list[list[object]] = [
        [i, ("медуза", "дождь")[i % 2], f"[id{i}|Иван], спасибо за новость номер {i}{banner}", 0, 0, ""]
        for i in range(n)
    ]
    _write_csv(
        root / "russian-news-comments-toxicity" / "russian_distorted_toxicity.tsv",
        ["comment_id", "source", "comments", "distortion", "toxicity", "corrected"],
        russian + [[100 + i, "лентач", f"ты идиот номер {i}", 0, 1, ""] for i in range(n)],
        delimiter="\t",
    )
    header = ["HITId", "tweet", "sentiment", "directness", "annotator_sentiment", "target", "group"]
    for language in ("fr", "en", "ar"):
        _write_csv(
            root / "mlma-hate-speech-multilingual" / f"{language}_dataset.csv",
            header,
            [
                [i, f"@user je trouve ce plan {language} {i} correct @url", "normal", "indirect", "", "", ""]
                for i in range(n)
            ]
            + [
                [100 + i, f"rt @user espèce d'idiot {language} {i}", "offensive_hateful", "direct", "", "", ""]
                for i in range(n)
            ],
        )
    return root
