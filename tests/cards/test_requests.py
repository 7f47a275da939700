"""Request lists (/history, /status, /approvals) and one request's status card."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cards import requests, verbs
from cards.views import ProgressView, RequestSummary
from tests.cards.anatomy import (
    HOSTILE,
    MARK,
    assert_valid,
    by_verb,
    executes,
    inputs,
    markdown_texts,
    run_text,
    runs,
    user_text,
    verbs_of,
)

ROW = RequestSummary(
    request_id="7f3a9c1e-0000-4000-8000-000000000001",
    short_id="7f3a",
    state="sent",
    from_line="Contoso Support <support@contoso.com>",
    subject="Your ticket 123",
    recipients="a@contoso.com and 3 more",
    when="Today 10:32",
)


def test_the_rows_share_one_choice_with_details_and_send_again() -> None:
    """Six actions at most per card (Teams Store rule): one choice of request and two
    buttons, however many rows; the choice's id is what a button's data would carry."""
    rows = [replace(ROW, request_id=f"id-{i}", short_id=f"s{i}") for i in range(20)]
    card = requests.build_list("History", rows, "Nothing sent yet.")
    assert_valid(card)
    assert [(a["verb"], a["data"]) for a in executes(card)] == [
        (verbs.STATUS, {}),
        (verbs.SEND_AGAIN, {}),
    ]
    choice = inputs(card)["request"]
    assert [c["value"] for c in choice["choices"]] == [f"id-{i}" for i in range(20)]
    assert choice["value"] == "id-0"
    assert verbs.RequestRef.parse({"request": choice["value"]}) == verbs.RequestRef("id-0")
    assert "s1 · Sent · Today 10:32" in runs(card)


def test_a_request_with_a_preview_link_offers_to_view_the_message_on_its_card() -> None:
    row = replace(ROW, preview_url="https://m.example/preview/x?sig=1")
    card = requests.build_status(row, None)
    assert_valid(card)
    urls = [a for a in card["actions"] if a["type"] == "Action.OpenUrl"]
    assert [(a["title"], a["url"]) for a in urls] == [("View", "https://m.example/preview/x?sig=1")]
    assert verbs.SEND_AGAIN in [a.get("verb") for a in card["actions"]]
    no_link = requests.build_status(replace(ROW, preview_url="javascript:x"), None)
    assert "Action.OpenUrl" not in str(no_link)
    assert "Action.OpenUrl" not in str(requests.build_list("History", [row], "None."))


def test_an_empty_list_says_so() -> None:
    card = requests.build_list("Approvals", [], "Nothing waits for you.")
    assert_valid(card)
    assert runs(card) == ["Approvals", "Nothing waits for you."]


def test_a_long_list_is_cut_and_fits() -> None:
    rows = [
        replace(
            ROW, request_id=f"id-{i}", subject="S" * 500, from_line="F" * 500, recipients="R" * 500
        )
        for i in range(200)
    ]
    card = requests.build_list("History", rows, "")
    assert_valid(card)
    assert any(t.startswith("Showing the first") for t in markdown_texts(card))


@pytest.mark.parametrize("state", ["draft", "pending_approval", "approved", "queued"])
def test_a_cancellable_request_offers_cancel_with_its_version(state: str) -> None:
    card = requests.build_status(replace(ROW, state=state, version=4), None)
    assert_valid(card)
    assert by_verb(card, verbs.CANCEL)["data"] == {"request": ROW.request_id, "version": 4}
    assert by_verb(card, verbs.REFRESH)["data"] == {"request": ROW.request_id}


@pytest.mark.parametrize("state", ["sending", "sent", "failed", "rejected", "cancelled", "expired"])
def test_a_request_past_cancelling_has_no_cancel(state: str) -> None:
    card = requests.build_status(replace(ROW, state=state, version=4), None)
    assert verbs.CANCEL not in verbs_of(card)


def test_without_a_known_version_there_is_no_cancel() -> None:
    card = requests.build_status(replace(ROW, state="queued"), None)
    assert verbs.CANCEL not in verbs_of(card)


def test_status_shows_the_progress_of_a_bulk_send() -> None:
    progress = ProgressView(
        request_id=ROW.request_id,
        version=6,
        state="queued",
        from_line=ROW.from_line,
        subject=ROW.subject,
        total=400,
        sent=137,
        failed=3,
        eta_text="about 9 min left",
        failures=(("x@fabrikam.com", "Mailbox full"),),
    )
    card = requests.build_status(replace(ROW, state="sent"), progress)
    assert_valid(card)
    assert "Sent 137 of 400 · 3 failed · about 9 min left" in runs(card)
    assert "• x@fabrikam.com — Mailbox full" in runs(card)
    assert "State: \nQueued" in run_text(card)  # the progress is fresher than the row
    assert by_verb(card, verbs.CANCEL)["data"]["version"] == 6


def test_hostile_rows_stay_plain() -> None:
    for hostile in HOSTILE:
        marked = f"{MARK}{hostile}"
        row = replace(ROW, subject=marked, from_line=marked, recipients=marked, when=marked)
        assert_valid(requests.build_list(marked, [row], marked))
        assert_valid(requests.build_list(marked, [], marked))
        assert_valid(requests.build_status(replace(row, state=marked), None))


@given(
    rows=st.lists(
        st.builds(
            RequestSummary,
            request_id=user_text(max_size=40),
            short_id=user_text(max_size=10),
            state=user_text(max_size=20),
            from_line=user_text(),
            subject=user_text(),
            recipients=user_text(),
            when=user_text(max_size=30),
        ),
        max_size=25,
    )
)
def test_any_rows_give_valid_cards(rows: list[RequestSummary]) -> None:
    assert_valid(requests.build_list("History", rows, "Nothing yet."))
    for row in rows[:3]:
        assert_valid(requests.build_status(row, None))
