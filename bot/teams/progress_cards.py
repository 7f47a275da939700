"""What the outbox worker shows on a request's cards as it goes: progress while sending;
for a single message, the confirmation or the explanation once it is final."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.explanations import explain
from bot.domain.send_request import SendState
from bot.outbox.progress import RequestProgress, default_render_card
from bot.outbox.routing import where_to_check
from bot.store.records import CardRef
from bot.teams.views import explanation_of, format_time
from cards import explanation as explanation_card
from cards import result as result_card
from cards import verbs
from cards.views import ResultView


def render_card(progress: RequestProgress, card: CardRef | None) -> Mapping[str, Any] | None:
    request = progress.request
    if request.message_count == 1 and request.state is SendState.SENT:
        return result_card.build(
            ResultView(
                request_id=request.id,
                from_line=request.sender_address,
                to=request.recipients.all(),
                subject=request.subject,
                sent_at=format_time(request.updated_at),
                graph_request_id=request.graph_request_id,
            )
        )
    if request.message_count == 1 and request.state is SendState.UNKNOWN:
        unknown = explain("outcome_unknown", mailbox=where_to_check(request))
        return explanation_card.build(explanation_of(unknown, request_id=request.id))
    if request.message_count == 1 and request.state is SendState.FAILED:
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
    return default_render_card(progress, card)
