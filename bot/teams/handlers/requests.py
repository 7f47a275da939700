"""``request.*`` verbs and the ``/status``, ``/history`` and ``/cancel`` commands: where a
request stands, each viewer's own view of a card (refresh), and retrying.

Requests are looked up by their reference (``/status MR-7F3K``, any case) or the start of
their id (``/status 7f3a``) in the store, however old; lists are the newest page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.domain.explanations import explain
from bot.domain.references import id_prefix_of, reference_of
from bot.domain.send_request import SendRequest, SendState
from bot.errors import NotFound
from bot.flow.approvals import ApprovalFlow
from bot.flow.send_flow import Refused, SendFlow
from bot.i18n import _
from bot.store import CardRole, Store
from bot.teams.command_parser import Command
from bot.teams.handlers import send
from bot.teams.request_card import not_yours_card
from bot.teams.request_views import track_card
from bot.teams.steps import StepCards
from bot.teams.summaries import summary
from bot.teams.turn import Turn
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


async def send_again(deps: Deps, turn: Turn, payload: RequestRef) -> Card:
    """A new request from an earlier one: its form, filled in, to check and preview."""
    return await deps.steps.of(await deps.flow.send_again(turn.user_oid, payload.request))


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
        return await _recent(deps, turn, "Status")
    found = await _own(deps, turn.user_oid, command.argument)
    if not isinstance(found, SendRequest):
        waiting = await _waiting_with_prefix(deps, turn.user_oid, command.argument)
        return found if waiting is None else await _shown_to(deps, turn, waiting)
    return await deps.steps.requests.card(found, "requester")


async def _waiting_with_prefix(deps: Deps, user_oid: str, prefix: str) -> SendRequest | None:
    """The one request waiting for this user's decision whose id starts with ``prefix``,
    or whose reference it is (``MR-7F3K``, as the approval email links to)."""
    typed = prefix.strip()
    wanted = typed.lower()
    by_reference = id_prefix_of(typed)
    waiting = await deps.decidable(user_oid)
    matches: list[SendRequest] = []
    if len(wanted) >= MIN_PREFIX and not typed.upper().startswith("MR"):
        matches = [r for r in waiting if r.id.lower().startswith(wanted)]
    if not matches and by_reference is not None:
        matches = [r for r in waiting if r.id.lower().startswith(by_reference)]
    return matches[0] if len(matches) == 1 else None


async def history_command(deps: Deps, turn: Turn, command: Command) -> Card:
    return await _recent(deps, turn, _("Your recent send requests"))


async def cancel_command(deps: Deps, turn: Turn, command: Command) -> Card:
    found = await _own(deps, turn.user_oid, command.argument or "")
    if not isinstance(found, SendRequest):
        return found
    return await send.cancelled(deps.send, turn, found.id, found.version)


async def _recent(deps: Deps, turn: Turn, title: str) -> Card:
    page = await deps.store.page_requests(requester_oid=turn.user_oid, limit=LISTED)
    links = deps.steps.links
    rows = [summary(r, turn.time_zone, links.url(r.id)) for r in page.requests]
    return requests_card.build_list(title, rows, _("You have not sent anything with Mailroom yet."))


async def _own(deps: Deps, user_oid: str, typed: str) -> SendRequest | Card:
    """The user's request with reference ``typed`` (``MR-7F3K``) or whose id starts with
    it, or the card saying why not."""
    by_reference = id_prefix_of(typed)
    found: list[SendRequest] = []
    if not typed.strip().upper().startswith("MR"):
        found = await deps.store.requests_by_prefix(user_oid, typed)
    if not found and by_reference is not None:
        found = await deps.store.requests_by_prefix(user_oid, by_reference, limit=LISTED)
        if len(found) > 1:  # a derived reference two requests share: let them pick
            return requests_card.build_list(
                _(
                    "{count} of your requests have the reference {reference}",
                    count=len(found),
                    reference=reference_of(found[0].id),
                ),
                [summary(r) for r in found],
                "",
            )
    if not found:
        return notice_card.build(
            _("Not found"),
            _(
                "You have no send request with that reference. /history lists your requests "
                "with theirs."
            ),
        )
    if len(found) > 1:
        return notice_card.build(
            _("More than one request"),
            _("Several of your requests start with that id: type more of it."),
        )
    return found[0]
