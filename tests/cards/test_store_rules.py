"""The Teams Store rule for cards (docs/platform.md, "Teams Store rules", "Bots and Adaptive
Cards"): "The cards must be lightweight and only include up to six actions." Every card
module's own tests check it too (``anatomy.assert_valid``); these build the kinds whose
buttons grow with the data, at their largest, and the fixed ones."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.teams.handlers.help import help_card_json, likely_card_json
from cards import drafts, notice, requests, senders, welcome
from cards.views import DraftSummary, ProgressView, RequestSummary, SenderOption
from tests.cards.anatomy import MAX_ACTIONS, assert_valid, buttons

KINDS = ("self", "send_as", "send_on_behalf", "shared", "noreply")


def sender(i: int, available: bool, kind: str) -> SenderOption:
    return SenderOption(
        address=f"s{i}@contoso.com",
        display_name=f"Sender {i}",
        kind=kind,  # type: ignore[arg-type]
        from_line=f"Sender {i} <s{i}@contoso.com>",
        available=available,
        reason=None if available else "You are not in the group.",
    )


def draft(i: int) -> DraftSummary:
    previewed = i % 2 == 0
    return DraftSummary(f"d{i}", 1, f"T{i}", "support@contoso.com", "a@x.com", "now", previewed)


def row(i: int) -> RequestSummary:
    return RequestSummary(
        f"id-{i}", f"MR-{i:04d}", "sent", "Support", f"Subject {i}", "a@x.com", "today",
        version=1, preview_url="https://mailroom.contoso.com/preview/x",
    )  # fmt: skip


def assert_six_at_most(card: dict[str, Any]) -> None:
    assert_valid(card)
    assert len(buttons(card)) <= MAX_ACTIONS


@given(
    st.lists(st.tuples(st.booleans(), st.sampled_from(KINDS)), max_size=40),
    st.booleans(),
)
def test_the_sender_card_keeps_to_six_actions(picks: list[tuple[bool, str]], resume: bool) -> None:
    options = [sender(i, available, kind) for i, (available, kind) in enumerate(picks)]
    assert_six_at_most(senders.build(options, draft(0) if resume else None))


@given(st.integers(min_value=0, max_value=30))
def test_request_lists_and_draft_lists_keep_to_six_actions(count: int) -> None:
    assert_six_at_most(requests.build_list("History", [row(i) for i in range(count)], "None."))
    assert_six_at_most(drafts.build_list([draft(i) for i in range(count)]))


def test_a_request_card_with_every_button_keeps_to_six() -> None:
    progress = ProgressView("id-1", 3, "queued", "Support", "Hello", 40, 10, 2)
    waiting = requests.build_status(row(1), progress)
    assert [b["title"] for b in buttons(waiting)] == ["Refresh", "Cancel", "View"]
    finished = requests.build_status(row(1), None)
    assert [b["title"] for b in buttons(finished)] == ["Refresh", "View", "Send again"]
    for card in (waiting, finished):
        assert_six_at_most(card)


def test_the_fixed_cards_keep_to_six_actions() -> None:
    for card in (
        help_card_json("A note"),
        likely_card_json("I didn't understand that.", ("send", "history", "senders")),
        welcome.build("Adele Vance", "2 requests wait for your approval"),
        notice.build("Title", "Text"),
    ):
        assert_six_at_most(card)


def test_more_drafts_than_fit_are_counted_not_dropped_silently() -> None:
    card = drafts.build_list([draft(i) for i in range(5)])
    assert len(buttons(card)) == MAX_ACTIONS
    assert "2 older ones wait" in str(card)
