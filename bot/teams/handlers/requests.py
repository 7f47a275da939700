"""``request.*`` verbs and the ``/status``, ``/history`` and ``/cancel`` commands: where a
request stands, each viewer's own view of a card (refresh), and retrying.

Requests are looked up by id (or the start of one, as ``/status 7f3a`` types it) in the
store, however old; lists are the newest page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.domain.explanations import explain
from bot.domain.send_request import SendRequest, SendState
from bot.errors import NotFound
from bot.flow.approvals import ApprovalFlow
from bot.flow.send_flow import Refused, SendFlow
from bot.store import CardRole, Store
from bot.teams.command_parser import Command
from bot.teams.handlers import send
from bot.teams.request_card import not_yours_card
from bot.teams.request_views import track_card
from bot.teams.steps import StepCards
from bot.teams.turn import Turn
from bot.teams.views import summary
from cards import notice as notice_card
from cards import requests as requests_card
from cards.verbs import RequestAt, RequestRef

Card = dict[str, Any]
LISTED = 10
MIN_PREFIX = 4  # as the store's prefix lookup


@dataclass(frozen=True)
class Deps:
    flow: SendFlow
    approvals: ApprovalFlow
    store: Store
    steps: StepCards
    send: send.Deps
    decidable: Callable[[str], Awaitable[list[SendRequest]]]
    """The pending requests a user may decide (``/approvals``' list)."""


# --- verbs -------------------------------------------------------------------------------


async def status(deps: Deps, turn: Turn, payload: RequestRef) -> Card:
    """A request's card for whoever asks: the requester's own view, or for an approver who
    may decide it (``/approvals``' Details) their working card, with Approve and Reject."""
    try:
        request = await deps.store.get_request(payload.request)
    except NotFound:
        return deps.steps.refused(Refused(explain("not_yours")))
    return await _shown_to(deps, turn, request)


async def _shown_to(deps: Deps, turn: Turn, request: SendRequest) -> Card:
    viewer = await deps.approvals.viewer(turn.user_oid, request)
    if viewer == "other":
        return not_yours_card()
    if viewer == "approver" and request.state is SendState.PENDING_APPROVAL:
        # This message now shows the approver's card: it follows the request from here on.
        await track_card(deps.store, turn, request, CardRole.APPROVER)
    return await deps.steps.requests.card(request, viewer)


async def refresh(deps: Deps, turn: Turn, payload: RequestRef) -> Card:
    """Teams asks for this viewer's own view of a card (``refresh.userIds``)."""
    try:
        request = await deps.store.get_request(payload.request)
    except NotFound:
        return not_yours_card()
    viewer = await deps.approvals.viewer(turn.user_oid, request)
    return await deps.steps.requests.card(request, viewer)


async def resubmit(deps: Deps, turn: Turn, payload: RequestAt) -> Card:
    """A rejected request's "Edit and resubmit": its values back on the compose card."""
    return await deps.steps.of(
        await deps.flow.resubmit(turn.user_oid, payload.request, payload.version)
    )


async def retry(deps: Deps, turn: Turn, payload: RequestRef) -> Card:
    """An explanation card's Retry: the same as ``send.retry_failed``."""
    return await send.retry_failed(deps.send, turn, payload)


# --- commands ------------------------------------------------------------------------------


async def status_command(deps: Deps, turn: Turn, command: Command) -> Card:
    if not command.argument:
        return await _recent(deps, turn.user_oid, "Status")
    found = await _own(deps, turn.user_oid, command.argument)
    if not isinstance(found, SendRequest):
        waiting = await _waiting_with_prefix(deps, turn.user_oid, command.argument)
        return found if waiting is None else await _shown_to(deps, turn, waiting)
    return await deps.steps.requests.card(found, "requester")


async def _waiting_with_prefix(deps: Deps, user_oid: str, prefix: str) -> SendRequest | None:
    """The one request waiting for this user's decision whose id starts with ``prefix``."""
    wanted = prefix.strip().lower()
    if len(wanted) < MIN_PREFIX:
        return None
    matches = [r for r in await deps.decidable(user_oid) if r.id.lower().startswith(wanted)]
    return matches[0] if len(matches) == 1 else None


async def history_command(deps: Deps, turn: Turn, command: Command) -> Card:
    return await _recent(deps, turn.user_oid, "Your recent send requests")


async def cancel_command(deps: Deps, turn: Turn, command: Command) -> Card:
    found = await _own(deps, turn.user_oid, command.argument or "")
    if not isinstance(found, SendRequest):
        return found
    return await send.cancelled(deps.send, turn, found.id, found.version)


async def _recent(deps: Deps, user_oid: str, title: str) -> Card:
    page = await deps.store.page_requests(requester_oid=user_oid, limit=LISTED)
    rows = [summary(r) for r in page.requests]
    return requests_card.build_list(title, rows, "You have not sent anything with Mailroom yet.")


async def _own(deps: Deps, user_oid: str, short_id: str) -> SendRequest | Card:
    """The user's request whose id starts with ``short_id``, or the card saying why not."""
    found = await deps.store.requests_by_prefix(user_oid, short_id)
    if not found:
        return notice_card.build("Not found", "You have no send request with that id.")
    if len(found) > 1:
        return notice_card.build(
            "More than one request", "Several of your requests start with that id: type more of it."
        )
    return found[0]
