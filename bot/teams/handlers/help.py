"""``help.show`` and ``/help``: the help card, built from the command catalogue. Needs
nothing, so it answers from the first second (before the services are up)."""

from __future__ import annotations

from typing import Any

from bot.i18n import _
from bot.teams.command_parser import ParseError
from bot.teams.commands import COMMANDS
from bot.teams.turn import Turn
from cards import help as help_card
from cards.verbs import NoData


def help_card_json(note: str | None = None) -> dict[str, Any]:
    return help_card.build(
        [help_card.CommandHelp(c.usage, _(c.description)) for c in COMMANDS], note=note
    )


def likely_card_json(note: str, names: tuple[str, ...]) -> dict[str, Any]:
    by_name = {c.name: c for c in COMMANDS}
    shown = [by_name[n] for n in names if n in by_name]
    return help_card.build_likely(
        note, [help_card.CommandHelp(c.usage, _(c.description)) for c in shown]
    )


async def show(turn: Turn, payload: NoData) -> dict[str, Any]:
    return help_card_json()


def not_understood_card_json(error: ParseError) -> dict[str, Any]:
    """Text that is no command: the three likely commands, or the help with what was wrong."""
    if error.likely:
        return likely_card_json(error.note, error.likely)
    return help_card_json(error.note)
