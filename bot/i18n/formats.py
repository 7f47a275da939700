"""Numbers and times as the turn's language writes them (Babel's CLDR data)."""

from __future__ import annotations

from datetime import datetime, time

from babel.dates import format_date, format_time, get_datetime_format, get_day_names
from babel.dates import format_datetime as format_babel_datetime
from babel.numbers import format_decimal

from bot.i18n.context import current


def format_number(value: float) -> str:
    """1,234 in English, 1.234 in German."""
    return format_decimal(value, locale=current().locale)


# A weekday with the date, as each language writes it; other languages take CLDR's own.
_WITH_WEEKDAY = {"en": "EEE d MMM y, HH:mm", "de": "EEE, d. MMM y, HH:mm"}


def format_weekday_datetime(moment: datetime) -> str:
    """``Thu 3 Dec 2026, 09:00``, ``Do., 3. Dez. 2026, 09:00``."""
    language = current()
    pattern = _WITH_WEEKDAY.get(language.code)
    if pattern is None:
        return f"{format_date(moment, 'full', locale=language.locale)}, " + format_time(
            moment, "short", locale=language.locale
        )
    return format_babel_datetime(moment, pattern, locale=language.locale)


def format_datetime(moment: datetime) -> str:
    """The medium date and short time the locale joins its own way: ``26 Nov 2026, 10:00``,
    ``26.11.2026, 10:00``."""
    locale = current().locale
    pattern = str(get_datetime_format("medium", locale=locale))
    return pattern.format(
        format_time(moment, "short", locale=locale), format_date(moment, "medium", locale=locale)
    )


def format_weekday(weekday: int) -> str:
    """The abbreviated name of ``weekday`` (0 = Monday, as ``date.weekday()``): ``Mon``, ``Mo.``."""
    return str(get_day_names("abbreviated", locale=current().locale)[weekday])


def format_clock(moment: time) -> str:
    """A wall-clock time, the locale's short form: ``08:00``."""
    return format_time(moment, "short", locale=current().locale)
