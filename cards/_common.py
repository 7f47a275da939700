"""Shared pieces of every card: the schema version, JSON dumping, safe text."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from microsoft_teams.cards import AdaptiveCard
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

CARD_VERSION = "1.5"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"

# What card data may carry (``cards.verbs`` checks it when an action comes back).
MAX_ID = 64
MAX_SENDER = 320  # the longest an email address can be
MAX_TEMPLATE = 100
MAX_COMMENT = 1000  # the approval card's comment input allows this much

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~])")


class FinishedCard(dict[str, Any]):
    """A card's JSON once built. Nothing changes a card after it is built, so its deep copy
    is the card itself: the Agents SDK deep-copies every activity it sends, and copying a
    preview card node by node cost a few hundred microseconds a turn."""

    def __deepcopy__(self, memo: dict[int, Any]) -> FinishedCard:
        return self


def to_json(card: AdaptiveCard) -> dict[str, Any]:
    """The card as Teams wants it: aliases, no nulls, schema and version set."""
    data = FinishedCard(card.model_dump(by_alias=True, exclude_none=True))
    data["$schema"] = CARD_SCHEMA
    data["version"] = CARD_VERSION
    return data


def whole_numbers(model: M, **numbers: float | None) -> M:
    """``model`` with these fields set after validation, a whole number as an int. The card
    models type counts such as ``maxLength`` as floats, so validation makes ``500`` into
    ``500.0``; an int set afterwards is dumped as ``500``. Setting the few such fields here
    spares walking every dumped card to turn whole floats back into ints."""
    for name, value in numbers.items():
        setattr(
            model, name, int(value) if value is not None and float(value).is_integer() else value
        )
    return model


def escape_markdown(text: str) -> str:
    """Backslash-escape every markdown character so user text never becomes a link,
    emphasis or list. Use for TextBlock/FactSet values that carry user-supplied text."""
    return _MARKDOWN.sub(r"\\\1", text)
