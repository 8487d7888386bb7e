"""Corpora load into one row shape, skip what is missing, de-duplicate across sets, and split reproducibly."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from classifier import corpora
from classifier.dataset import load_evaluation_sets, load_training_rows, split_held_out, split_validation
from classifier.rows import LabelledRow, dedupe, dedupe_key
from tests.classifier.fake_corpora import write_fake_corpora


def test_every_training_and_evaluation_corpus_is_read_from_its_own_format(tmp_path: Path) -> None:
    root = write_fake_corpora(tmp_path)
    assert len(corpora.read_youtube(root / "youtube-spam-collection")) == 48
    assert len(corpora.read_sms(root / "sms-spam-collection")) == 26
    assert len(corpora.read_jigsaw(root / "jigsaw-toxic-comment-sample")) == 24
    assert len(corpora.read_davidson(root / "davidson-hate-offensive")) == 24
    assert len(corpora.read_fox_news(root / "fox-news-hate-comments")) == 24
    assert len(corpora.read_germeval(root / "germeval-2018-offensive-de")) == 48
    assert len(corpora.read_russian_news(root / "russian-news-comments-toxicity")) == 24
    assert len(corpora.read_mlma(root / "mlma-hate-speech-multilingual")) == 48
    assert len(corpora.read_ethos(root / "ethos-hate-speech")) == 24
    sfu = corpora.read_sfu(root / "sfu-constructiveness-toxicity")
    assert sum(row.abuse or 0 for row in sfu) == 12
    assert sum(row.abuse or 0 for row in corpora.read_sfu(root / "sfu-constructiveness-toxicity", min_level=3)) == 8


def test_youtube_keeps_content_and_author_only_with_html_stripped(tmp_path: Path) -> None:
    rows = corpora.read_youtube(write_fake_corpora(tmp_path) / "youtube-spam-collection")
    ham = rows[0]
    assert "<br" not in ham.text and "&#39;" not in ham.text and "'ok'" in ham.text
    assert ham.name == "Viewer" and ham.spam == 0 and ham.abuse is None
    assert {row.group for row in rows} == {"youtube-alpha", "youtube-beta"}


def test_davidson_maps_hate_and_offensive_to_abuse_and_drops_retweet_noise(tmp_path: Path) -> None:
    rows = corpora.read_davidson(write_fake_corpora(tmp_path) / "davidson-hate-offensive")
    assert Counter(row.abuse for row in rows) == {0: 12, 1: 12}
    assert all(row.spam is None for row in rows)
    assert "@someone" not in rows[0].text and "RT" not in rows[0].text and "&" in rows[0].text


def test_missing_folders_are_skipped_and_the_seed_alone_remains(tmp_path: Path) -> None:
    rows, fingerprints = load_training_rows(tmp_path / "absent")
    assert {row.source for row in rows} == {"seed"}
    assert set(fingerprints) == {"seed"}
    assert load_evaluation_sets(None) == {}
    assert corpora.read_sms(tmp_path) == [] and corpora.read_ethos(tmp_path) == []


def test_training_rows_are_unique_after_normalisation_and_exclude_evaluation_texts(tmp_path: Path) -> None:
    root = write_fake_corpora(tmp_path)
    rows, fingerprints = load_training_rows(root)
    keys = [dedupe_key(row.text) for row in rows]
    assert len(keys) == len(set(keys))
    evaluation = {dedupe_key(row.text) for rows in load_evaluation_sets(root).values() for row in rows}
    assert not evaluation & set(keys)
    assert Counter(row.source for row in rows)["sms"] == 24  # two exact duplicates removed
    assert Counter(row.source for row in rows)["jigsaw"] == 23  # one text held apart for the Wikipedia set
    assert fingerprints["sms-spam-collection"].endswith(";rows=24")
    assert not {row.source for row in rows} & {"sfu", "ethos", "wikipedia-identity"}


def test_dedupe_treats_disguised_copies_as_the_same_text_and_keeps_the_first() -> None:
    first = LabelledRow("Free  CASINO bonus", spam=1, source="a")
    rows = [first, LabelledRow("free casino\u200b bonus", spam=0, source="b"), LabelledRow("   ", source="c")]
    assert dedupe(rows) == [first]


def test_split_is_reproducible_disjoint_and_holds_out_about_a_fifth(tmp_path: Path) -> None:
    rows, _ = load_training_rows(write_fake_corpora(tmp_path, per_class=60))
    train, held_out = split_held_out(rows)
    assert (train, held_out) == split_held_out(rows)
    assert len(train) + len(held_out) == len(rows)
    assert not {id(row) for row in train} & {id(row) for row in held_out}
    assert 0.15 < len(held_out) / len(rows) < 0.25


def test_a_row_stays_on_its_side_of_the_split_when_other_rows_are_added(tmp_path: Path) -> None:
    rows, _ = load_training_rows(write_fake_corpora(tmp_path))
    _, held_out = split_held_out(rows)
    more = [LabelledRow(f"another reply about topic {i}", spam=0, abuse=0, source="moderators") for i in range(50)]
    _, held_out_later = split_held_out(more + rows)
    assert {row.text for row in held_out} == {row.text for row in held_out_later if row.source != "moderators"}


def test_validation_and_test_parts_partition_the_held_out_rows(tmp_path: Path) -> None:
    rows, _ = load_training_rows(write_fake_corpora(tmp_path, per_class=60))
    _, held_out = split_held_out(rows)
    validation, test = split_validation(held_out)
    assert len(validation) + len(test) == len(held_out)
    assert validation and test
    assert not {row.text for row in validation} & {row.text for row in test}


def test_extra_rows_win_over_corpus_copies_and_are_fingerprinted(tmp_path: Path) -> None:
    root = write_fake_corpora(tmp_path)
    corpus_row = corpora.read_sms(root / "sms-spam-collection")[0]
    relabelled = LabelledRow(corpus_row.text.upper(), spam=1, abuse=None, source="moderators", weight=2.0)
    rows, fingerprints = load_training_rows(root, extra_rows=[relabelled])
    assert relabelled in rows
    assert not [row for row in rows if row.text == corpus_row.text]
    assert fingerprints["extra"].endswith(";rows=1")


def test_germeval_drops_mentions_and_line_marks_and_keeps_its_official_parts(tmp_path: Path) -> None:
    rows = corpora.read_germeval(write_fake_corpora(tmp_path) / "germeval-2018-offensive-de")
    assert len(rows) == 48 and sum(row.abuse or 0 for row in rows) == 24
    assert all(row.spam is None for row in rows)
    assert not any("@" in row.text or "|LBR|" in row.text for row in rows)
    assert rows[0].text == "Ich finde den Plan training 0 vernünftig wirklich"
    assert {row.group for row in rows} == {corpora.GERMEVAL_TRAIN_GROUP, corpora.GERMEVAL_TEST_GROUP}


def test_germeval_official_test_part_is_held_out_whole_and_its_training_part_never(tmp_path: Path) -> None:
    rows, _ = load_training_rows(write_fake_corpora(tmp_path, per_class=60))
    train, held_out = split_held_out(rows)
    assert {row.group for row in train if row.source == "germeval"} == {corpora.GERMEVAL_TRAIN_GROUP}
    assert {row.group for row in held_out if row.source == "germeval"} == {corpora.GERMEVAL_TEST_GROUP}
    validation, test = split_validation(held_out)
    assert any(row.source == "germeval" for row in validation) and any(row.source == "germeval" for row in test)


def test_russian_news_drops_vk_addresses_and_the_foreign_agent_banner(tmp_path: Path) -> None:
    rows = corpora.read_russian_news(write_fake_corpora(tmp_path) / "russian-news-comments-toxicity")
    assert rows[0].text == "спасибо за новость номер 0"
    assert not any("[id" in row.text or "агент" in row.text.lower() for row in rows)
    assert {row.group for row in rows} == {"russian-news-медуза", "russian-news-дождь", "russian-news-лентач"}
    assert sum(row.abuse or 0 for row in rows) == 12 and all(row.spam is None for row in rows)


def test_mlma_counts_only_normal_alone_as_not_hostile_and_trains_on_french_and_arabic(tmp_path: Path) -> None:
    folder = write_fake_corpora(tmp_path) / "mlma-hate-speech-multilingual"
    rows = corpora.read_mlma(folder)
    assert {row.source for row in rows} == {"mlma-fr", "mlma-ar"}
    assert sum(row.abuse or 0 for row in rows) == 24 and all(row.spam is None for row in rows)
    assert not any("@user" in row.text or "@url" in row.text or "rt " in row.text for row in rows)
    assert {row.source for row in corpora.read_mlma(folder, languages=("en",))} == {"mlma-en"}


def test_the_ukrainian_seed_has_ordinary_spam_and_abusive_replies() -> None:
    rows = corpora.read_seed([corpora.UKRAINIAN_SEED_PATH])
    kinds = Counter((row.spam, row.abuse) for row in rows)
    assert min(kinds[(0, 0)], kinds[(1, 0)], kinds[(0, 1)]) >= 24
    assert all(row.source == "seed" for row in rows)
    assert len(corpora.read_seed()) == len(rows) + len(corpora.read_seed([corpora.SEED_PATH]))
