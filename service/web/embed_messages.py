"""The embed's message catalogues: service/web/locales/{language}.po, read at start-up with Babel, for embed.js (every
catalogue written into the script, with its plural rule) and for the no-JavaScript form the server renders.

Plural rules are the CLDR ones Babel writes into each catalogue's Plural-Forms (Russian and Ukrainian: one, few,
many; Arabic: six forms). An entry left empty in a catalogue falls back to English.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parent / "locales"
DEFAULT = "en"
# A Plural-Forms expression is written into embed.js as code: it may hold only n, numbers and operators.
_PLURAL_EXPRESSION = re.compile(r"[n0-9\s%<>=!&|?:()+-]+")


@dataclass(frozen=True, slots=True)
class Catalogue:
    language: str
    direction: str  # "ltr" | "rtl"
    plural_expr: str  # C-like expression of n giving the index of the plural form
    messages: dict[str, str | list[str]]  # msgid (the English singular) -> text, or the plural forms in order

    def gettext(self, msgid: str, **values: object) -> str:
        found = self.messages.get(msgid)
        text = found if isinstance(found, str) and found else msgid
        return text.format(**values) if values else text


@lru_cache(maxsize=1)
def catalogues() -> dict[str, Catalogue]:
    """Every catalogue by language code, read once; ValueError for a catalogue whose plural rule is not plain."""
    found: dict[str, Catalogue] = {}
    for path in sorted(LOCALES.glob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=path.stem, domain="embed")
        if not _PLURAL_EXPRESSION.fullmatch(catalog.plural_expr):
            raise ValueError(f"{path.name}: unexpected Plural-Forms expression {catalog.plural_expr!r}")
        messages: dict[str, str | list[str]] = {}
        for message in catalog:
            if not message.id:
                continue  # the header
            if isinstance(message.id, tuple):
                forms = [str(form) for form in message.string or ()]
                messages[str(message.id[0])] = forms if all(forms) else []
            elif message.string:
                messages[str(message.id)] = str(message.string)
        locale = Locale.parse(path.stem)
        direction = "rtl" if locale.character_order == "right-to-left" else "ltr"
        found[path.stem] = Catalogue(path.stem, direction, catalog.plural_expr, messages)
    return found


def catalogue(language: str | None) -> Catalogue:
    """The catalogue for a language tag ("uk", "uk-UA", "pt-BR"): its primary subtag's, else English's."""
    primary = (language or "").strip().lower().replace("_", "-").split("-")[0]
    known = catalogues()
    return known.get(primary) or known[DEFAULT]


def script_locales() -> str:
    """The catalogues as a JavaScript object literal for embed.js: {code: {dir, plural: function (n), messages}}."""
    entries = []
    for code, item in catalogues().items():
        plural = f"function (n) {{ return Number({item.plural_expr}); }}"
        entries.append(
            f"{json.dumps(code)}: {{dir: {json.dumps(item.direction)}, plural: {plural}, "
            f"messages: {json.dumps(item.messages, ensure_ascii=False, separators=(',', ':'))}}}"
        )
    return "{\n    " + ",\n    ".join(entries) + "\n  }"
