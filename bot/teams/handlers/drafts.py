"""``drafts.*`` verbs and the ``/drafts`` command: unfinished emails, listed, resumed where
they were left (the form, or the preview that was not sent), or discarded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.flow.send_flow import Refused, SendFlow
from bot.teams.command_parser import Command
from bot.teams.draft_view import draft_summary
from bot.teams.steps import StepCards
from bot.teams.turn import Turn
from cards import drafts as drafts_card
from cards.verbs import DraftRef

Card = dict[str, Any]


@dataclass(frozen=True)
class Deps:
    flow: SendFlow
    steps: StepCards


async def drafts_command(deps: Deps, turn: Turn, command: Command) -> Card:
    return await listing(deps, turn)


async def resume(deps: Deps, turn: Turn, payload: DraftRef) -> Card:
    return await deps.steps.of(await deps.flow.resume(turn.user_oid, payload.draft))


async def discard(deps: Deps, turn: Turn, payload: DraftRef) -> Card:
    """Discard one draft; the list comes back without it."""
    discarded = await deps.flow.discard(turn.user_oid, payload.draft)
    if isinstance(discarded, Refused):
        return deps.steps.refused(discarded)
    return await listing(deps, turn)


async def listing(deps: Deps, turn: Turn) -> Card:
    drafts = await deps.flow.open_drafts(turn.user_oid, drafts_card.MAX_LISTED)
    catalog, zone = deps.steps.catalog, turn.time_zone
    return drafts_card.build_list([draft_summary(d, catalog, zone) for d in drafts])
