"""The shipped languages: one gettext ``.po`` file each under ``locales/``, read with Babel when
Mailroom starts and compiled in memory (no build step, nothing generated to keep in step)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = Path(__file__).parent / "locales"
TEMPLATE = LOCALES / "messages.pot"
DEFAULT = "en"
SUPPORTED = ("en", "de")
# Formatting conventions per language where the bare language is not the one wanted: English
# numbers and dates read the way they always have on Mailroom's cards (26 Nov 2026, 10:00).
_FORMAT_LOCALE = {"en": "en_GB"}


@dataclass(frozen=True)
class Language:
    code: str  # "en", "de": the catalogue's file name
    locale: Locale = field(repr=False)  # numbers and dates
    translations: Translations = field(repr=False, compare=False)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.translations.ngettext(singular, plural, count)


def po_path(code: str) -> Path:
    return LOCALES / f"{code}.po"


@cache
def language(code: str) -> Language:
    """The loaded catalogue of one of ``SUPPORTED`` (read once per process)."""
    with po_path(code).open("rb") as source:
        catalog = read_po(source, locale=code)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Language(
        code=code,
        locale=Locale.parse(_FORMAT_LOCALE.get(code, code)),
        translations=Translations(compiled),
    )


def language_for(tag: str | None) -> Language:
    """The language for a BCP-47 tag from Teams (``de-DE``, ``de``, ``en-US``); anything
    Mailroom does not ship, or nothing, is English."""
    if not tag:
        return language(DEFAULT)
    try:
        parsed = Locale.parse(tag.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return language(DEFAULT)
    return language(parsed.language if parsed.language in SUPPORTED else DEFAULT)


LANGUAGES = SUPPORTED

# Read when Mailroom starts (importing bot.i18n), not on a user's first turn in a language.
for _code in SUPPORTED:
    if po_path(_code).exists():  # a language just added has none until it is extracted
        language(_code)
