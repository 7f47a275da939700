"""The help card: what Mailroom does and every command it understands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from microsoft_teams.cards import (
    AdaptiveCard,
    ExecuteAction,
    Fact,
    FactSet,
    RichTextBlock,
    TextBlock,
    TextRun,
)

from bot.i18n import _
from cards import verbs
from cards._common import to_json


@dataclass(frozen=True)
class CommandHelp:
    usage: str
    description: str


def build(commands: Sequence[CommandHelp], *, note: str | None = None) -> dict[str, Any]:
    """``note`` is shown first, e.g. "I didn't understand 'foo'" (escaped: it may echo
    what the user typed)."""
    body: list[Any] = []
    if note:  # may echo what the user typed: a TextRun, never parsed as markdown
        body.append(RichTextBlock(inlines=[TextRun(text=note, color="Attention")]))
    body += [
        TextBlock(text="Mailroom", size="Large", weight="Bolder", wrap=True),
        TextBlock(
            text=_(
                "Send email as a colleague who granted you Send As or Send on Behalf, "
                "from a shared mailbox, or from a no-reply mailbox. Pick a sender and a "
                "template, preview exactly what recipients will see, get approval when "
                "policy asks for it, and see what happened."
            ),
            wrap=True,
        ),
        TextBlock(text=_("Commands"), weight="Bolder", wrap=True, spacing="Medium"),
        FactSet(facts=[Fact(title=c.usage, value=c.description) for c in commands]),
        TextBlock(text=_("Bulk send"), weight="Bolder", wrap=True, spacing="Medium"),
        TextBlock(
            text=_(
                "One personalised message per recipient: start /send, pick the sender and "
                "template, and paste a CSV into “Personalised bulk send”. Its first row is "
                "`email` and the template's variables (e.g. `email,customer_name`), then one "
                "row per recipient; a column fills its variable row by row. The preview pages "
                "through the rows, and the final card lists every recipient's result, also "
                "as a CSV file."
            ),
            wrap=True,
        ),
        TextBlock(
            text=_(
                "The leading / is optional, and plain sentences work too (“send an email "
                "from support”). In group chats and channels, @mention Mailroom first."
            ),
            wrap=True,
            is_subtle=True,
            size="Small",
        ),
    ]
    card = AdaptiveCard(
        body=body,
        actions=[ExecuteAction(title=_("Send an email"), verb=verbs.SEND_START, data={})],
    )
    return to_json(card)


def build_likely(note: str, commands: Sequence[CommandHelp]) -> dict[str, Any]:
    """For text Mailroom did not understand: ``note`` and the few commands it was closest
    to, each with its usage, and a way to the full list."""
    body: list[Any] = [
        RichTextBlock(inlines=[TextRun(text=note, color="Attention")]),
        TextBlock(text=_("Perhaps one of these?"), weight="Bolder", wrap=True, spacing="Medium"),
        FactSet(facts=[Fact(title=c.usage, value=c.description) for c in commands]),
        TextBlock(
            text=_("You can also ask in plain words, e.g. “send an email from support”."),
            wrap=True,
            is_subtle=True,
            size="Small",
        ),
    ]
    card = AdaptiveCard(
        body=body, actions=[ExecuteAction(title=_("All commands"), verb=verbs.HELP, data={})]
    )
    return to_json(card)
