"""``/templates <name>``: one template explained — each variable's name, type, whether it
is required and an example — and a one-line ``/send`` ready to copy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from microsoft_teams.cards import AdaptiveCard, Container

from bot.i18n import _
from cards import verbs
from cards._parts import execute, finish, heading, hint, paragraphs, run, runs, section
from cards.blocks import one_line

_SHOWN = 30  # a template with more variables is unusual; the card stays small
_EXAMPLE_CHARS = 120


@dataclass(frozen=True)
class VariableGuide:
    name: str
    type: str  # string | text | email | … (the template's word)
    required: bool
    example: str
    label: str = ""


@dataclass(frozen=True)
class TemplateGuideView:
    name: str
    title: str
    description: str
    variables: Sequence[VariableGuide]
    command: str  # the ready one-line /send
    sender: str | None = None  # the sender the command uses, offered as a button


def build(view: TemplateGuideView) -> dict[str, Any]:
    body: list[Any] = [
        heading(one_line(view.title, 200)),
        *paragraphs(view.description, max_chars=1000, max_lines=6),
        section(_("Variables")),
    ]
    body += [_variable(v) for v in view.variables[:_SHOWN]]
    if not view.variables:
        body.append(hint(_("This template has no variables.")))
    body += [
        section(_("Send it in one line")),
        Container(items=[runs([run(view.command[:4000], monospace=True)])], style="emphasis"),
        hint(
            _(
                "Copy it, change the values and send it to Mailroom: you see a preview first. "
                "Quote values with spaces."
            )
        ),
    ]
    actions = None
    if view.sender:
        actions = [
            execute(
                _("Fill it in from {sender}", sender=one_line(view.sender, 60)),
                verbs.PICK_SENDER,
                {"sender": view.sender},
            )
        ]
    return finish(AdaptiveCard(body=body, actions=actions))


def _variable(variable: VariableGuide) -> Container:
    need = _("required") if variable.required else _("optional")
    details = f" · {variable.type} · {need}"
    lines = [
        runs(
            [
                run(one_line(variable.name, 80), weight="Bolder", monospace=True),
                run(details, subtle=True),
            ]
        ),
    ]
    if variable.label:
        lines.append(runs([run(one_line(variable.label, 200))], spacing="None"))
    if variable.example:
        example = one_line(variable.example, _EXAMPLE_CHARS)
        lines.append(runs([run(_("Example: "), subtle=True), run(example)], spacing="None"))
    return Container(items=lines, spacing="Small")
