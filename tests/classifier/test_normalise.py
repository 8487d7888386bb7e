"""Look-alike spellings read as their plain form, and submission signals become pseudo-tokens that cannot be forged."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from classifier import Scorer, Submission
from classifier.features import model_text, signal_name, signal_tokens
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
    ("disguised", "plain"),
    [
        ("c\u0430sino b\u043enus", "casino bonus"),  # Cyrillic a and o inside Latin words
        ("\u0421HEAP \u0412\u0415ST", "cheap best"),  # Cyrillic capitals C, B, E
        (
            "\u03bdiagra \u03bf\u03bd sale",
            "viagra \u03bf\u03bd sale",
        ),  # Greek nu and omicron; a word all in Greek stays Greek
        ("v1agra c4sino fr33 m0ney", "viagra casino free money"),
        ("c@sh pr1ze", "cash prize"),
        ("f r e e  m o n e y", "free money"),
        ("c.a.s.i.n.o and c-a-s-h", "casino and cash"),
        ("fr333eeee", "free"),
    ],
)
def test_spammers_disguises_normalise_to_the_plain_word(disguised: str, plain: str) -> None:
    assert normalise_text(disguised) == plain


@pytest.mark.parametrize(
    "kept",
    [
        "\u0421\u043f\u0430\u0441\u0438\u0431\u043e \u0430\u0432\u0442\u043e\u0440\u0443",  # Russian
        "\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1",  # Greek
        "covid19 1000 2nd $100 b2b",
        "e.g. the u.s. plan",
        "i am a fan",
    ],
)
def test_ordinary_text_in_any_script_keeps_its_letters_and_numbers(kept: str) -> None:
    assert normalise_text(kept) == kept.casefold()


# Each disguise beside its plain form: the seed-trained model must score them alike on both heads.
TRICKS = [
    ("Best online c\u0430sin\u043e bonus, free spins every day", "Best online casino bonus, free spins every day"),
    (full_width("Cheap viagra without prescription"), "Cheap viagra without prescription"),
    ("Buy v1agra and c1al1s ch34p", "Buy viagra and cialis cheap"),
    ("Win fr33 c4sh n0w at our c4sino", "Win free cash now at our casino"),
    ("f r e e  m o n e y, click here", "free money, click here"),
    ("Play at c.a.s.i.n.o tonight", "Play at casino tonight"),
    ("Shut up you s\u200btup\u200bid m\u200boron", "Shut up you stupid moron"),
    ("\u202eYou are a pathetic idi\u043et\u202c", "You are a pathetic idiot"),
    ("You are an idiooooooot and a l0ser", "You are an idiot and a loser"),
    ("Thank you for the thoughtful artic\u200ble", "Thank you for the thoughtful article"),
]
TOLERANCE = 0.05


@pytest.mark.parametrize(("disguised", "plain"), TRICKS, ids=[plain[:30] for _, plain in TRICKS])
def test_each_disguise_scores_like_its_plain_form_on_both_heads(
    seed_scorer: Scorer, disguised: str, plain: str
) -> None:
    tricked, honest = seed_scorer.score(Submission(disguised)), seed_scorer.score(Submission(plain))
    assert tricked.spam_score == pytest.approx(honest.spam_score, abs=TOLERANCE)
    assert tricked.abuse_score == pytest.approx(honest.abuse_score, abs=TOLERANCE)


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
        "__link__", "__link__", "__link__", "__shortener__", "__tld_com__", "__tld_org__", "__tld_ly__",
        "__website__", "__name_has_url__", "__name_many_words__", "__punct_high__",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "token"),
    [
        ("WINNER!! YOU HAVE BEEN SELECTED FOR A PRIZE", "__caps_high__"),
        ("!!! $$$ >>> click <<< ### *** !!!", "__punct_high__"),
        ("ok", "__len_short__"),
        ("A long and thoughtful reply about the budget. " * 10, "__len_long__"),
        ("Call 09061701461 now to claim your reward today", "__long_number__"),
        ("You have won a guaranteed \u00a31000 cash award today", "__money__"),
        ("Таблетки для похудения всего за 990 руб, доставка", "__money__"),
        ("Схуднення без дієт, ціна 299 грн", "__money__"),
        ("Знижка: 1500 ₴ замість 3000", "__money__"),
        ("Пишите в Телеграм, ответим сразу", "__messenger__"),
        ("Замовляйте у вайбері або WhatsApp", "__messenger__"),
        ("Details at t.me/cheap_pills_bot", "__messenger__"),
        ("See the offer at http://deals.example.xyz today", "__tld_xyz__"),
    ],
)
def test_each_submission_signal_appears_as_its_pseudo_token(body: str, token: str) -> None:
    assert token in signal_tokens(Submission(body))


@pytest.mark.parametrize(
    "padded",
    [
        "ok\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b",
        "okkkkkkkkkkkkkkkkkkkkkkkkkk",
    ],
)
def test_shape_signals_read_the_normalised_body_so_padding_changes_nothing(padded: str) -> None:
    assert signal_tokens(Submission(padded)) == signal_tokens(Submission(normalise_text(padded)))


def test_signal_tokens_show_to_moderators_under_readable_names() -> None:
    assert signal_name("__tld_xyz__") == "link_domain_.xyz"
    assert signal_name("__money__") == "money_amount"
    assert signal_name("casino") is None


def test_a_plain_reply_has_no_signals() -> None:
    assert signal_tokens(Submission("I agree with the editorial.", name="Ann Lee")) == []


def test_a_body_cannot_forge_a_signal_token() -> None:
    forged = model_text(Submission("hello __website__ __link__"))
    assert "__website__" not in forged.split()
    assert "__link__" not in forged.split()


RUSSIAN = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
UKRAINIAN = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
# Latin letters and the Cyrillic letters they are typed for, both ways (lower case: the normaliser casefolds).
LATIN_FOR_CYRILLIC = {"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i"}


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("x\u0443\u0439", "\u0445\u0443\u0439"),  # Latin x in a Russian word
        ("\u043f\u0438\u0437\u0434a", "\u043f\u0438\u0437\u0434\u0430"),  # Latin a at the end
        ("\u043fi\u0441\u043d\u044f", "\u043f\u0456\u0441\u043d\u044f"),  # Latin i for Ukrainian i
        ("\u041fPU\u0412ET".replace("U", "\u0418"), "\u043f\u0440\u0438\u0432\u0435\u0442"),  # Latin P, E in capitals
        (
            "\u0445\u0443\u0033 \u0451\u0036\u0430\u043d\u044b\u0439 \u043f@\u0434\u043b\u0430",
            "\u0445\u0443\u0437 \u0451\u0431\u0430\u043d\u044b\u0439 \u043f\u0430\u0434\u043b\u0430",
        ),
        ("c\u0430sino and \u0432\u0430\u0441", "casino and \u0432\u0430\u0441"),  # each word keeps its own script
    ],
)
def test_latin_look_alikes_inside_cyrillic_words_read_as_cyrillic(written: str, read: str) -> None:
    assert normalise_text(written) == read


@pytest.mark.parametrize(
    "kept",
    [
        "\u0421\u043b\u0430\u0432\u0430 \u0423\u043a\u0440\u0430\u0457\u043d\u0456, \u0457\u0436\u0430\u043a, "
        "\u0454\u0434\u043d\u0456\u0441\u0442\u044c, \u0491\u0430\u043d\u043e\u043a",  # Ukrainian і ї є ґ
        "Её уже спросили в 2022 году",
        "\u041a\u0438\u0457\u0432 and Kyiv",  # a Cyrillic word beside a Latin one: neither changes
    ],
)
def test_whole_russian_and_ukrainian_words_keep_their_letters(kept: str) -> None:
    assert normalise_text(kept) == kept.casefold()


_cyrillic_words = st.text(alphabet=RUSSIAN + UKRAINIAN + RUSSIAN.upper() + " ", min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(_cyrillic_words)
def test_no_letter_of_a_cyrillic_text_becomes_latin(text: str) -> None:
    read = normalise_text(text)
    assert not any("a" <= char <= "z" for char in read)
    assert set(read) - {" "} <= set(text.casefold())


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=12), st.data())
def test_a_cyrillic_look_alike_in_a_latin_word_reads_as_the_latin_word(word: str, data: st.DataObject) -> None:
    swappable = [i for i, char in enumerate(word) if char in LATIN_FOR_CYRILLIC.values()]
    assume(swappable)
    index = data.draw(st.sampled_from(swappable))
    cyrillic = {latin: cyr for cyr, latin in LATIN_FOR_CYRILLIC.items()}[word[index]]
    assert normalise_text(word[:index] + cyrillic + word[index + 1 :]) == normalise_text(word)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=RUSSIAN, min_size=2, max_size=12), st.data())
def test_a_latin_look_alike_in_a_russian_word_reads_as_the_russian_word(word: str, data: st.DataObject) -> None:
    # A word of look-alike letters only ("сор") cannot be told from a disguised Latin word; one other letter can.
    assume(any(char not in LATIN_FOR_CYRILLIC and char != "ё" for char in word))
    swappable = [i for i, char in enumerate(word) if char in LATIN_FOR_CYRILLIC]
    assume(swappable)
    index = data.draw(st.sampled_from(swappable))
    assert normalise_text(word[:index] + LATIN_FOR_CYRILLIC[word[index]] + word[index + 1 :]) == normalise_text(word)
