"""Filters Mailroom adds for template authors (on top of Jinja's built-ins).

=============================== ===========================================================
``text|paragraphs(style)``       HTML: escape the text, blank lines make ``<p>`` paragraphs,
                                 single line breaks ``<br>``; ``style`` goes on each ``<p>``
``day|fmt_date(style)``          ``long`` Thursday 26 November 2026 · ``medium`` 26 Nov 2026
                                 · ``short`` 26 Nov · ``iso`` 2026-11-26
``moment|fmt_time``              22:00, plus ``(UTC+01:00)`` when the value has an offset
``moment|fmt_datetime(style)``   the date in ``style`` followed by ``at 22:00``
``items|join_and``               ``a, b and c``
=============================== ===========================================================

Each accepts ``None`` (an optional value left empty) and returns an empty string for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from markupsafe import Markup, escape

from bot.rendering.datetimes import format_date, format_datetime, format_time

_BLANK_LINES = re.compile(r"\n\s*\n")


def paragraphs(value: str | None, style: str = "") -> Markup:
    """Plain text as HTML paragraphs; every character of ``value`` is escaped. Joined as
    strings and marked safe once: ``Markup.format`` is Python's string formatter, and was a
    fifth of rendering an email."""
    if not value:
        return Markup("")
    attribute = f' style="{escape(style)}"' if style else ""
    html = []
    for block in _BLANK_LINES.split(value.strip()):
        lines = "<br>\n".join(escape(line) for line in block.split("\n"))
        html.append(f"<p{attribute}>{lines}</p>")
    return Markup("\n".join(html))  # noqa: S704 - built only of escaped text and fixed tags


def fmt_date(value: date | None, style: str = "long") -> str:
    return format_date(value, style)


def fmt_time(value: datetime | None) -> str:
    return format_time(value)


def fmt_datetime(value: datetime | None, style: str = "long") -> str:
    return format_datetime(value, style)


def join_and(items: Iterable[Any] | None, last: str = " and ") -> str:
    """``["a", "b", "c"]`` → ``a, b and c``."""
    words = [str(i) for i in items or ()]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + last + words[-1]


TEMPLATE_FILTERS: dict[str, Callable[..., Any]] = {
    "paragraphs": paragraphs,
    "fmt_date": fmt_date,
    "fmt_time": fmt_time,
    "fmt_datetime": fmt_datetime,
    "join_and": join_and,
}
