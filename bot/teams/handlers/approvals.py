"""``approval.*`` verbs and the ``/approvals`` command; ``ask`` posts a request to its
approvers (the preview's "Request approval").

The approval card goes to every approver's personal chat (side by side, the slow ones
after the click is answered: ``bot.teams.asking``); when one decides, every copy and the
requester's card are updated. Who may decide is ``bot.domain.approvals``, asked
fresh by the flow at each decision; the first decision wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.domain.approvals import approvers_group, in_group, may_decide
from bot.domain.send_request import SendRequest, SendState
from bot.domain.senders import Policy
from bot.flow.approvals import ApprovalFlow, Requested
from bot.flow.facts import FactsService
from bot.flow.send_flow import Refused, Stale
from bot.i18n import _, n_
from bot.store import RequestCursor, Store
from bot.teams.asking import ApproverAsking
from bot.teams.command_parser import Command
from bot.teams.followers import Followers
from bot.teams.notifier import Notifier
from bot.teams.request_views import track_card
from bot.teams.steps import StepCards
from bot.teams.summaries import summary
from bot.teams.turn import Turn
from cards import requests as requests_card
from cards.verbs import Decision, RequestAt

Card = dict[str, Any]
LISTED = 20
MAX_PAGES = 5


@dataclass(frozen=True)
class Deps:
    approvals: ApprovalFlow
    store: Store
    facts: FactsService
    policy: Policy
    steps: StepCards
    notifier: Notifier
    wake: Callable[[], None]
    followers: Followers
    asking: ApproverAsking


async def ask(deps: Deps, turn: Turn, payload: RequestAt) -> Card:
    """Move a previewed request to "waiting for approval" and reach its approvers; the
    answer comes within ``bot.teams.asking.ANSWER_WITHIN`` however slow Teams is."""
    result = await deps.approvals.request(turn.user_oid, payload.request, payload.version)
    if not isinstance(result, Requested):
        return await deps.steps.of(result)
    request = result.request
    await deps.asking.record(result)  # before telling: a lost process leaves them pending
    await track_card(deps.store, turn, request)
    await deps.followers.replaced(request.id)
    await deps.asking.ask(result, turn.reference())
    return await deps.steps.requests.card(request, "requester", requested=result)


async def approve(deps: Deps, turn: Turn, payload: Decision) -> Card:
    return await _decide(deps, turn, payload, approve=True)


async def reject(deps: Deps, turn: Turn, payload: Decision) -> Card:
    return await _decide(deps, turn, payload, approve=False)


async def _decide(deps: Deps, turn: Turn, payload: Decision, *, approve: bool) -> Card:
    result = await deps.approvals.decide(
        turn.user_oid, payload.request, payload.version, approve=approve, comment=payload.comment
    )
    if isinstance(result, Refused | Stale):
        return await deps.steps.of(result, "approver")
    if result.won:
        await deps.followers.changed(result.request.id)
        if approve:
            deps.wake()
    return await deps.steps.requests.card(result.request, "approver")


async def waiting_command(deps: Deps, turn: Turn, command: Command) -> Card:
    """``/approvals``: the pending requests this user may decide, newest first."""
    rows = [summary(r, turn.time_zone) for r in await waiting_for(deps, turn.user_oid)]
    return requests_card.build_list(
        _("Waiting for your approval"), rows, _("Nothing waits for your approval.")
    )


async def waiting_note(deps: Deps, user_oid: str) -> str | None:
    """ "2 requests wait for your approval (type /approvals)", or None when none do."""
    if not any(approvers_group(s) for s in deps.policy.senders):
        return None
    count = len(await waiting_for(deps, user_oid))
    if count == 0:
        return None
    many = f"{count}+" if count >= LISTED else str(count)
    return n_(
        "{count} request waits for your approval (type /approvals).",
        "{count} requests wait for your approval (type /approvals).",
        count,
        count=many,
    )


async def waiting_for(deps: Deps, user_oid: str) -> list[SendRequest]:
    user = await deps.facts.user(user_oid)
    groups = user.groups or frozenset()
    senders = [s.address for s in deps.policy.senders if in_group(approvers_group(s), groups)]
    found: list[SendRequest] = []
    after: RequestCursor | None = None
    for _page in range(MAX_PAGES):  # own requests are skipped: a few pages fill the list
        page = await deps.store.page_requests(
            states=[SendState.PENDING_APPROVAL], senders=senders, after=after, limit=LISTED
        )
        found += [
            r
            for r in page.requests
            if may_decide(
                deps.policy.sender(r.sender_address),
                user_oid=user_oid,
                requester_oid=r.requester_oid,
                user_groups=groups,
            )
            is None
        ]
        after = page.next
        if after is None or len(found) >= LISTED:
            break
    return found[:LISTED]
