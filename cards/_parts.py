"""Building blocks the card modules share, as the typed models of ``microsoft_teams.cards``:
the blocks of ``cards.blocks`` and ``cards.elements`` validated from their JSON (so each
shape is written once), request data for buttons, and the card's size.

The rule every card follows is in ``cards.blocks``: user-supplied text only ever goes into a
``TextRun``, an input's value, a choice title or a button's data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from microsoft_teams.cards import (
    AdaptiveCard,
    Container,
    ExecuteAction,
    RichTextBlock,
    Spacing,
    TextBlock,
    TextRun,
)
from pydantic import BaseModel

from bot.json_bytes import json_bytes
from cards import blocks, elements, verbs
from cards._common import to_json
from cards.elements import Element

MAX_CARD_BYTES = 28 * 1024
"""Every card stays under this, measured as compact UTF-8 JSON (``card_bytes``)."""

P = ParamSpec("P")
M = TypeVar("M", bound=BaseModel)


def _model(kind: type[M], build: Callable[P, Element]) -> Callable[P, M]:
    """``build``, giving its element as a ``kind`` model (same arguments, same JSON)."""

    @wraps(build)
    def built(*args: P.args, **kwargs: P.kwargs) -> M:
        return kind.model_validate(build(*args, **kwargs))

    return built


def _models(kind: type[M], build: Callable[P, list[Element]]) -> Callable[P, list[M]]:
    """``build``, giving its elements as ``kind`` models."""

    @wraps(build)
    def built(*args: P.args, **kwargs: P.kwargs) -> list[M]:
        return [kind.model_validate(element) for element in build(*args, **kwargs)]

    return built


run = _model(TextRun, elements.run)
text = _model(RichTextBlock, blocks.text)
labelled = _model(RichTextBlock, blocks.labelled)
heading = _model(RichTextBlock, blocks.heading)
outside_warning = _model(Container, blocks.outside_warning)
section = _model(TextBlock, blocks.section)
hint = _model(TextBlock, blocks.hint)
bullets = _models(RichTextBlock, blocks.bullets)
paragraphs = _models(RichTextBlock, blocks.paragraphs)
execute = _model(ExecuteAction, elements.execute)


def runs(pieces: Iterable[TextRun], *, spacing: Spacing | None = None) -> RichTextBlock:
    """A line made of several runs (e.g. prose with a monospace command in it)."""
    return RichTextBlock(inlines=list(pieces), spacing=spacing)


def finish(card: AdaptiveCard) -> dict[str, Any]:
    """The card as JSON for Teams (``to_json``). Whole numbers are already ints: the few
    float-typed fields the cards set go through ``whole_numbers``."""
    return to_json(card)


def card_bytes(card: Mapping[str, Any]) -> int:
    """The card's size as sent: compact JSON, UTF-8 (``bot.json_bytes``)."""
    return len(json_bytes(card))


def fit(*builders: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The first card, from fullest to leanest, that fits under ``MAX_CARD_BYTES`` (the
    leanest one when none does: the caller's last builder must be small by construction)."""
    card: dict[str, Any] = {}
    for build in builders:
        card = build()
        if card_bytes(card) < MAX_CARD_BYTES:
            return card
    return card


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
