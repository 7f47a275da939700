"""The approval card: one card, each viewer's own view (refresh.userIds)."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cards import approval, verbs
from cards.views import ApprovalView
from tests.cards.anatomy import (
    HOSTILE,
    MARK,
    assert_outside_warning_in_attention_style,
    assert_valid,
    by_verb,
    inputs,
    of_type,
    run_text,
    runs,
    user_text,
    verbs_of,
)

Role = Literal["approver", "requester", "other"]

VIEW = ApprovalView(
    request_id="r-5",
    version=3,
    requester="Alex Wilber <alex@contoso.com>",
    from_line="Contoso No-Reply <noreply@contoso.com>",
    recipient_count=400,
    recipients_sample=("a@contoso.com", "b@fabrikam.com", "c@contoso.com"),
    external_recipients=("b@fabrikam.com",),
    subject="Planned outage on Saturday",
    text_body="Dear customer,\n\nOur service will be down on Saturday.",
    preview_url="https://mailroom.contoso.com/preview/r-5?sig=x",
    reasons=("No-reply sends to more than 100 recipients need approval.",),
    state="pending_approval",
    viewer_role="approver",
    refresh_user_ids=("29:approver-1", "29:requester"),
)


def line(card: dict[str, object], label: str) -> str:
    for block in of_type(card, "RichTextBlock"):
        if block["inlines"][0]["text"] == f"{label}: ":
            return str(block["inlines"][1]["text"])
    raise AssertionError(label)


def test_an_approver_of_a_pending_request_sees_comment_approve_and_reject() -> None:
    card = approval.build(VIEW)
    assert_valid(card)
    comment = inputs(card)["comment"]
    assert comment["type"] == "Input.Text"
    assert comment["isMultiline"] is True
    assert verbs_of(card) == [verbs.APPROVE, verbs.REJECT]
    for verb in (verbs.APPROVE, verbs.REJECT):
        assert by_verb(card, verb)["data"] == {"request": "r-5", "version": 3}


def test_the_card_says_who_what_to_whom_and_why() -> None:
    card = approval.build(VIEW)
    assert line(card, "Requested by") == VIEW.requester
    assert line(card, "From") == VIEW.from_line
    assert (
        line(card, "To")
        == "400 recipients: a@contoso.com, b@fabrikam.com, c@contoso.com and 397 more"
    )
    assert line(card, "Outside your organisation") == "b@fabrikam.com"
    assert line(card, "Subject") == VIEW.subject
    assert "Our service will be down on Saturday." in runs(card)
    assert "• No-reply sends to more than 100 recipients need approval." in runs(card)
    link = of_type(card, "Action.OpenUrl")
    assert [(a["title"], a["url"]) for a in link] == [("View full preview", VIEW.preview_url)]


def test_the_requester_of_a_pending_request_sees_status_and_cancel() -> None:
    card = approval.build(replace(VIEW, viewer_role="requester"))
    assert_valid(card)
    assert verbs_of(card) == [verbs.CANCEL]
    assert by_verb(card, verbs.CANCEL)["data"] == {"request": "r-5", "version": 3}
    assert "comment" not in inputs(card)
    assert "Waiting for approval. You can cancel while it waits." in runs(card)


def test_anyone_else_sees_only_the_status() -> None:
    card = approval.build(replace(VIEW, viewer_role="other"))
    assert verbs_of(card) == []
    assert inputs(card) == {}


@pytest.mark.parametrize("role", ["approver", "requester", "other"])
def test_once_decided_everyone_sees_the_outcome_and_no_buttons(role: Role) -> None:
    outcome = "Rejected by Megan Bowen at 10:32: not on a Saturday"
    card = approval.build(replace(VIEW, state="rejected", viewer_role=role, outcome=outcome))
    assert_valid(card)
    # The requester may edit a rejected request and ask again (a new request).
    assert verbs_of(card) == ([verbs.RESUBMIT] if role == "requester" else [])
    assert inputs(card) == {}
    assert outcome in runs(card)


def test_unreachable_approvers_are_listed_for_the_requester_only() -> None:
    view = replace(VIEW, unreachable_approvers=("Nestor Wilke",))
    assert "• Nestor Wilke" in runs(approval.build(replace(view, viewer_role="requester")))
    assert "Nestor Wilke" not in run_text(approval.build(view))


def test_refresh_lists_the_viewers_and_asks_for_their_view() -> None:
    card = approval.build(VIEW)
    assert card["refresh"]["userIds"] == ["29:approver-1", "29:requester"]
    assert card["refresh"]["action"]["type"] == "Action.Execute"
    assert card["refresh"]["action"]["verb"] == verbs.REFRESH
    assert card["refresh"]["action"]["data"] == {"request": "r-5"}


def test_refresh_is_capped_at_60_users_and_absent_without_any() -> None:
    many = tuple(f"29:user-{i}" for i in range(100))
    assert len(approval.build(replace(VIEW, refresh_user_ids=many))["refresh"]["userIds"]) == 60
    assert "refresh" not in approval.build(replace(VIEW, refresh_user_ids=()))


def test_maximal_content_stays_under_28_kb() -> None:
    many = tuple(f"person.with.a.long.name{i:03d}@fabrikam-example.com" for i in range(500))
    view = replace(
        VIEW,
        requester="R" * 2000,
        from_line="F" * 2000,
        recipients_sample=many,
        external_recipients=many,
        subject="S" * 2000,
        text_body="B" * 5000,
        reasons=tuple("r" * 500 for _ in range(40)),
        unreachable_approvers=many,
        refresh_user_ids=tuple(f"29:{'u' * 80}{i}" for i in range(60)),
        viewer_role="requester",
        outcome="O" * 5000,
    )
    for state in ("pending_approval", "rejected"):
        assert_valid(approval.build(replace(view, state=state)))


def test_hostile_text_stays_plain() -> None:
    for hostile in HOSTILE:
        marked = f"{MARK}{hostile}"
        view = replace(
            VIEW,
            requester=marked,
            subject=marked,
            text_body=marked,
            reasons=(marked,),
            recipients_sample=(marked,),
            unreachable_approvers=(marked,),
            viewer_role="requester",
        )
        assert_valid(approval.build(view))
        assert_valid(approval.build(replace(view, state="rejected", outcome=marked)))


@given(
    subject=user_text(),
    body=user_text(max_size=2000),
    outcome=st.none() | user_text(),
    state=st.sampled_from(
        ["pending_approval", "approved", "rejected", "cancelled", "expired", "sent", "failed"]
    ),
    role=st.sampled_from(["approver", "requester", "other"]),
    count=st.integers(min_value=0, max_value=100_000),
)
def test_any_approval_gives_a_valid_card(
    subject: str, body: str, outcome: str | None, state: str, role: Role, count: int
) -> None:
    view = replace(
        VIEW,
        subject=subject,
        text_body=body,
        outcome=outcome,
        state=state,
        viewer_role=role,
        recipient_count=count,
    )
    card = approval.build(view)
    assert_valid(card)
    if state == "rejected" and role == "requester":
        assert verbs_of(card) == [verbs.RESUBMIT]
    elif state != "pending_approval":
        assert verbs_of(card) == []


def test_the_outside_your_organisation_warning_uses_teams_attention_style() -> None:
    assert_outside_warning_in_attention_style(approval.build(VIEW), "b@fabrikam.com")
