"""Dates and times: parsing what users type, formatting what recipients read.

Parsing accepts ISO 8601 and forms whose month is a word, so nothing depends on the
reader's locale: ``2026-11-26``, ``26 Nov 2026``, ``26 November 2026``, ``Nov 26, 2026``;
times are 24-hour ``HH:MM`` (optionally ``:SS``). Slash forms such as ``11/26/2026`` are
refused because they mean different days in different countries.

Formatting uses fixed English names, never the process locale.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import N_

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Universal", "Zulu"})
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_BY_NAME: dict[str, int] = {
    **{name.lower(): i for i, name in enumerate(_MONTHS, start=1)},
    **{name[:3].lower(): i for i, name in enumerate(_MONTHS, start=1)},
    "sept": 9,
}

DATE_ACCEPTED = N_("a date such as 2026-11-26, 26 Nov 2026 or Nov 26, 2026")
DATETIME_ACCEPTED = N_(
    "a date and 24-hour time such as 2026-11-26T22:00, 2026-11-26 22:00+01:00 or 26 Nov 2026 22:00"
)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DAY_MONTH_YEAR = re.compile(r"(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]+)\.?,?\s+(?P<year>\d{4})")
_MONTH_DAY_YEAR = re.compile(r"(?P<month>[A-Za-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})")
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?"
)
_WORDY_DATETIME = re.compile(
    r"(?P<date>.+?),?\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
)


def parse_date(raw: str) -> date | None:
    """The date ``raw`` names, or None when it is not one of the accepted forms."""
    text = raw.strip()
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    match = _DAY_MONTH_YEAR.fullmatch(text) or _MONTH_DAY_YEAR.fullmatch(text)
    if match is None:
        return None
    month = _MONTH_BY_NAME.get(match["month"].lower())
    if month is None:
        return None
    try:
        return date(int(match["year"]), month, int(match["day"]))
    except ValueError:
        return None


def parse_datetime(raw: str) -> datetime | None:
    """The date and time ``raw`` names (naive unless it carries an offset), or None."""
    text = raw.strip()
    if _ISO_DATETIME.fullmatch(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return None
    match = _WORDY_DATETIME.fullmatch(text)
    if match is None:
        return None
    day = parse_date(match["date"])
    if day is None or _ISO_DATE.fullmatch(match["date"].strip()):
        return None
    try:
        return datetime(  # noqa: DTZ001 - a wall-clock time as the user typed it
            day.year,
            day.month,
            day.day,
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
        )
    except ValueError:
        return None


def _offset_label(moment: datetime) -> str:
    """ " UTC", " (UTC+01:00)", or with a named zone " (Europe/Berlin, UTC+01:00)"."""
    offset = moment.utcoffset()
    if offset is None:
        return ""
    zone = moment.tzinfo
    name = zone.key if isinstance(zone, ZoneInfo) and zone.key not in _UTC_NAMES else None
    if offset == timedelta(0) and name is None:
        return " UTC"
    sign = "+" if offset >= timedelta(0) else "-"
    minutes = abs(int(offset.total_seconds())) // 60
    utc = f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return f" ({name}, {utc})" if name else f" ({utc})"


def format_date(value: date | None, style: str = "long") -> str:
    """``long``: Thursday 26 November 2026; ``medium``: 26 Nov 2026; ``short``: 26 Nov;
    ``iso``: 2026-11-26. None formats as an empty string."""
    if value is None:
        return ""
    if style == "iso":
        return value.strftime("%Y-%m-%d")
    month = _MONTHS[value.month - 1]
    if style == "long":
        return f"{_WEEKDAYS[value.weekday()]} {value.day} {month} {value.year}"
    if style == "medium":
        return f"{value.day} {month[:3]} {value.year}"
    if style == "short":
        return f"{value.day} {month[:3]}"
    raise ValueError("date style must be long, medium, short or iso")


def format_time(value: datetime | None) -> str:
    """24-hour time, with the UTC offset when the value carries one: ``22:00 (UTC+01:00)``."""
    if value is None:
        return ""
    return f"{value.hour:02d}:{value.minute:02d}{_offset_label(value)}"


def format_datetime(value: datetime | None, style: str = "long") -> str:
    """A date (see :func:`format_date` styles) followed by the time: ``… at 22:00``."""
    if value is None:
        return ""
    if style == "iso":
        return value.isoformat(timespec="minutes")
    return f"{format_date(value.date(), style)} at {format_time(value)}"
