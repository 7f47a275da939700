"""The blocks the cards share, as JSON (``cards.elements``): safe text, labelled values,
lists, and the limits every shown text is cut to.

The rule every card follows: **user-supplied text only ever goes into a ``TextRun``** (inside
a ``RichTextBlock``), an input's value, a choice title or a button's data — never into a
``TextBlock`` or a ``FactSet``, whose text Teams parses as markdown. ``TextBlock`` is kept for
the cards' own fixed wording (headings, hints). ``cards._parts`` gives the same blocks as the
typed models, for the cards built from models.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from microsoft_teams.cards.core import Spacing, TextColor, TextSize, TextWeight

from bot.i18n import _
from cards import elements
from cards.elements import Element

ELLIPSIS = "…"
_SPACES = re.compile(r"\s+")


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


def people(addresses: Sequence[str], *, shown: int, item_chars: int = 120) -> str:
    """The first few addresses, then "and N more" (everyone, when there are few)."""
    names = [one_line(a, item_chars) for a in addresses[:shown]]
    listed = ", ".join(names)
    more = len(addresses) - len(names)
    if more > 0:
        return _("{listed} and {more} more", listed=listed, more=more)
    return listed


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
) -> Element:
    """One run of text that Teams shows exactly as given (never parsed as markdown)."""
    shown = elements.run(
        value, size=size, weight=weight, color=color, subtle=subtle, monospace=monospace
    )
    return elements.rich_text([shown], spacing=spacing, separator=separator)


def labelled(
    label: str,
    value: str,
    *,
    color: TextColor | None = None,
    subtle: bool = False,
    spacing: Spacing | None = None,
) -> Element:
    """A "Label: value" line that wraps; the label bold, the value plain text."""
    return elements.rich_text(
        [
            elements.run(_("{label}: ", label=label), weight="Bolder", subtle=subtle),
            elements.run(value, color=color, subtle=subtle),
        ],
        spacing=spacing,
    )


def outside_warning(addresses: str, *, spacing: Spacing | None = "Small") -> Element:
    """ "Outside your organisation: …" in Teams' attention style: an ``attention`` container
    (the host's own tinted surface, light, dark or high contrast) with the label in the
    attention colour and bold, and the addresses in the container's default colour, the
    strongest contrast every theme has. Never the yellow ``warning`` colour on white."""
    warning = elements.rich_text(
        [
            elements.run(_("Outside your organisation: "), weight="Bolder", color="Attention"),
            elements.run(addresses, weight="Bolder"),
        ]
    )
    return elements.container([warning], style="attention", spacing=spacing)


def heading(value: str, *, size: TextSize = "Medium", color: TextColor | None = None) -> Element:
    """A card's title. Titles may carry user or catalogue text, so they are runs too."""
    return text(value, size=size, weight="Bolder", color=color)


def section(title: str, *, subtle: bool = False) -> Element:
    """A fixed section heading (the card's own words only)."""
    return elements.text_block(title, weight="Bolder", subtle=subtle, spacing="Medium")


def hint(value: str) -> Element:
    """A small, subtle line of the card's own words."""
    return elements.text_block(value, size="Small", subtle=True)


def bullets(
    items: Sequence[str],
    *,
    limit: int,
    item_chars: int = 300,
    color: TextColor | None = None,
    subtle: bool = False,
) -> list[Element]:
    """One "• item" line per item, at most ``limit`` of them, then "and N more"."""
    shown = [
        elements.rich_text(
            [elements.run(f"• {one_line(item, item_chars)}", color=color, subtle=subtle)],
            spacing="None",
        )
        for item in items[:limit]
    ]
    if len(items) > limit:
        more = len(items) - limit
        shown.append(
            elements.rich_text(
                [elements.run(_("and {more} more", more=more), subtle=True)], spacing="None"
            )
        )
    return shown


def paragraphs(body: str, *, max_chars: int, max_lines: int) -> list[Element]:
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
        elements.rich_text([elements.run(line)], spacing="Medium" if gap else "None")
        for line, gap in lines
    ]
