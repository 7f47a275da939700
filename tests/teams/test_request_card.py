"""The one function that decides which card shows a request, state by state and viewer by
viewer (bot/teams/request_card.py) — tested as data."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.domain.send_request import (
    OutgoingMessage,
    Recipients,
    RenderedContent,
    SenderKind,
    SendMode,
    SendRequest,
    SendState,
    new_draft,
)
from bot.outbox.progress import RequestProgress
from bot.store import Job, JobCounts, JobState
from bot.teams.request_card import Shown, request_card
from cards import verbs
from cards.views import ApprovalView
from tests.cards.anatomy import assert_valid, run_text, verbs_of
from tests.support.botapp import text_of

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
_S = SendState


def request(state: SendState, *, messages: int = 1, approval: bool = False) -> SendRequest:
    outgoing = [
        OutgoingMessage(
            Recipients((f"customer{n}@fabrikam.com",)),
            RenderedContent("Planned outage", "<p>Down on Saturday</p>", "Down on Saturday"),
        )
        for n in range(messages)
    ]
    draft = new_draft(
        requester_oid="oid-adele", tenant_id="t", sender_address="noreply@contoso.com",
        sender_kind=SenderKind.NOREPLY, mode=SendMode.APPLICATION, template="outage-notice",
        values={}, messages=outgoing, now=NOW, approval_required=approval,
    )  # fmt: skip
    decided = approval and state in (_S.APPROVED, _S.QUEUED, _S.SENDING, _S.SENT, _S.REJECTED)
    return replace(draft, state=state, version=4, decided_by="oid-megan" if decided else None)


def approval_view(of: SendRequest) -> ApprovalView:
    return ApprovalView(
        request_id=of.id, version=of.version, requester="Adele Vance <adele@contoso.com>",
        from_line="Contoso Notices <noreply@contoso.com>", recipient_count=1,
        recipients_sample=of.recipients.all(), external_recipients=(), subject=of.subject,
        text_body="Down on Saturday", preview_url=None, reasons=("more than 20 recipients",),
        state=of.state.value, viewer_role="other", outcome="Approved by Megan Bowen",
    )  # fmt: skip


def failed_job(of: SendRequest, n: int, error: str) -> Job:
    return Job(
        id=f"j{n}", request_id=of.id, seq=n, mailroom_id=f"m{n}",
        sender_address=of.sender_address, recipients=Recipients((f"c{n}@fabrikam.com",)),
        values={}, subject=of.subject, content=None, content_hash="h",
        state=JobState.FAILED, attempts=1, due_at=None, lease_owner=None,
        lease_expires_at=None, created_at=NOW, updated_at=NOW,
        error_code=error, error_key=error,
    )  # fmt: skip


def shown(
    of: SendRequest, *, with_approval: bool = False, failed: int = 0, error: str = ""
) -> Shown:
    counts = JobCounts(total=of.message_count, failed=failed)
    failures = tuple(failed_job(of, n, error) for n in range(failed))
    progress = RequestProgress(of, counts, None, failures)
    return Shown(of, progress, approval_view(of) if with_approval else None)


def test_someone_else_gets_that_card_isnt_yours_whatever_the_state() -> None:
    for state in SendState:
        card = request_card(shown(request(state), with_approval=True), "other")
        assert_valid(card)
        assert "That card isn't yours" in run_text(card)


def test_an_approver_sees_the_approval_card_with_the_decision_buttons_while_pending() -> None:
    pending = request(_S.PENDING_APPROVAL, approval=True)
    card = request_card(shown(pending, with_approval=True), "approver")
    assert_valid(card)
    assert set(verbs_of(card)) >= {verbs.APPROVE, verbs.REJECT}
    after = request_card(shown(request(_S.SENT, approval=True), with_approval=True), "approver")
    assert "Approved and sent" in run_text(after)
    assert verbs.APPROVE not in verbs_of(after)


@pytest.mark.parametrize("state", [_S.PENDING_APPROVAL, _S.APPROVED, _S.QUEUED, _S.REJECTED])
def test_the_requester_follows_the_approval_on_the_approval_card(state: SendState) -> None:
    card = request_card(shown(request(state, approval=True), with_approval=True), "requester")
    assert_valid(card)
    assert "Requested by" in run_text(card)
    if state is _S.PENDING_APPROVAL:
        assert verbs_of(card) == [verbs.CANCEL]


def test_a_request_sent_without_the_approval_it_once_needed_shows_its_progress() -> None:
    undecided = replace(request(_S.QUEUED, approval=True), decided_by=None)  # policy changed
    card = request_card(shown(undecided, with_approval=True), "requester")
    assert "Sending…" in text_of(card)


def test_once_sent_the_requester_gets_the_result_even_after_an_approval() -> None:
    card = request_card(shown(request(_S.SENT, approval=True), with_approval=True), "requester")
    assert_valid(card)
    assert "Sent at" in run_text(card)


def test_a_draft_shows_its_status() -> None:
    card = request_card(shown(request(_S.DRAFT)), "requester")
    assert_valid(card)
    assert "Draft" in run_text(card)
    assert verbs_of(card) == [verbs.REFRESH]


@pytest.mark.parametrize(
    ("error", "title", "retry"),
    [
        ("ErrorSendAsDenied", "Exchange refused to send as noreply@contoso.com", False),
        ("ServiceUnavailable", "Microsoft 365 is busy", True),
    ],
)
def test_a_failed_single_message_is_explained_with_retry_when_it_may_help(
    error: str, title: str, retry: bool
) -> None:
    card = request_card(shown(request(_S.FAILED), failed=1, error=error), "requester")
    assert_valid(card)
    assert title in text_of(card)
    assert verbs_of(card) == ([verbs.RETRY_FAILED] if retry else [])


@pytest.mark.parametrize(
    ("state", "messages", "title"),
    [
        (_S.QUEUED, 1, "Sending…"),
        (_S.SENDING, 3, "Bulk send in progress"),
        (_S.SENT, 3, "Bulk send finished"),
        (_S.CANCELLED, 1, "Send cancelled"),
        (_S.EXPIRED, 1, "Request expired: nothing was sent"),
    ],
)
def test_everything_else_is_the_progress_card(state: SendState, messages: int, title: str) -> None:
    card = request_card(shown(request(state, messages=messages)), "requester")
    assert title in text_of(card)


def test_without_counts_a_request_is_counted_from_its_state() -> None:
    card = request_card(Shown(request(_S.SENT, messages=2)), "requester")
    assert "Sent 2 of 2" in text_of(card)
