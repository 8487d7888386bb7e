"""Look-alike spellings read as their plain form, and submission signals become pseudo-tokens that cannot be forged."""

from __future__ import annotations

import pytest

from classifier import Scorer, Submission
from classifier.features import model_text, signal_tokens
from classifier.normalise import normalise_text
from tests.classifier.examples import full_width


@pytest.mark.parametrize(
    ("disguised", "plain"),
    [
        ("c\u200basino b\u200do\u200cnus", "casino bonus"),  # zero-width space, joiner, non-joiner
        (full_width("CASINO BONUS"), "casino bonus"),  # full-width letters and ideographic space
        ("\u202ecasino\u202c bonus\ufeff", "casino bonus"),  # bidi override and byte-order mark
        ("Stra\u00dfe", "strasse"),  # casefold, not just lower()
        ("so\u00adft hyphen", "soft hyphen"),
        ("line\nbreak\t and   spaces ", "line break and spaces"),
    ],
)
def test_disguised_text_normalises_to_its_plain_form(disguised: str, plain: str) -> None:
    assert normalise_text(disguised) == plain


@pytest.mark.parametrize(
    ("repeated", "collapsed"),
    [("idiooooooooot", "idioot"), ("idiooot", "idioot"), ("noooo!!!!!!", "noo!!"), ("good", "good"), ("1000", "1000")],
)
def test_long_character_repeats_collapse_to_two_but_digits_and_doubles_stay(repeated: str, collapsed: str) -> None:
    assert normalise_text(repeated) == collapsed


@pytest.mark.parametrize(
    ("disguised", "plain"),
    [
        ("Shut up, you s\u200bt\u200bu\u200bp\u200bi\u200bd m\u200boron", "Shut up, you stupid moron"),
        (full_width("best casino bonus free spins"), "best casino bonus free spins"),
        ("You are an idiooooooooooot", "You are an idioot"),
    ],
)
def test_disguised_text_scores_exactly_like_the_plain_form(seed_scorer: Scorer, disguised: str, plain: str) -> None:
    assert seed_scorer.score(Submission(disguised)) == seed_scorer.score(Submission(plain))


def test_signals_count_links_up_to_three_and_flag_shorteners_websites_and_names() -> None:
    submission = Submission(
        "see http://a.example.com www.b.example.org bit.ly/x https://d.example.net",
        name="Best Cheap Loans www.loans.example.xyz",
        website="https://loans.example.xyz",
    )
    assert signal_tokens(submission) == [
        "__link__", "__link__", "__link__", "__shortener__", "__website__", "__name_has_url__", "__name_many_words__",
    ]  # fmt: skip


def test_a_plain_reply_has_no_signals() -> None:
    assert signal_tokens(Submission("I agree with the editorial.", name="Ann Lee")) == []


def test_a_body_cannot_forge_a_signal_token() -> None:
    forged = model_text(Submission("hello __website__ __link__"))
    assert "__website__" not in forged.split()
    assert "__link__" not in forged.split()
