"""A small card for short news: "temporarily unavailable", "this card is out of date"."""

from __future__ import annotations

from typing import Any

from microsoft_teams.cards import AdaptiveCard

from bot.i18n import _
from cards._parts import execute, finish, heading, paragraphs
from cards.blocks import one_line

_TEXT_CHARS = 2000


def build(
    title: str,
    text: str,
    *,
    retry_verb: str | None = None,
    data: dict[str, str] | None = None,
    action_title: str | None = None,
) -> dict[str, Any]:
    """``title`` and ``text`` are shown as plain text (one line per line of ``text``); a
    button (``action_title``, verb ``retry_verb`` with ``data``) only when ``retry_verb``
    is given (``action_title`` defaults to "Retry")."""
    card = AdaptiveCard(
        body=[
            heading(one_line(title, 200)),
            *paragraphs(text, max_chars=_TEXT_CHARS, max_lines=20),
        ],
        actions=[execute(one_line(action_title or _("Retry"), 60), retry_verb, data)]
        if retry_verb
        else None,
    )
    return finish(card)
