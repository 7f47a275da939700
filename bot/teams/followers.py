"""Every card that shows a request follows it: after each change — approved, rejected,
cancelled by the requester, expired, replaced by an edited request — each stored card of the
request (the requester's and every approver's) is updated in place with its holder's own view.

Cards are found by the activity ids stored when they were posted (``CardRef``); each is
rendered for its role, from the request as it is *now* (the worker may have moved it on:
a card must never step back from "sent" to "approved"). One card that cannot be updated
does not stop the others.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.domain.approvals import Viewer
from bot.domain.send_request import JsonValue, SendRequest
from bot.errors import StoreError
from bot.i18n import use_locale_of
from bot.store import CardRole, Store
from bot.teams.notifier import Delivered, Notifier, NotifyOutcome
from bot.teams.request_views import RequestViews
from bot.teams.respond import TRANSIENT

logger = logging.getLogger(__name__)


class Followers:
    def __init__(self, store: Store, views: RequestViews, notifier: Notifier) -> None:
        self._store = store
        self.views = views
        self._notifier = notifier

    async def reference_of(self, user_oid: str) -> Mapping[str, JsonValue] | None:
        """The user's stored conversation reference: its ``locale`` is their cards' language."""
        return await self._notifier.reference_of(user_oid)

    async def changed(
        self, request_id: str, *, skip: str | None = None, showing: frozenset[str] = frozenset()
    ) -> int:
        """Update every card of the request; ``skip``: the activity the current turn
        answers itself (the clicked card); ``showing``: activities that have moved on to
        another request. Returns how many cards were updated."""
        updated = 0
        try:
            cards = await self._store.list_cards(request_id)
        except StoreError as error:
            logger.warning("request cards not listed: %s", type(error).__name__)
            return 0
        for card in cards:
            if card.activity_id == skip or card.activity_id in showing:
                continue
            if card.blocked_code is not None:
                continue
            viewer: Viewer = "approver" if card.role is CardRole.APPROVER else "requester"
            try:
                current = await self._store.get_request(request_id)
                with use_locale_of(card.reference):  # its reader's language
                    shown = await self.views.card(current, viewer)
                outcome: NotifyOutcome = await self._notifier.update_card(card, shown)
            except (StoreError, *TRANSIENT) as error:
                logger.warning("request card not updated: %s", type(error).__name__)
                continue
            if isinstance(outcome, Delivered):
                updated += 1
            else:
                logger.info("request card not updated: %s", outcome)
        return updated

    async def replaced(self, new_request_id: str) -> None:
        """``new_request_id`` went out (approval asked, or queued): if it is an edit of an
        earlier request, that request's cards now say which replaced it."""
        try:
            old = await self._store.replaced(new_request_id)
            if old is None:
                return
            # The message the edit was made in shows the new request now: it stays so.
            cards = await self._store.list_cards(new_request_id)
        except StoreError as error:
            logger.warning("replaced request not recorded: %s", type(error).__name__)
            return
        await self.changed(old, showing=frozenset(c.activity_id for c in cards))

    async def expired(self, request: SendRequest) -> None:
        """Tell both sides a request expired: its cards follow it, and a requester with no
        card of it (they asked from a card that was not tracked) gets a new message."""
        await self.changed(request.id)
        try:
            cards = await self._store.list_cards(request.id)
            if any(c.role is CardRole.REQUESTER for c in cards):
                return
            with use_locale_of(await self._notifier.reference_of(request.requester_oid)):
                shown = await self.views.card(request, "requester")
            await self._notifier.notify_user(request.requester_oid, shown, request_id=request.id)
        except (StoreError, *TRANSIENT) as error:
            logger.warning("requester not told of the expiry: %s", type(error).__name__)

    async def closed(self, request: SendRequest) -> None:
        """An approved request finished sending: its cards show the outcome and, still,
        who approved it, when, and their comment."""
        await self.changed(request.id)
