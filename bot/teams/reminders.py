"""One reminder to the approvers of a request that still waits.

``approval_reminder_hours`` after a request started waiting (policy; 0: never), each approver
who got its card in Teams gets one short message saying it still waits, with a button that
opens their card of it. One per request, whichever replica looks first
(``Store.claim_reminder``); a request decided, cancelled or expired meanwhile is not pending
and is left alone. Expiry itself tells both sides (``Followers.expired``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from bot.domain.send_request import SendRequest, SendState
from bot.domain.senders import Policy
from bot.errors import StoreError
from bot.i18n import _, use_locale_of
from bot.store import CardRole, RequestCursor, Store
from bot.teams.notifier import Delivered, Notifier
from bot.teams.times import format_time
from cards import notice as notice_card
from cards import verbs

logger = logging.getLogger(__name__)

PAGE = 100
MAX_PAGES = 20


class Reminders:
    def __init__(self, store: Store, notifier: Notifier, policy: Policy) -> None:
        self._store = store
        self._notifier = notifier
        self._policy = policy

    async def run(self, now: datetime) -> int:
        """Remind the approvers of every request waiting longer than the policy allows;
        returns how many requests were reminded now."""
        hours = self._policy.approval_reminder_hours
        if hours <= 0:
            return 0
        due = now - timedelta(hours=hours)
        reminded = 0
        async for request in waiting_requests(self._store):
            if request.updated_at <= due and await self._remind(request):
                reminded += 1
        return reminded

    async def _remind(self, request: SendRequest) -> bool:
        try:
            if not await self._store.claim_reminder(request.id):
                return False  # reminded before (or by another replica just now)
            cards = await self._store.list_cards(request.id)
        except StoreError as error:
            logger.warning("reminder not sent: %s", type(error).__name__)
            return False
        approvers = {
            c.user_oid for c in cards if c.role is CardRole.APPROVER and c.user_oid is not None
        }
        for oid in sorted(approvers):
            with use_locale_of(await self._notifier.reference_of(oid)):  # the approver's language
                card = reminder_card(request)
            outcome = await self._notifier.notify_user(oid, card)
            if not isinstance(outcome, Delivered):
                logger.info("reminder not delivered: %s", outcome)
        return True


async def waiting_requests(store: Store) -> AsyncIterator[SendRequest]:
    """Every request waiting for approval, page by page (the chores' sweep)."""
    after: RequestCursor | None = None
    for _page in range(MAX_PAGES):
        page = await store.page_requests(
            states=[SendState.PENDING_APPROVAL], after=after, limit=PAGE
        )
        for request in page.requests:
            yield request
        after = page.next
        if after is None:
            return


def reminder_card(request: SendRequest) -> dict[str, object]:
    subject = request.subject if len(request.subject) <= 120 else request.subject[:117] + "..."
    who = request.requester_upn or _("A colleague")
    return notice_card.build(
        _("Reminder: a request waits for your approval"),
        _(
            "{who} asked on {when} to send “{subject}” from {sender} (request {id}). Nobody "
            "has decided yet.",
            who=who,
            when=format_time(request.updated_at),
            subject=subject,
            sender=request.sender_address,
            id=request.id[:8],
        ),
        retry_verb=verbs.STATUS,
        data={"request": request.id},
        action_title=_("Open it"),
    )
