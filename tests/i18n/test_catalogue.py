"""The catalogue is complete: every text the code marks is in it, English and German alike, and
every translation keeps its placeholders."""

from __future__ import annotations

import asyncio
import re
import string
from dataclasses import replace
from datetime import time
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.domain.schedule import SendWindow
from bot.i18n import _, current, format_datetime, format_number, n_, use_language
from bot.i18n.catalog import SUPPORTED, TEMPLATE, po_path
from bot.i18n.extract import template
from bot.tenant_requirements import UNFILLED, load_requirements


def _read(path: str) -> Catalog:
    with open(path, "rb") as source:
        return read_po(source)


def _ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_template_holds_every_marked_text() -> None:
    """Run ``python -m bot.i18n.extract`` when this fails."""
    assert _ids(template()) == _ids(_read(str(TEMPLATE)))


@pytest.mark.parametrize("code", SUPPORTED)
def test_every_language_translates_every_text(code: str) -> None:
    catalog = _read(str(po_path(code)))
    assert _ids(catalog) == _ids(_read(str(TEMPLATE)))
    untranslated = [
        m.id
        for m in catalog
        if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    assert untranslated == []


@pytest.mark.parametrize("code", SUPPORTED)
def test_translations_keep_their_placeholders(code: str) -> None:
    wrong = []
    for message in _read(str(po_path(code))):
        if not message.id:
            continue
        ids = (message.id,) if isinstance(message.id, str) else message.id
        strings = (message.string,) if isinstance(message.string, str) else message.string
        wanted = set().union(*(_fields(i) for i in ids))
        for text in strings:
            if _fields(text) - wanted or (len(ids) == 1 and _fields(text) != wanted):
                wrong.append((ids[0], text))
    assert wrong == []


def test_the_language_follows_the_activity_locale() -> None:
    with use_language("de-DE"):
        assert current().code == "de"
    with use_language("de"):
        assert current().code == "de"
    for tag in ("en-GB", "fr-FR", "", None, "not a tag!"):
        with use_language(tag):
            assert current().code == "en"


def test_numbers_and_dates_follow_the_language() -> None:
    from datetime import UTC, datetime

    moment = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    with use_language("en-US"):
        assert format_number(1234) == "1,234"
        assert format_datetime(moment) == "26 Nov 2026, 10:00"
    with use_language("de-DE"):
        assert format_number(1234) == "1.234"
        assert format_datetime(moment) == "26.11.2026, 10:00"


async def test_concurrent_turns_keep_their_own_language() -> None:
    """Each asyncio task has its own copy of the language: a German turn waiting while an
    English one runs still speaks German afterwards."""
    german_set = asyncio.Event()
    english_done = asyncio.Event()

    async def german() -> str:
        with use_language("de-DE"):
            german_set.set()
            await english_done.wait()
            return _("Help")

    async def english() -> str:
        await german_set.wait()
        with use_language("en-GB"):
            text = _("Help")
        english_done.set()
        return text

    assert await asyncio.gather(german(), english()) == ["Hilfe", "Help"]
    assert current().code == "en"


def test_plural_forms_fill_the_count_for_the_language() -> None:
    with use_language("de"):
        assert n_("{count} recipient", "{count} recipients", 1200) == "1.200 Empfänger"
        assert n_("{count} recipient", "{count} recipients", 1) == "1 Empfänger"


# Identifiers inside a requirement's texts: permissions, URIs, GUIDs, cmdlets and their
# parameters, settings and file names. A translation keeps each byte for byte.
_TECHNICAL = re.compile(r"\S[._:/]\S|^-[A-Z]|^[A-Z]\w+-[A-Z]|^[0-9a-f]{8}-|^[A-Z]\w*[0-9]$")


def _identifiers(text: str) -> list[str]:
    words = (word.strip("\"'()<>.,;:") for word in text.split())
    return [word for word in words if _TECHNICAL.search(word)]


def test_the_tenant_requirements_texts_are_in_the_catalogue_with_their_ids() -> None:
    """The sign-in explanations show a requirement's ``what`` and ``fix``: each is a
    catalogue text, noted with the requirement's id, with no placeholder but ``{app_id}``
    (the code fills only that one)."""
    pot = _read(str(TEMPLATE))
    for requirement in load_requirements(UNFILLED):
        for text in (requirement.what, requirement.fix):
            message = pot.get(text)
            assert message is not None, text
            assert any(f"tenant requirement {requirement.id} " in c for c in message.auto_comments)
            assert _fields(text) <= {"app_id"}, text


def test_german_keeps_the_requirements_identifiers() -> None:
    german = _read(str(po_path("de")))
    kept = []
    for requirement in load_requirements(UNFILLED):
        for text in (requirement.what, requirement.fix):
            translated = german[text].string
            assert isinstance(translated, str)
            assert translated != text
            kept += [(token, token in translated) for token in _identifiers(text)]
    assert [token for token, found in kept if not found] == []
    assert ("api://botid-{app_id}/access_as_user", True) in kept  # the scan finds them
    assert ("5e3ce6c0-2b1f-4285-8d4b-75ee78787346", True) in kept


def test_send_windows_name_days_and_times_as_the_language_does() -> None:
    window = SendWindow(frozenset(range(5)), time(8, 0), time(18, 0), ZoneInfo("Europe/Berlin"))
    some_days = replace(window, days=frozenset({0, 2, 4}))
    with use_language("en-GB"):
        assert window.summary() == "Mon–Fri 08:00–18:00 (Europe/Berlin)"
        assert some_days.summary() == "Mon, Wed, Fri 08:00–18:00 (Europe/Berlin)"
    with use_language("de-DE"):
        assert window.summary() == "Mo.–Fr. 08:00–18:00 (Europe/Berlin)"
        assert some_days.summary() == "Mo., Mi., Fr. 08:00–18:00 (Europe/Berlin)"


def test_why_exchange_rights_are_unknown_is_said_in_the_language() -> None:
    """The reason goes into the card's explanation (``exchange_unavailable``)."""
    from bot.errors import ExchangeError, GraphTransportError
    from bot.flow.facts import _problem

    with use_language("en-GB"):
        assert _problem(ExchangeError(503, "ServiceUnavailable")) == (
            "Exchange answered 503 ServiceUnavailable"
        )
        assert _problem(ExchangeError(0, "")) == "Exchange answered nothing"
    with use_language("de-DE"):
        assert _problem(ExchangeError(503, "ServiceUnavailable")) == (
            "Exchange antwortete mit 503 ServiceUnavailable"
        )
        assert _problem(GraphTransportError("not", "timeout")) == (
            "Microsoft Graph konnte nicht sagen, in welchen Gruppen Sie sind"
        )
