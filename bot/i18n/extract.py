"""Keeps the catalogue in step with the code: ``python -m bot.i18n.extract``.

Collects every ``_``, ``n_`` and ``N_`` text from ``bot/`` and ``cards/``, and each tenant
requirement's ``what`` and ``fix`` from ``bot/tenant-requirements.toml`` (the sign-in
explanations show them), into ``locales/messages.pot``, then updates each language's ``.po``:
new texts are added (English gets its own text, other languages an empty translation to fill),
removed texts dropped, translations kept. ``tests/i18n`` fails while a text is missing or
untranslated."""

from __future__ import annotations

import copy
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.i18n.catalog import DEFAULT, SUPPORTED, TEMPLATE, po_path
from bot.tenant_requirements import STATEMENT

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("bot", "cards")
KEYWORDS = {"_": None, "n_": (1, 2), "N_": None}
_OPTIONS = {"width": 100, "omit_header": False, "sort_output": True}
# A fixed header date: the files change only when a text does.
_HEADER = {
    "project": "Mailroom",
    "version": "1",
    "copyright_holder": "Mailroom",
    "msgid_bugs_address": "",
    "last_translator": "",
    "language_team": "",
    "creation_date": datetime(2026, 1, 1, tzinfo=UTC),
    "revision_date": datetime(2026, 1, 1, tzinfo=UTC),
    "fuzzy": False,
}


def template() -> Catalog:
    """Every text the code marks, as Babel extracts it."""
    catalog = Catalog(**_HEADER)  # type: ignore[arg-type]
    for folder in SOURCES:
        found = extract_from_dir(
            ROOT / folder,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=("i18n:",),
        )
        for filename, lineno, message, comments, context in found:
            location = (f"{folder}/{filename}", lineno)
            catalog.add(message, locations=[location], auto_comments=comments, context=context)
    _requirements(catalog)
    return catalog


def _requirements(catalog: Catalog) -> None:
    """The statement's texts as written (``{app_id}`` unfilled: the code translates them
    first, then fills it in), each noted with the requirement it belongs to."""
    source = STATEMENT.read_text(encoding="utf-8")
    lines = source.splitlines()
    location = STATEMENT.relative_to(ROOT).as_posix()
    for entry in tomllib.loads(source)["requirement"]:
        line = lines.index(f'id = "{entry["id"]}"') + 1
        for key in ("what", "fix"):
            note = (
                f"i18n: tenant requirement {entry['id']} ({key}); keep ids, permission and "
                "role names, cmdlets and GUIDs as they are; portal names as Microsoft's German "
                "portal shows them"
            )
            catalog.add(entry[key], locations=[(location, line)], auto_comments=[note])


def _flags(catalog: Catalog) -> None:
    for message in catalog:
        if message.id and any("{" in part for part in _parts(message.id)):
            message.flags.add("python-brace-format")


def _parts(message_id: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return (message_id,) if isinstance(message_id, str) else tuple(message_id)


def update(code: str, pot: Catalog) -> Catalog:
    path = po_path(code)
    if path.exists():
        with path.open("rb") as source:
            catalog = read_po(source, locale=code)
    else:
        catalog = Catalog(locale=code, **_HEADER)  # type: ignore[arg-type]
    catalog.update(copy.deepcopy(pot), no_fuzzy_matching=True)  # update shares its messages
    catalog.obsolete.clear()
    catalog.revision_date = pot.revision_date
    catalog.creation_date = pot.creation_date
    for message in catalog:
        if not message.id:
            continue
        message.flags.discard("fuzzy")
        if code == DEFAULT:
            message.string = message.id
    return catalog


def main() -> int:
    pot = template()
    _flags(pot)
    with TEMPLATE.open("wb") as out:
        write_po(out, pot, **_OPTIONS)  # type: ignore[arg-type]
    for code in SUPPORTED:
        catalog = update(code, pot)
        with po_path(code).open("wb") as out:
            write_po(out, catalog, include_previous=False, **_OPTIONS)  # type: ignore[arg-type]
        missing = len([m for m in catalog if m.id and not all(_parts(m.string or ""))])
        print(f"{code}: {len(catalog)} texts, {missing} to translate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
