"""Building blocks the card modules share: safe text, labelled values, lists, buttons, size.

The rule every card follows: **user-supplied text only ever goes into a ``TextRun``** (inside
a ``RichTextBlock``), an input's value, a choice title or a button's data — never into a
``TextBlock`` or a ``FactSet``, whose text Teams parses as markdown. ``TextBlock`` is kept for
the cards' own fixed wording (headings, hints).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from microsoft_teams.cards import (
    AdaptiveCard,
    Container,
    ExecuteAction,
    RichTextBlock,
    Spacing,
    TextBlock,
    TextColor,
    TextRun,
    TextSize,
    TextWeight,
)
from microsoft_teams.cards.core import ActionStyle

from bot.i18n import _
from cards import verbs
from cards._common import to_json

MAX_CARD_BYTES = 28 * 1024
"""Every card stays under this, measured as compact UTF-8 JSON (``card_bytes``)."""

ELLIPSIS = "…"
_SPACES = re.compile(r"\s+")


def finish(card: AdaptiveCard) -> dict[str, Any]:
    """The card as JSON for Teams (``to_json``). Whole numbers are already ints: the few
    float-typed fields the cards set go through ``whole_numbers``."""
    return to_json(card)


def card_bytes(card: Mapping[str, Any]) -> int:
    """The card's size as sent: compact JSON, UTF-8."""
    return len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode())


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters (ellipsis included), at a word break
    when one is near, ending with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space >= limit * 4 // 5:
        cut = cut[:space]
    return cut.rstrip(" \t\n,;:") + ELLIPSIS


def one_line(text: str, limit: int) -> str:
    """Whitespace (newlines included) collapsed, then clipped: for names, subjects, reasons."""
    return clip(_SPACES.sub(" ", text).strip(), limit)


def text(
    value: str,
    *,
    size: TextSize | None = None,
    weight: TextWeight | None = None,
    color: TextColor | None = None,
    subtle: bool = False,
    monospace: bool = False,
    spacing: Spacing | None = None,
    separator: bool = False,
) -> RichTextBlock:
    """One run of text that Teams shows exactly as given (never parsed as markdown)."""
    return RichTextBlock(
        inlines=[
            run(value, size=size, weight=weight, color=color, subtle=subtle, monospace=monospace)
        ],
        spacing=spacing,
        separator=separator or None,
    )


def labelled(
    label: str,
    value: str,
    *,
    color: TextColor | None = None,
    subtle: bool = False,
    spacing: Spacing | None = None,
) -> RichTextBlock:
    """A "Label: value" line that wraps; the label bold, the value plain text."""
    return RichTextBlock(
        inlines=[
            run(_("{label}: ", label=label), weight="Bolder", subtle=subtle),
            run(value, color=color, subtle=subtle),
        ],
        spacing=spacing,
    )


def outside_warning(addresses: str, *, spacing: Spacing | None = "Small") -> Container:
    """ "Outside your organisation: …" in Teams' attention style: an ``attention`` container
    (the host's own tinted surface, light, dark or high contrast) with the label in the
    attention colour and bold, and the addresses in the container's default colour, the
    strongest contrast every theme has. Never the yellow ``warning`` colour on white."""
    return Container(
        style="attention",
        spacing=spacing,
        items=[
            RichTextBlock(
                inlines=[
                    run(_("Outside your organisation: "), weight="Bolder", color="Attention"),
                    run(addresses, weight="Bolder"),
                ]
            )
        ],
    )


def heading(
    value: str, *, size: TextSize = "Medium", color: TextColor | None = None
) -> RichTextBlock:
    """A card's title. Titles may carry user or catalogue text, so they are runs too."""
    return text(value, size=size, weight="Bolder", color=color)


def section(title: str, *, subtle: bool = False) -> TextBlock:
    """A fixed section heading (the card's own words only)."""
    return TextBlock(
        text=title,
        weight="Bolder",
        wrap=True,
        spacing="Medium",
        is_subtle=subtle or None,
    )


def hint(value: str) -> TextBlock:
    """A small, subtle line of the card's own words."""
    return TextBlock(text=value, wrap=True, size="Small", is_subtle=True)


def bullets(
    items: Sequence[str],
    *,
    limit: int,
    item_chars: int = 300,
    color: TextColor | None = None,
    subtle: bool = False,
) -> list[RichTextBlock]:
    """One "• item" line per item, at most ``limit`` of them, then "and N more"."""
    shown = [
        RichTextBlock(
            inlines=[run(f"• {one_line(item, item_chars)}", color=color, subtle=subtle)],
            spacing="None",
        )
        for item in items[:limit]
    ]
    if len(items) > limit:
        more = len(items) - limit
        shown.append(
            RichTextBlock(
                inlines=[run(_("and {more} more", more=more), subtle=True)], spacing="None"
            )
        )
    return shown


def paragraphs(body: str, *, max_chars: int, max_lines: int) -> list[RichTextBlock]:
    """A multi-line text as one block per line (runs do not keep line breaks), cut politely
    after ``max_chars`` characters or ``max_lines`` lines; blank lines become spacing."""
    shortened = clip(body.strip(), max_chars)
    lines: list[tuple[str, bool]] = []  # (line, blank line before it)
    gap = False
    for line in shortened.splitlines():
        if line.strip():
            lines.append((line.rstrip(), gap and bool(lines)))
        gap = not line.strip()
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last, last_gap = lines[-1]
        if not last.endswith(ELLIPSIS):
            lines[-1] = (last + ELLIPSIS, last_gap)
    return [
        RichTextBlock(inlines=[run(line)], spacing="Medium" if gap else "None")
        for line, gap in lines
    ]


def people(addresses: Sequence[str], *, shown: int, item_chars: int = 120) -> str:
    """The first few addresses, then "and N more" (everyone, when there are few)."""
    names = [one_line(a, item_chars) for a in addresses[:shown]]
    listed = ", ".join(names)
    more = len(addresses) - len(names)
    if more > 0:
        return _("{listed} and {more} more", listed=listed, more=more)
    return listed


def execute(
    title: str,
    verb: str,
    data: Mapping[str, str | int] | None = None,
    *,
    style: ActionStyle | None = None,
) -> ExecuteAction:
    """An ``Action.Execute`` button with its verb and small, flat data."""
    return ExecuteAction(title=title, verb=verb, data=dict(data or {}), style=style)


def request_data(request_id: str, version: int) -> dict[str, str | int]:
    return verbs.RequestAt(request_id, version).data()


def draft_data(draft_id: str, version: int) -> dict[str, str | int]:
    return verbs.DraftRef(draft_id, version).data()


def is_web_url(url: str | None) -> bool:
    """Only http(s) links become "open" buttons."""
    return bool(url) and str(url).lower().startswith(("https://", "http://"))


def count(n: int, one: str, many: str | None = None) -> str:
    """A count with its noun: "1 message", "3 messages"."""
    word = one if n == 1 else (many or f"{one}s")
    return f"{n:,} {word}"


def run(
    value: str,
    *,
    size: TextSize | None = None,
    weight: TextWeight | None = None,
    color: TextColor | None = None,
    subtle: bool = False,
    monospace: bool = False,
) -> TextRun:
    """One plain-text run (never parsed as markdown)."""
    return TextRun(
        text=value,
        size=size,
        weight=weight,
        color=color,
        is_subtle=subtle or None,
        font_type="Monospace" if monospace else None,
    )


def runs(pieces: Iterable[TextRun], *, spacing: Spacing | None = None) -> RichTextBlock:
    """A line made of several runs (e.g. prose with a monospace command in it)."""
    return RichTextBlock(inlines=list(pieces), spacing=spacing)


def fit(*builders: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The first card, from fullest to leanest, that fits under ``MAX_CARD_BYTES`` (the
    leanest one when none does: the caller's last builder must be small by construction)."""
    card: dict[str, Any] = {}
    for build in builders:
        card = build()
        if card_bytes(card) < MAX_CARD_BYTES:
            return card
    return card
