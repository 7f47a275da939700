"""The explanation card: what happened, why, how to fix it and who can — with Retry only when
retrying makes sense.

The texts come from the explanation catalogue with addresses and names already substituted,
so they are shown as plain text runs (nothing in them becomes a link). Text between backticks
is shown in monospace; a PowerShell cmdlet (``Add-RecipientPermission …``) gets a line of its
own so it can be copied whole.
"""

from __future__ import annotations

import re
from typing import Any

from microsoft_teams.cards import AdaptiveCard, CardElement, Container, RichTextBlock, TextRun

from bot.i18n import N_, _
from cards._parts import bullets, execute, finish, heading, run, runs, section, text
from cards.blocks import one_line
from cards.views import ExplanationView

_CODE = re.compile(r"`([^`\n]+)`")
_CMDLET = re.compile(r"^[A-Z][a-z]+-[A-Z][A-Za-z]+(\s|$)")
_SPACES = re.compile(r"\s+")
_SECTION_CHARS = 2000


def build(view: ExplanationView) -> dict[str, Any]:
    body: list[CardElement] = [heading(one_line(view.title, 200), color="Attention")]
    for title, value in (
        (N_("What happened"), view.what),
        (N_("Why"), view.why),
        (N_("How to fix it"), view.fix),
        (N_("Who can fix it"), view.who),
    ):
        if value.strip():  # one paragraph per line: several fixes are numbered lines
            body.append(section(_(title)))
            body += [b for part in value[:_SECTION_CHARS].split("\n") for b in prose(part)]
    if view.other_reasons:
        body += [section(_("Also")), *bullets(view.other_reasons, limit=8)]
    ids = []
    if view.reference:
        ids.append(_("Reference {reference}", reference=one_line(view.reference, 20)))
    if view.request_id:
        ids.append(_("Mailroom request {id}", id=one_line(view.request_id, 80)))
    if view.graph_request_id:
        ids.append(_("Graph request id {id}", id=one_line(view.graph_request_id, 80)))
    if ids:
        body.append(text(" · ".join(ids), size="Small", subtle=True, spacing="Medium"))
    actions = None
    if view.retry_verb:
        actions = [execute(_("Retry"), view.retry_verb, view.retry_data, style="positive")]
    return finish(AdaptiveCard(body=body, actions=actions))


def prose(value: str) -> list[CardElement]:
    """Plain text with `code` in monospace; cmdlets on a line of their own."""
    blocks: list[CardElement] = []
    line: list[TextRun] = []

    def flush() -> None:
        if any((r.text or "").strip() for r in line):
            blocks.append(runs(line, spacing="Small"))
        line.clear()

    position = 0
    after_cmdlet = False
    for match in _CODE.finditer(value):
        code = match.group(1).strip()
        is_cmdlet = bool(_CMDLET.match(code))
        before = _between(value[position : match.start()], after_cmdlet)
        line.append(run(_lead_in(before) if is_cmdlet else before))
        after_cmdlet = is_cmdlet
        if is_cmdlet:
            flush()
            blocks.append(
                Container(
                    items=[RichTextBlock(inlines=[run(code, monospace=True)])],
                    style="emphasis",
                    spacing="Small",
                )
            )
        else:
            line.append(run(code, monospace=True))
        position = match.end()
    line.append(run(_between(value[position:], after_cmdlet)))
    flush()
    return blocks


def _between(value: str, after_cmdlet: bool) -> str:
    """Prose between code spans; after a cmdlet's own line, the sentence's leftover
    punctuation (the "." after the backtick) goes."""
    value = _SPACES.sub(" ", value)
    return value.lstrip(" .,;:)") if after_cmdlet else value


def _lead_in(value: str) -> str:
    """Prose before a cmdlet's own line: an opening bracket goes, a colon leads in."""
    value = value.rstrip(" (")
    return f"{value}:" if value[-1:].isalnum() else value
