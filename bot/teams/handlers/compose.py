"""``compose.*`` verbs and the ``/templates`` command: picking a template, filling it in
(problems come back on the same card, next to their fields), previewing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx

from bot.domain.attachments import SESSION_MAXIMUM, describe
from bot.flow.bundles import is_zip
from bot.flow.send_flow import Compose, Refused, SendFlow
from bot.i18n import _
from bot.netclient import Timeouts
from bot.rendering import TemplateCatalog
from bot.teams.command_parser import Command
from bot.teams.files import SharedFile, download
from bot.teams.steps import StepCards
from bot.teams.template_guide import guide
from bot.teams.turn import Turn
from cards import notice as notice_card
from cards import template_guide as template_guide_card
from cards.verbs import ComposeInputs, DraftRef, FileChoice, TemplateChoice

Card = dict[str, Any]


@dataclass(frozen=True)
class Deps:
    flow: SendFlow
    steps: StepCards
    catalog: TemplateCatalog


async def template(deps: Deps, turn: Turn, payload: TemplateChoice) -> Card:
    result = await deps.flow.choose_template(
        turn.user_oid, payload.draft, payload.version, payload.template
    )
    return await deps.steps.of(result)


async def preview(deps: Deps, turn: Turn, payload: ComposeInputs) -> Card:
    result = await deps.flow.preview(
        turn.user_oid, payload.draft, payload.version, payload.inputs, turn.time_zone
    )
    return await deps.steps.of(result)


@dataclass(frozen=True)
class FileDeps:
    flow: SendFlow
    steps: StepCards
    http: httpx.AsyncClient
    hosts: tuple[str, ...]
    max_bytes: int
    timeouts: Timeouts


async def remove_file(deps: Deps, turn: Turn, payload: FileChoice) -> Card:
    result = await deps.flow.remove_attachment(
        turn.user_oid, payload.draft, payload.version, payload.sha256
    )
    return await deps.steps.of(result)


async def files_sent(deps: FileDeps, turn: Turn, files: Sequence[SharedFile]) -> Card:
    """Files sent in the chat go onto the open compose card, which comes back with them
    listed; a file that could not be fetched is named with the reason."""
    problems: list[str] = []
    step = None
    for file in files:
        # A zip carries a bulk send's per-row files: it may be larger than one email.
        cap = max(deps.max_bytes, SESSION_MAXIMUM) if is_zip(file.name) else deps.max_bytes
        data = await download(
            deps.http, file, hosts=deps.hosts, max_bytes=cap, timeouts=deps.timeouts
        )
        if isinstance(data, str):
            problems.append(f"{file.name} was not attached: {data}.")
            continue
        step = await deps.flow.attach(turn.user_oid, describe(file.name, file.content_type, data))
    if step is None:
        return notice_card.build(_("No file attached"), "\n".join(problems))
    if problems and isinstance(step, Compose):
        step = replace(step, general=(*step.general, *problems))
    return await deps.steps.of(step)


async def cancel(deps: Deps, turn: Turn, payload: DraftRef) -> Card:
    """Nothing to undo (a draft that is never previewed is never sent); the draft is
    discarded, so /drafts and /send no longer offer it."""
    discarded = await deps.flow.discard(turn.user_oid, payload.draft)
    if isinstance(discarded, Refused):
        return deps.steps.refused(discarded)
    return notice_card.build(_("Cancelled"), _("Nothing was sent."))


async def templates_command(deps: Deps, turn: Turn, command: Command) -> Card:
    catalog, name = deps.catalog, command.argument
    if name and name in catalog:
        senders = await deps.flow.senders(turn.user_oid)
        own = senders[0].sender.address  # the user's own mailbox comes first
        return template_guide_card.build(guide(catalog.get(name), senders, own))
    lines = [f"• {n}: {catalog.get(n).title}" for n in catalog.names()]
    title = (
        _("Templates") if not name else _("No template called {name}; these exist", name=name[:60])
    )
    return notice_card.build(title, "\n".join(lines))
