"""The welcome card the bot posts when it is installed: what Mailroom does, and where to start."""

from __future__ import annotations

from typing import Any

from microsoft_teams.cards import AdaptiveCard, TextBlock

from bot.i18n import _
from cards import verbs
from cards._parts import execute, finish, heading
from cards.blocks import one_line

_NAME_CHARS = 80


def build(user_name: str | None, waiting: str | None = None) -> dict[str, Any]:
    """``user_name`` is the person's Teams display name, shown as plain text; ``waiting``:
    "2 requests wait for your approval (type /approvals)", for an approver."""
    name = one_line(user_name or "", _NAME_CHARS)
    greeting = _("Welcome to Mailroom, {name}", name=name) if name else _("Welcome to Mailroom")
    card = AdaptiveCard(
        body=[
            heading(greeting, size="Large"),
            TextBlock(
                text=_(
                    "Send email as a colleague who granted you Send As or Send on Behalf, "
                    "from a shared mailbox, or from a no-reply mailbox."
                ),
                wrap=True,
            ),
            TextBlock(
                text=_(
                    "Pick a sender and a template, see exactly what recipients will see, "
                    "and get a clear answer about what happened."
                ),
                wrap=True,
            ),
            *(
                [TextBlock(text=waiting, wrap=True, weight="Bolder", color="Attention")]
                if waiting
                else []
            ),
        ],
        actions=[
            execute(_("Send an email"), verbs.SEND_START, style="positive"),
            execute(_("Help"), verbs.HELP),
        ],
    )
    return finish(card)
