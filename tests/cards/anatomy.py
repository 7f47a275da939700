"""Reading a card's JSON in tests: its elements, actions, inputs, texts, and the checks every
card must pass (version, size, known verbs, no user text where Teams parses markdown)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

from cards import verbs

MAX_BYTES = 28 * 1024
# Teams Store rule "Bots and Adaptive Cards": "only include up to six actions".
MAX_ACTIONS = 6
KNOWN_VERBS = frozenset(
    value for name, value in vars(verbs).items() if name.isupper() and isinstance(value, str)
)

# Text that would turn into a link, emphasis, a heading, a list or a mention if Teams parsed it.
HOSTILE = (
    "[click](https://evil.example)",
    "**bold**",
    "_em_ ~~gone~~",
    "# Heading",
    "- item\n1. item",
    "<at>Megan</at> <https://evil.example>",
    "`code` \\*",
)
MARK = "¤"  # never in the cards' own words: where it shows up, user text went


def user_text(min_size: int = 0, max_size: int = 200) -> st.SearchStrategy[str]:
    """Arbitrary user text, marked so tests can see where it lands."""
    return st.text(min_size=min_size, max_size=max_size).map(lambda s: f"{MARK}{s}")


def nodes(card: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in the card, depth first."""
    if isinstance(card, dict):
        yield card
        for value in card.values():
            yield from nodes(value)
    elif isinstance(card, list):
        for item in card:
            yield from nodes(item)


def of_type(card: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [n for n in nodes(card) if n.get("type") == type_]


def executes(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Action.Execute the user can press (the refresh action is not one)."""
    refresh = card.get("refresh", {}).get("action")
    return [n for n in of_type(card, "Action.Execute") if n is not refresh]


def by_verb(card: dict[str, Any], verb: str) -> dict[str, Any]:
    found = [a for a in executes(card) if a["verb"] == verb]
    assert len(found) == 1, f"expected one {verb!r} action, found {len(found)}"
    return found[0]


def buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every action the user can press: the card's ``actions``, each ActionSet's, and those of
    a card an Action.ShowCard opens (the refresh action and a selectAction are not buttons)."""
    return [
        action
        for node in nodes(card)
        if node is card or node.get("type") in ("ActionSet", "AdaptiveCard")
        for action in node.get("actions", [])
    ]


def verbs_of(card: dict[str, Any]) -> list[str]:
    return [a["verb"] for a in executes(card)]


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = [n for n in nodes(card) if str(n.get("type", "")).startswith("Input.")]
    ids = [n["id"] for n in found]
    assert len(ids) == len(set(ids)), f"duplicate input ids: {ids}"
    return dict(zip(ids, found, strict=True))


def runs(card: dict[str, Any]) -> list[str]:
    """The texts Teams shows verbatim (TextRuns)."""
    return [n.get("text", "") for n in of_type(card, "TextRun")]


def run_text(card: dict[str, Any]) -> str:
    return "\n".join(runs(card))


def markdown_texts(card: dict[str, Any]) -> list[str]:
    """The texts Teams may parse as markdown."""
    found = [n.get("text", "") for n in of_type(card, "TextBlock")]
    for fact_set in of_type(card, "FactSet"):
        for fact in fact_set.get("facts", []):
            found += [fact.get("title", ""), fact.get("value", "")]
    found += [n["errorMessage"] for n in nodes(card) if "errorMessage" in n]
    return found


def size(card: dict[str, Any]) -> int:
    return len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode())


def assert_valid(card: dict[str, Any]) -> None:
    """What every card must be: Adaptive Card 1.5, under 28 KB, known verbs with flat,
    small data, and no user text (the mark) anywhere Teams parses markdown."""
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.5"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert size(card) < MAX_BYTES, f"card is {size(card)} bytes"
    pressed = [b.get("title") for b in buttons(card)]
    assert len(pressed) <= MAX_ACTIONS, f"{len(pressed)} actions: {pressed}"
    for action in of_type(card, "Action.Execute"):
        assert action["verb"] in KNOWN_VERBS, action["verb"]
        assert isinstance(action.get("data", {}), dict)
        for key, value in action.get("data", {}).items():
            assert isinstance(key, str)
            assert isinstance(value, str | int), (key, value)
    inputs(card)  # ids unique
    for found in markdown_texts(card):
        assert MARK not in found, f"user text in a markdown text: {found!r}"
    for url in of_type(card, "Action.OpenUrl"):
        assert url["url"].startswith(("https://", "http://"))


def outside_warnings(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The "Outside your organisation" warnings: the containers that hold the label."""
    return [
        c for c in of_type(card, "Container")
        if any(r.get("text") == "Outside your organisation: " for r in of_type(c, "TextRun"))
        and not any(of_type(i, "Container") for i in c.get("items", []))
    ]  # fmt: skip


def assert_outside_warning_in_attention_style(card: dict[str, Any], addresses: str) -> None:
    """Teams' attention style, never yellow on white: an ``attention`` container, the label
    bold in the attention colour, the addresses bold in the container's own default colour
    (the strongest contrast of every Teams theme); no ``warning`` colour on the way."""
    (warning,) = outside_warnings(card)
    assert warning["style"] == "attention"
    label, value = of_type(warning, "TextRun")
    assert (label["color"], label["weight"]) == ("Attention", "Bolder")
    assert value["text"] == addresses
    assert value["weight"] == "Bolder"
    assert "color" not in value
    assert "isSubtle" not in value  # subtle text is the low-contrast variant
    assert "Warning" not in json.dumps(warning)
