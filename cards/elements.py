"""Adaptive Card elements as the JSON Teams receives, built directly as dicts.

The typed models of ``microsoft_teams.cards`` are the schema; these functions write the same
JSON those models dump (``tests/cards/test_elements.py`` validates every element and card
built here with the models and checks that they dump it back unchanged). They exist for the
preview, the card of every compose turn: building its few dozen elements as models, then
dumping them, was about a sixth of a preview turn's CPU. The model helpers in
``cards._parts`` validate these same dicts, so an element's shape is written once.

Only what a card sets is written: no nulls, the JSON names (``isSubtle``, ``fontType``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from microsoft_teams.cards.core import (
    ActionStyle,
    ContainerStyle,
    Spacing,
    TextColor,
    TextSize,
    TextWeight,
)

from cards._common import CARD_SCHEMA, CARD_VERSION, FinishedCard

Element = dict[str, Any]


def run(
    value: str,
    *,
    size: TextSize | None = None,
    weight: TextWeight | None = None,
    color: TextColor | None = None,
    subtle: bool = False,
    monospace: bool = False,
) -> Element:
    """A ``TextRun``: plain text, never parsed as markdown."""
    element: Element = {"type": "TextRun", "text": value}
    if size is not None:
        element["size"] = size
    if weight is not None:
        element["weight"] = weight
    if color is not None:
        element["color"] = color
    if subtle:
        element["isSubtle"] = True
    if monospace:
        element["fontType"] = "Monospace"
    return element


def rich_text(
    inlines: Sequence[Element], *, spacing: Spacing | None = None, separator: bool = False
) -> Element:
    """A ``RichTextBlock`` of runs."""
    element: Element = {"type": "RichTextBlock"}
    if separator:
        element["separator"] = True
    if spacing is not None:
        element["spacing"] = spacing
    element["inlines"] = list(inlines)
    return element


def text_block(
    value: str,
    *,
    size: TextSize | None = None,
    weight: TextWeight | None = None,
    subtle: bool = False,
    spacing: Spacing | None = None,
) -> Element:
    """A wrapping ``TextBlock``: Teams parses its text as markdown, so the cards' own words
    only."""
    element: Element = {"type": "TextBlock"}
    if spacing is not None:
        element["spacing"] = spacing
    element["text"] = value
    if size is not None:
        element["size"] = size
    if weight is not None:
        element["weight"] = weight
    if subtle:
        element["isSubtle"] = True
    element["wrap"] = True
    return element


def container(
    items: Sequence[Element],
    *,
    style: ContainerStyle | None = None,
    spacing: Spacing | None = None,
) -> Element:
    element: Element = {"type": "Container"}
    if spacing is not None:
        element["spacing"] = spacing
    if style is not None:
        element["style"] = style
    element["items"] = list(items)
    return element


def action_set(actions: Sequence[Element], *, spacing: Spacing | None = None) -> Element:
    element: Element = {"type": "ActionSet"}
    if spacing is not None:
        element["spacing"] = spacing
    element["actions"] = list(actions)
    return element


def execute(
    title: str,
    verb: str,
    data: Mapping[str, str | int] | None = None,
    *,
    style: ActionStyle | None = None,
) -> Element:
    """An ``Action.Execute`` button with its verb and small, flat data."""
    element: Element = {"type": "Action.Execute", "title": title}
    if style is not None:
        element["style"] = style
    element["data"] = dict(data or {})
    element["verb"] = verb
    return element


def open_url(title: str, url: str) -> Element:
    return {"type": "Action.OpenUrl", "title": title, "url": url}


def card(body: Sequence[Element], actions: Sequence[Element], *, full_width: bool) -> Element:
    """The card itself, as ``cards._common.to_json`` gives a model's: schema and version set.
    ``full_width``: Teams shows it across the chat (``msteams.width``)."""
    finished = FinishedCard(type="AdaptiveCard", body=list(body), actions=list(actions))
    if full_width:
        finished["msteams"] = {"width": "full"}
    finished["$schema"] = CARD_SCHEMA
    finished["version"] = CARD_VERSION
    return finished
