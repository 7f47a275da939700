"""Which card shows a send request: one pure function for every state and every viewer.

Every path that shows a request — a step's answer, ``/status``, a refresh, an approval
decision, the outbox's progress updates — gathers what it knows into ``Shown`` and asks
``request_card``. The table, for a request the viewer may see::

    viewer      approval facts   state                                 card
    other       –                any                                   "that card isn't yours"
    approver    gathered         any                                   approval card (their view)
    requester   gathered         pending; once decided: approved,      approval card (status,
                                 queued, sending, rejected, or         Cancel, the outcome)
                                 failed when refused at approval
    any         –                draft                                 status card
    any         –                sent, one message                     result card
    any         –                failed, one message                   explanation (Retry)
    any         –                unknown, one message                  "unknown — check the
                                                                       Sent Items of X"
    any         –                everything else                       progress card

"Gathered" approval facts exist for requests that needed approval, when the caller could
look them up (the outbox's renderer cannot: its updates show the progress card). New
outcomes extend the table here, nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.domain.approvals import Viewer
from bot.domain.explanations import explain
from bot.domain.references import reference_of
from bot.domain.send_request import SendRequest, SendState
from bot.flow.approvals import REFUSED_AT_APPROVAL
from bot.outbox.progress import RequestProgress, default_render_card
from bot.outbox.routing import where_to_check
from bot.store.records import JobCounts
from bot.teams.summaries import summary
from bot.teams.times import format_time
from bot.teams.views import explanation_of
from cards import approval as approval_card
from cards import explanation as explanation_card
from cards import requests as requests_card
from cards import result as result_card
from cards import verbs
from cards.views import ApprovalView, ResultView

Card = dict[str, Any]

_S = SendState
# After a decision the requester follows it on the approval card until the send ends.
DECIDED_STATES = frozenset({_S.APPROVED, _S.QUEUED, _S.SENDING, _S.REJECTED})


@dataclass(frozen=True)
class Shown:
    """What is known about a request when it is shown."""

    request: SendRequest
    progress: RequestProgress | None = None
    """Its messages' counts and failures (``None``: counted from the request alone)."""
    approval: ApprovalView | None = None
    """The approval card's facts, for a request that needed approval."""
    results_url: str | None = None
    """The signed link to a finished bulk request's results CSV."""
    preview_url: str | None = None
    """The signed link to the message as it was sent (the result card's "View")."""


def request_card(shown: Shown, viewer: Viewer) -> Card:
    request = shown.request
    if viewer == "other":
        return not_yours_card()
    if shown.approval is not None and (
        viewer == "approver"
        or request.state is _S.PENDING_APPROVAL
        or (request.decided_by is not None and request.state in DECIDED_STATES)
        or request.error_code == REFUSED_AT_APPROVAL
    ):
        return approval_card.build(replace(shown.approval, viewer_role=viewer))
    if request.state is _S.DRAFT:
        return requests_card.build_status(summary(request), None)
    progress = shown.progress or counted(request)
    single = request.message_count == 1
    if single and request.state is _S.SENT:
        return result_card.build(
            ResultView(
                request_id=request.id,
                from_line=request.sender_address,
                to=request.recipients.all(),
                subject=request.subject,
                sent_at=format_time(request.updated_at),
                graph_request_id=request.graph_request_id,
                reference=reference_of(request.id),
                can_send_again=viewer == "requester",
                approval=shown.approval.outcome if shown.approval else None,
                preview_url=shown.preview_url if viewer == "requester" else None,
            )
        )
    if single and request.state is _S.FAILED:
        return failure_card(progress)
    if single and request.state is _S.UNKNOWN:
        unknown = explain("outcome_unknown", mailbox=where_to_check(request))
        return explanation_card.build(explanation_of(unknown, request_id=request.id))
    return default_render_card(progress, None, shown.results_url)


def failure_card(progress: RequestProgress) -> Card:
    """Why a single message was not sent, with Retry."""
    request = progress.request
    failure = progress.failures[0] if progress.failures else None
    key = (failure.error_key or failure.error_code) if failure else request.error_key
    text = explain(
        key or "unknown",
        mailbox=request.sender_address,
        user=request.requester_upn,
        request_id=request.graph_request_id,
        code=request.error_code,
    )
    return explanation_card.build(
        explanation_of(
            text,
            request_id=request.id,
            graph_request_id=request.graph_request_id,
            retry_verb=verbs.RETRY_FAILED,
            retry_data={"request": request.id},
        )
    )


def not_yours_card() -> Card:
    return explanation_card.build(explanation_of(explain("not_yours")))


def counted(request: SendRequest) -> RequestProgress:
    """Progress from the request alone: its messages are all sent once it is ``sent``."""
    total = request.message_count
    sent = total if request.state is _S.SENT else 0
    return RequestProgress(request, JobCounts(total=total, sent=sent))
