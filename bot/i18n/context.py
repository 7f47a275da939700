"""The language of the turn being answered, and the functions that translate with it.

A ``ContextVar`` rather than a parameter through every card builder: asyncio gives each task a
copy of the context it was started from, so a turn's language reaches the cards it builds,
and a concurrent turn (another task) never sees it. Work outside a turn (progress cards, approver
notices) sets the language of the conversation it writes to (``use_locale_of``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from babel.numbers import format_decimal

from bot.i18n.catalog import DEFAULT, Language, language, language_for

_CURRENT: ContextVar[Language | None] = ContextVar("mailroom_language", default=None)


def current() -> Language:
    return _CURRENT.get() or language(DEFAULT)


@contextmanager
def use_language(tag: str | None) -> Iterator[Language]:
    """Translate in the language for ``tag`` (``activity.locale``) until the block ends."""
    yield from _using(language_for(tag))


def _using(chosen: Language) -> Iterator[Language]:
    token = _CURRENT.set(chosen)
    try:
        yield chosen
    finally:
        _CURRENT.reset(token)


@contextmanager
def use_locale_of(reference: Mapping[str, object] | None) -> Iterator[Language]:
    """The language of a stored conversation reference (its ``locale``, as the activity that
    saved it carried it); without one, the language already in use (the current turn's, or
    English outside any turn)."""
    tag = reference.get("locale") if reference else None
    yield from _using(language_for(tag) if isinstance(tag, str) and tag else current())


def _(message: str, /, **values: object) -> str:
    """``message`` in the turn's language, its ``{placeholders}`` filled from ``values``."""
    text = current().gettext(message)
    return text.format(**values) if values else text


def n_(singular: str, plural: str, count: int, /, **values: object) -> str:
    """The singular or plural form for ``count`` (its ``{count}`` placeholder is filled with the
    number formatted for the language, unless ``values`` gives it)."""
    language = current()
    text = language.ngettext(singular, plural, count)
    return text.format(**{"count": format_decimal(count, locale=language.locale), **values})


def N_(message: str, /) -> str:  # noqa: N802 - gettext's name for "mark only"
    """Marks a text for the catalogue where it is defined; ``_`` translates it where shown."""
    return message
