"""Which function answers which command and which card verb."""

from __future__ import annotations

from microsoft_agents.hosting.core import TurnContext

from bot.teams.agent import Routes
from bot.teams.commands import COMMANDS
from bot.teams.invoke import CardResult, InvokeAction, InvokeResult
from bot.teams.replies import send_card
from bot.teams.turn import TurnInfo
from cards import help as help_card


def help_card_json(note: str | None = None) -> dict[str, object]:
    return help_card.build(
        [help_card.CommandHelp(c.usage, c.description) for c in COMMANDS], note=note
    )


async def on_text(turn_context: TurnContext, info: TurnInfo, text: str) -> None:
    word = text.lstrip("/").split(" ", 1)[0].lower() if text else ""
    note = None if word in ("", "help") else f"I didn't understand “{text[:80]}”."
    await send_card(turn_context, help_card_json(note))


async def on_help_verb(
    turn_context: TurnContext, info: TurnInfo, action: InvokeAction
) -> InvokeResult:
    return CardResult(help_card_json())


def build_routes() -> Routes:
    return Routes(on_text=on_text, verbs={"help.show": on_help_verb})
