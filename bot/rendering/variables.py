"""Typed template variables: what a user may type into each, and what the template gets.

A :class:`Variable` carries everything a form needs to ask for it (label, help, type,
length, options, a client-side regex hint) and everything rendering needs to trust it
(:meth:`Variable.parse` turns the raw text into a typed value or a :class:`FieldError`).

Values by type, as templates see them:

============ ====================================================================
string       ``str``, one line (line breaks refused, tabs become spaces)
text         ``str``, several lines (``\\n`` line ends)
email        ``str``, the normalised address (a display name is accepted, dropped)
email_list   ``tuple[str, ...]``, split on commas, semicolons and new lines
date         ``datetime.date``
datetime     ``datetime.datetime`` (naive unless the user gave an offset)
number       ``int``, or ``decimal.Decimal`` when it has a fraction
choice       ``str``, the option exactly as declared
url          ``str``, http or https only
============ ====================================================================

An optional variable left empty, with no default, is ``None`` (it renders as nothing).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import ClassVar
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from bot.errors import FieldError
from bot.i18n import _
from bot.rendering.datetimes import DATE_ACCEPTED, DATETIME_ACCEPTED, parse_date, parse_datetime


class VariableType(StrEnum):
    STRING = "string"
    TEXT = "text"
    EMAIL = "email"
    EMAIL_LIST = "email_list"
    DATE = "date"
    DATETIME = "datetime"
    NUMBER = "number"
    CHOICE = "choice"
    URL = "url"


#: No variable may accept more than this many characters, whatever its template says.
MAX_VALUE_LENGTH = 100_000
#: At most this many addresses in one ``email_list`` value (Exchange's per-message default).
MAX_LIST_ADDRESSES = 500

DEFAULT_MAX_LENGTH: dict[VariableType, int] = {
    VariableType.STRING: 200,
    VariableType.TEXT: 5_000,
    VariableType.EMAIL: 254,
    VariableType.EMAIL_LIST: 10_000,
    VariableType.DATE: 40,
    VariableType.DATETIME: 60,
    VariableType.NUMBER: 40,
    VariableType.CHOICE: 200,
    VariableType.URL: 2_048,
}

#: Loose client-side hints for form inputs. The server always validates properly.
_INPUT_REGEX: dict[VariableType, str] = {
    VariableType.EMAIL: r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$",
    VariableType.EMAIL_LIST: (
        r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+"
        r"([,;\s]+[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+)*[,;\s]*$"
    ),
    VariableType.URL: r"^https?://[^\s/$.?#][^\s]*$",
}

_LINE_BREAKS = re.compile(r"[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
_LIST_SEPARATORS = re.compile(r"[,;\n\r]+")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def _normalise_email(raw: str) -> str:
    """The normalised address, or EmailNotValidError. Never looks anything up in DNS."""
    return validate_email(raw, check_deliverability=False, allow_display_name=True).normalized


@dataclass(frozen=True)
class Variable:
    """One declared template variable. ``default`` and ``sample`` are raw text, as a user
    would type them; ``max_length`` bounds the raw text."""

    name: str
    type: VariableType
    label: str
    required: bool
    max_length: int
    help: str = ""
    default: str | None = None
    sample: str = ""
    options: tuple[str, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None

    @property
    def multiline(self) -> bool:
        """Whether a form should offer several lines for this input."""
        return self.type in (VariableType.TEXT, VariableType.EMAIL_LIST)

    @property
    def input_regex(self) -> str | None:
        """A loose regex a form may use as a hint (emails, URLs); None for other types."""
        return _INPUT_REGEX.get(self.type)

    @property
    def accepted(self) -> str:
        """What this variable accepts, in words, for help texts and error messages."""
        match self.type:
            case VariableType.STRING:
                return _("text on one line, at most {count} characters", count=self.max_length)
            case VariableType.TEXT:
                return _("text, at most {count} characters", count=self.max_length)
            case VariableType.EMAIL:
                return _("an email address such as name@contoso.com")
            case VariableType.EMAIL_LIST:
                return _(
                    "email addresses separated by commas, semicolons or new lines (at most "
                    "{count})",
                    count=MAX_LIST_ADDRESSES,
                )
            case VariableType.DATE:
                return _(DATE_ACCEPTED)
            case VariableType.DATETIME:
                return _(DATETIME_ACCEPTED)
            case VariableType.NUMBER:
                words = _(
                    "a number such as 42 or 12.5 (a dot for decimals, no thousands separators)"
                )
                if self.minimum is not None and self.maximum is not None:
                    return _("{words} from {minimum} to {maximum}", words=words,
                             minimum=self.minimum, maximum=self.maximum)  # fmt: skip
                if self.minimum is not None:
                    return _("{words}, at least {minimum}", words=words, minimum=self.minimum)
                if self.maximum is not None:
                    return _("{words}, at most {maximum}", words=words, maximum=self.maximum)
                return words
            case VariableType.CHOICE:
                return _("one of: {options}", options=", ".join(self.options))
            case VariableType.URL:
                return _("a web address starting with https:// or http://")

    def parse(self, raw: str, zone: tzinfo | None = None) -> object:
        """The typed value for ``raw`` (already known to be non-empty), or a FieldError.
        ``zone``: the writer's time zone, for a date and time typed without an offset."""
        if len(raw) > self.max_length:
            return self._error(
                _("is {count} characters long", count=len(raw)),
                _("at most {count} characters", count=self.max_length),
            )
        if _CONTROL.search(raw):
            return self._error(_("contains control characters"))
        if self.type is VariableType.TEXT:
            return self._text(raw)
        if _LINE_BREAKS.search(raw) and self.type is not VariableType.EMAIL_LIST:
            return self._error(_("must be on one line (it contains a line break)"))
        parsed = self._PARSERS[self.type](self, raw.replace("\t", " ").strip())
        if isinstance(parsed, datetime) and parsed.tzinfo is None and zone is not None:
            return parsed.replace(tzinfo=zone)  # the wall-clock time the user meant
        return parsed

    def _error(self, problem: str, accepted: str | None = None) -> FieldError:
        return FieldError(self.name, problem, self.accepted if accepted is None else accepted)

    def _text(self, raw: str) -> str:
        text = raw.replace("\r\n", "\n").replace("\t", "    ")
        return _LINE_BREAKS.sub("\n", text).strip()

    def _string(self, text: str) -> str:
        return text

    def _email(self, text: str) -> str | FieldError:
        try:
            return _normalise_email(text)
        except EmailNotValidError as exc:
            return self._error(_("is not a valid email address: {reason}", reason=exc))

    def _date(self, text: str) -> date | FieldError:
        day = parse_date(text)
        return day if day is not None else self._error(_("is not a date I can read"))

    def _datetime(self, text: str) -> datetime | FieldError:
        moment = parse_datetime(text)
        return moment if moment is not None else self._error(_("is not a date and time I can read"))

    def _choice(self, text: str) -> str | FieldError:
        for option in self.options:
            if option.casefold() == text.casefold():
                return option
        return self._error(_("is not one of the options"))

    def _email_list(self, raw: str) -> tuple[str, ...] | FieldError:
        entries = [e.strip() for e in _LIST_SEPARATORS.split(raw) if e.strip()]
        if len(entries) > MAX_LIST_ADDRESSES:
            return self._error(_("has {count} addresses", count=len(entries)))
        addresses: list[str] = []
        bad: list[str] = []
        for entry in entries:
            try:
                address = _normalise_email(entry)
            except EmailNotValidError:
                bad.append(entry if len(entry) <= 60 else entry[:57] + "...")
                continue
            if address.casefold() not in (a.casefold() for a in addresses):
                addresses.append(address)
        if bad:
            listed = ", ".join(repr(b) for b in bad[:5]) + (" ..." if len(bad) > 5 else "")
            return self._error(
                _("has entries that are not email addresses: {listed}", listed=listed)
            )
        if not addresses:
            return self._error(_("has no email address"))
        return tuple(addresses)

    def _number(self, text: str) -> int | Decimal | FieldError:
        if not _NUMBER.fullmatch(text):
            return self._error(_("is not a number"))
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the regex admits only valid forms
            return self._error(_("is not a number"))
        if self.minimum is not None and number < self.minimum:
            return self._error(_("is below {minimum}", minimum=self.minimum))
        if self.maximum is not None and number > self.maximum:
            return self._error(_("is above {maximum}", maximum=self.maximum))
        return int(number) if "." not in text else number

    def _url(self, text: str) -> str | FieldError:
        if re.search(r"\s", text):
            return self._error(_("contains spaces"))
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 - raises ValueError for a malformed port
        except ValueError:
            return self._error(_("is not a web address"))
        if parts.scheme.lower() not in ("http", "https"):
            return self._error(_("must start with https:// or http://"))
        if not parts.hostname:
            return self._error(_("has no host name"))
        if "@" in parts.netloc:
            return self._error(_("must not carry a user name or password"))
        return text

    # Which parser reads which type (the functions above, looked up per value).
    _PARSERS: ClassVar[Mapping[VariableType, Callable[[Variable, str], object]]] = {
        VariableType.STRING: _string,
        VariableType.TEXT: _text,
        VariableType.EMAIL: _email,
        VariableType.EMAIL_LIST: _email_list,
        VariableType.DATE: _date,
        VariableType.DATETIME: _datetime,
        VariableType.NUMBER: _number,
        VariableType.CHOICE: _choice,
        VariableType.URL: _url,
    }
