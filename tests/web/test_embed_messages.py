"""The embed's message catalogues (service/web/embed_messages.py): complete in every language, CLDR plurals, written
into embed.js, and the no-JavaScript form of the demo page rendered from them."""

from __future__ import annotations

import gettext
import re
from typing import Any

import pytest
from litestar.testing import TestClient

from service.web.embed_messages import LOCALES, catalogue, catalogues, script_locales

LANGUAGES = ("en", "de", "fr", "es", "ru", "uk", "ar")


def test_every_language_has_a_catalogue_with_every_message_translated() -> None:
    assert set(catalogues()) == set(LANGUAGES)
    english = catalogues()["en"]
    wanted = set(english.messages) | {"Responses", "{n} Response", "must be at most {n} character"}
    for code in LANGUAGES[1:]:
        item = catalogues()[code]
        missing = [message for message in wanted if not item.messages.get(message)]
        assert missing == [], code
        for message, text in item.messages.items():
            placeholders = {part.split("}")[0] for part in message.split("{")[1:]}
            forms = text if isinstance(text, list) else [text]
            # Every placeholder survives translation (Arabic's zero, one and two forms may spell the number out).
            assert all("{" + p + "}" in form for p in placeholders for form in forms[-1:]), (code, message)


@pytest.mark.parametrize(
    ("language", "counts"),
    [
        ("ru", {1: "1 ответ", 2: "2 ответа", 5: "5 ответов", 11: "11 ответов", 21: "21 ответ", 22: "22 ответа"}),
        ("uk", {1: "1 відповідь", 2: "2 відповіді", 5: "5 відповідей", 12: "12 відповідей", 21: "21 відповідь"}),
        ("de", {1: "1 Antwort", 2: "2 Antworten"}),
        ("fr", {0: "0 réponse", 1: "1 réponse", 2: "2 réponses"}),
        ("ar", {0: "لا توجد ردود", 1: "رد واحد", 2: "ردّان", 3: "3 ردود", 11: "11 ردًا", 100: "100 رد"}),
    ],
)
def test_plural_forms_follow_the_languages_rules(language: str, counts: dict[int, str]) -> None:
    item = catalogues()[language]
    pick = gettext.c2py(item.plural_expr)  # the expression embed.js evaluates, read the way gettext reads it
    forms = item.messages["{n} Response"]
    assert isinstance(forms, list)
    assert {n: forms[pick(n)].format(n=n) for n in counts} == counts


def test_a_language_tag_finds_its_catalogue_or_english() -> None:
    assert catalogue("uk-UA").language == "uk"
    assert catalogue("RU").language == "ru"
    assert catalogue("pt-BR").language == "en" and catalogue(None).language == "en"
    assert catalogue("ar").direction == "rtl" and catalogue("de").direction == "ltr"
    assert catalogue("de").gettext("Replying to {name}", name="Ana") == "Antwort an Ana"


def test_embed_js_carries_every_catalogue(client: TestClient[Any]) -> None:
    script = client.get("/embed.js").text
    assert script_locales() in script and "var LOCALES = {};" not in script
    assert "{n} ответов" in script and '"ar": {dir: "rtl"' in script


@pytest.mark.parametrize(
    ("lang", "html", "words"),
    [
        ("ru", '<html lang="ru" dir="ltr">', ["Оставить ответ", "Отправить комментарий", "Имя *"]),
        ("ar", '<html lang="ar" dir="rtl">', ["اترك ردًا", "أرسل التعليق"]),
        ("xx", '<html lang="en" dir="ltr">', ["Leave a Reply", "Post Comment", "Name *"]),
    ],
)
def test_the_demo_pages_no_javascript_form_is_in_the_pages_language(
    client: TestClient[Any], lang: str, html: str, words: list[str]
) -> None:
    page = client.get("/demo/geneva", params={"lang": lang})
    assert page.status_code == 200
    assert html in page.text
    assert all(word in page.text for word in words)


def test_every_message_embed_js_asks_for_is_translated_in_every_catalogue() -> None:
    """Each literal embed.js passes to t() (and to the helpers that call it with a label) is in every catalogue."""
    script = (LOCALES.parent / "static" / "embed.js").read_text(encoding="utf-8")
    asked = set(re.findall(r'\bt\("((?:[^"\\]|\\.)+)"', script))
    # Labels handed to field(), described() and the report reasons, which call t() themselves.
    asked |= set(re.findall(r'\bfield\("[^"]+", "([^"]+)"', script))
    asked |= set(re.findall(r'described\([^,]+, "[^"]+",\s*"([^"]+)"', script))
    asked |= set(re.findall(r'\["[a-z_]+", "([^"]+)"\]', script))
    assert {"Report", "Illegal content", "Explanation", "Send report", "Name"} <= asked
    assert "Your email, if moderators may ask you about your report (optional, never published)" in asked
    for code in LANGUAGES[1:]:
        missing = sorted(message for message in asked if not catalogues()[code].messages.get(message))
        assert missing == [], code
