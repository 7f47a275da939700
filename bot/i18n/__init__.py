"""What the user reads, in the user's language: the message catalogue, the turn's language and
locale-aware numbers and times (docs/decisions/0012-localisation.md).

``_("Sent to {count} recipients", count=n)`` translates for the language of the current turn and
then fills ``{placeholders}``; ``n_`` picks a plural form; ``N_`` only marks a text kept in a
table (translated with ``_`` where it is shown). The language is set once per turn by
``use_language`` (from ``activity.locale``) in a context variable, which asyncio copies into
every task a turn starts, so concurrent turns never see each other's language.
"""

from bot.i18n.catalog import DEFAULT, LANGUAGES, Language, language_for
from bot.i18n.context import N_, _, current, n_, use_language, use_locale_of
from bot.i18n.formats import (
    format_clock,
    format_datetime,
    format_number,
    format_weekday,
    format_weekday_datetime,
)

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "N_",
    "Language",
    "_",
    "current",
    "format_clock",
    "format_datetime",
    "format_number",
    "format_weekday",
    "format_weekday_datetime",
    "language_for",
    "n_",
    "use_language",
    "use_locale_of",
]
