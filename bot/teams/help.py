"""The help card, built from the command catalogue."""

from __future__ import annotations

from typing import Any

from bot.teams.commands import COMMANDS
from cards import help as help_card


def help_card_json(note: str | None = None) -> dict[str, Any]:
    return help_card.build(
        [help_card.CommandHelp(c.usage, c.description) for c in COMMANDS], note=note
    )
