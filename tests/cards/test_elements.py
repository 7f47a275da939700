"""The cards' JSON elements are exactly what the typed models of ``microsoft_teams.cards``
dump for the same element: the preview, built as JSON, stays what its models would give."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from microsoft_teams.cards import (
    ActionSet,
    AdaptiveCard,
    Container,
    ExecuteAction,
    OpenUrlAction,
    RichTextBlock,
    TeamsCardProperties,
    TextBlock,
    TextRun,
)

from cards import elements
from cards._common import to_json

SIZES = st.sampled_from([None, "Small", "Medium", "Large"])
WEIGHTS = st.sampled_from([None, "Bolder", "Lighter"])
COLORS = st.sampled_from([None, "Attention", "Accent", "Good"])
SPACINGS = st.sampled_from([None, "None", "Small", "Medium"])
TEXTS = st.text(max_size=40)


def dumped(model: Any) -> dict[str, Any]:
    return dict(model.model_dump(by_alias=True, exclude_none=True))


@given(TEXTS, SIZES, WEIGHTS, COLORS, st.booleans(), st.booleans())
def test_a_run_is_what_the_text_run_model_dumps(
    value: str, size: Any, weight: Any, color: Any, subtle: bool, monospace: bool
) -> None:
    model = TextRun(
        text=value, size=size, weight=weight, color=color, is_subtle=subtle or None,
        font_type="Monospace" if monospace else None,
    )  # fmt: skip
    built = elements.run(
        value, size=size, weight=weight, color=color, subtle=subtle, monospace=monospace
    )
    assert built == dumped(model)


@given(TEXTS, SPACINGS, st.booleans())
def test_rich_text_is_what_the_model_dumps(value: str, spacing: Any, separator: bool) -> None:
    model = RichTextBlock(
        inlines=[TextRun(text=value)], spacing=spacing, separator=separator or None
    )
    assert elements.rich_text([elements.run(value)], spacing=spacing, separator=separator) == (
        dumped(model)
    )


@given(TEXTS, SIZES, WEIGHTS, st.booleans(), SPACINGS)
def test_a_text_block_is_what_the_model_dumps(
    value: str, size: Any, weight: Any, subtle: bool, spacing: Any
) -> None:
    model = TextBlock(
        text=value, size=size, weight=weight, is_subtle=subtle or None, spacing=spacing, wrap=True
    )
    built = elements.text_block(value, size=size, weight=weight, subtle=subtle, spacing=spacing)
    assert built == dumped(model)


@given(st.sampled_from([None, "attention", "emphasis"]), SPACINGS)
def test_containers_and_action_sets_are_what_the_models_dump(style: Any, spacing: Any) -> None:
    inner = TextRun(text="x")
    model = Container(items=[RichTextBlock(inlines=[inner])], style=style, spacing=spacing)
    built = elements.container(
        [elements.rich_text([elements.run("x")])], style=style, spacing=spacing
    )
    assert built == dumped(model)
    button = ExecuteAction(title="Go", verb="v.go", data={"a": 1}, style="positive")
    assert elements.action_set(
        [elements.execute("Go", "v.go", {"a": 1}, style="positive")], spacing=spacing
    ) == dumped(ActionSet(actions=[button], spacing=spacing))


def test_buttons_are_what_the_action_models_dump() -> None:
    assert elements.execute("Send", "preview.send", {"request": "r", "version": 2}) == dumped(
        ExecuteAction(title="Send", verb="preview.send", data={"request": "r", "version": 2})
    )
    assert elements.execute("Later", "v") == dumped(ExecuteAction(title="Later", verb="v", data={}))
    assert elements.open_url("Open", "https://x.example/p") == dumped(
        OpenUrlAction(title="Open", url="https://x.example/p")
    )


def test_a_card_is_what_to_json_gives_for_the_card_model() -> None:
    body = [elements.rich_text([elements.run("Hello")])]
    actions = [elements.execute("Send", "preview.send")]
    model = AdaptiveCard(
        body=[RichTextBlock(inlines=[TextRun(text="Hello")])],
        actions=[ExecuteAction(title="Send", verb="preview.send", data={})],
        msteams=TeamsCardProperties(width="full"),
    )
    assert elements.card(body, actions, full_width=True) == to_json(model)
    narrow = AdaptiveCard(body=[], actions=[])
    assert elements.card([], [], full_width=False) == to_json(narrow)
