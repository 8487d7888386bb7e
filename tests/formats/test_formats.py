"""The format readers and writers on their own: HTML to text, article ids, Remark42's stream of JSON values across
read boundaries, and WXR written by the export read back unchanged, for any text."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.formats import article_ids, disqus, remark42, wxr
from service.formats.cleaning import clean_body, clean_name, text_of_html
from service.formats.records import MalformedSource, SourceArticle, SourceComment, SourceSkipped
from service.rules.validation import ARTICLE_ID


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("plain words", "plain words"),
        ("<p>One.</p><p>Two &amp; three.</p>", "One.\n\nTwo & three."),
        ("line<br>break<br/>again", "line\nbreak\nagain"),
        ('see <a href="https://x.example/a">my notes</a> here', "see my notes (https://x.example/a) here"),
        ('<a href="https://x.example/a">https://x.example/a</a>', "https://x.example/a"),
        ('<a href="javascript:alert(1)">click</a>', "click"),
        ("<script>alert(1)</script>kept", "kept"),
        ("Agreed &#8211; thanks &hellip;", "Agreed \u2013 thanks \u2026"),
        ("  <p>\n  padded \n</p>  ", "padded"),
    ],
)
def test_text_of_html(markup: str, text: str) -> None:
    assert text_of_html(markup) == text


def test_names_are_one_visible_line_and_never_empty() -> None:
    assert clean_name("  Ana\n\tReader\u200b ") == "Ana Reader"
    assert clean_name("") == clean_name(None) == "Anonymous"
    assert len(clean_name("x" * 500)) == 80


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/2024/05/talks/", "2024-05-talks"),
        ("https://blog.example/2024/05/talks/?utm=1", "2024-05-talks"),
        ("/news/über-uns/", "news-ber-uns"),
    ],
)
def test_article_ids_from_paths(value: str, expected: str) -> None:
    assert article_ids.from_path(value) == expected


@given(st.text(max_size=400))
def test_every_path_gives_a_valid_and_stable_article_id(path: str) -> None:
    made = article_ids.from_path(path)
    assert ARTICLE_ID.fullmatch(made) and article_ids.from_path(path) == made


def test_an_identifier_that_is_an_article_id_is_kept() -> None:
    assert article_ids.from_identifier("post-42", "https://blog.example/x/") == "post-42"
    assert article_ids.from_identifier("https://blog.example/x/", None) == "x"


class _Trickle(io.RawIOBase):
    """A stream that hands out `step` bytes a read: values and characters split across reads."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step, self.at = data, step, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.data[self.at : self.at + self.step]
        self.at += len(chunk)
        return chunk


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.dictionaries(st.sampled_from(["id", "text", "n"]), st.text(max_size=30), max_size=3), max_size=8),
    st.integers(min_value=1, max_value=40),
    st.sampled_from(["\n", "\n\t", "  \n\n"]),
)
def test_remark42_values_are_read_whole_whatever_the_reads_cut(
    values: list[dict[str, str]], step: int, separator: str
) -> None:
    data = separator.join(json.dumps(value, ensure_ascii=False) for value in values).encode()
    original, remark42.CHUNK = remark42.CHUNK, step
    try:
        assert [value for _, value in remark42.values(_Trickle(data, step))] == values  # type: ignore[arg-type]
    finally:
        remark42.CHUNK = original


def test_remark42_names_the_line_of_a_cut_value() -> None:
    data = b'{"version": 1}\n{"id": "a"}\n{"id": "b", "text": "cut'
    with pytest.raises(MalformedSource, match="line 3"):
        list(remark42.values(io.BytesIO(data)))


@settings(max_examples=80, deadline=None)
@given(
    body=st.text(
        alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="\u2028\u2029"), min_size=1
    )
    .map(clean_body)
    .filter(bool),
    name=st.text(min_size=1, max_size=80).map(clean_name),
)
def test_wxr_written_by_the_export_reads_back_the_same_text(body: str, name: str) -> None:
    article = SimpleNamespace(
        id="a-1", title="T & <b>", url=None, status="open", created_at=datetime(2021, 1, 1, tzinfo=UTC)
    )
    row = SimpleNamespace(
        name=name, email="a@mail.example", website=None, body=body, status="published",
        created_at=datetime(2021, 1, 2, 3, 4, 5, tzinfo=UTC),
    )  # fmt: skip
    document = (
        wxr.head("https://blog.example/", datetime.now(UTC))
        + wxr.item_open(1, article, "https://blog.example/")
        + wxr.comment(1, 0, row, None)
        + wxr.ITEM_CLOSE
        + wxr.WXR_TAIL
    )
    items = list(wxr.read(io.BytesIO(document.encode())))
    assert isinstance(items[0], SourceArticle) and items[0].article_id == "a-1" and items[0].title == "T & <b>"
    comment = items[1]
    assert isinstance(comment, SourceComment)
    # XML reads every line break as "\n"; nothing else changes.
    assert (comment.body, comment.name, comment.created_at) == (
        clean_body(body.replace("\r\n", "\n").replace("\r", "\n")),
        name,
        row.created_at,
    )


DISQUS = """
<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
  <thread dsq:id="1"><id>live</id><link>https://blog.example/live/</link><title>Live</title></thread>
  <thread dsq:id="2"><id>gone</id><link>https://blog.example/gone/</link><isDeleted>true</isDeleted></thread>
  <thread dsq:id="3"><id/></thread>
  <post dsq:id="10"><message>kept</message><createdAt>2021-01-01T00:00:00</createdAt><thread dsq:id="1"/></post>
  <post dsq:id="11"><message>on a deleted page</message><createdAt>2021-01-01T00:00:00Z</createdAt>
    <thread dsq:id="2"/></post>
  <post dsq:id="12"><message>nowhere</message><createdAt>2021-01-01T00:00:00Z</createdAt><thread dsq:id="99"/></post>
</disqus>
"""


def test_disqus_deleted_pages_take_their_posts_and_pageless_ones_are_skipped() -> None:
    items = list(disqus.read(io.BytesIO(DISQUS.encode())))
    comments = {item.body: (item.status, item.reason) for item in items if isinstance(item, SourceComment)}
    assert comments == {"kept": ("published", None), "on a deleted page": ("rejected", "deleted")}
    skipped = sorted(item.kind for item in items if isinstance(item, SourceSkipped))
    assert [kind.split(" ")[0] for kind in skipped] == ["post", "thread"]
    (first, *_) = [item for item in items if isinstance(item, SourceComment)]
    assert first.created_at == datetime(2021, 1, 1, tzinfo=UTC)  # no zone written: UTC


def test_a_parse_error_names_the_files_own_line_after_leading_blank_lines() -> None:
    broken = "\n\n" + DISQUS.replace('<post dsq:id="12">', "<post dsq:id=12>")
    line = 2 + DISQUS.splitlines().index(next(x for x in DISQUS.splitlines() if 'dsq:id="12"' in x)) + 1
    with pytest.raises(MalformedSource) as caught:
        list(disqus.read(io.BytesIO(broken.encode())))
    assert (
        caught.value.where.startswith(f"line {line},") and "not well-formed XML (not well-formed" in caught.value.reason
    )


def test_a_wxr_item_without_post_id_is_named_by_its_link() -> None:
    document = (
        '<rss xmlns:wp="http://wordpress.org/export/1.0/"><channel><item><title>T</title>'
        "<link>http://example.tld/?p=4</link><wp:comment><wp:comment_id>1</wp:comment_id>"
        "<wp:comment_date_gmt>2014-04-29 15:21:57</wp:comment_date_gmt><wp:comment_content>x</wp:comment_content>"
        "<wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent></wp:comment>"
        "</item></channel></rss>"
    )
    article, comment = list(wxr.read(io.BytesIO(document.encode())))
    assert isinstance(article, SourceArticle) and article.article_id == "wp-4"
    assert isinstance(comment, SourceComment) and comment.article_source_id == "4"
