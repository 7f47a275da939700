"""Proactive messages and in-place card updates, outside any user turn.

Through the Agents SDK adapter: ``continue_conversation`` with a stored conversation
reference, then ``update_activity`` (a card already posted) or ``send_activity`` (a new
message). Within Teams' rules (docs/platform.md, "Teams"):

* **Rate per conversation** — ``bot.teams.pacing.ConversationPacer`` waits for a free turn
  within Teams' limits.
* **Retry** — 429, 412, 502 and 504 (and a lost connection) are retried with jittered
  exponential backoff (``Retry-After`` honoured), a few times, then given up: a progress
  update that does not get through is replaced by the next one.
* **Unreachable** — 403 ``BotNotInConversationRoster`` (the app was removed) and
  ``MessageWritesBlocked`` (the user blocked the bot) are recorded in the store
  (``mark_card_unreachable`` / ``mark_user_unreachable``) and never tried again until the
  user talks to the bot (which saves a fresh reference and clears the mark). A card whose
  activity is gone (404) is marked too.

Conversation references are stored as ``bot.teams.turn.reference_json(activity)``: the SDK's
``ConversationReference`` in its JSON (alias) form.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from microsoft_agents.activity import (
    Activity,
    ConversationReference,
)
from microsoft_agents.hosting.core import ChannelServiceAdapter
from pydantic import ValidationError

from bot.domain.send_request import JsonValue
from bot.errors import NotFound, StoreError
from bot.store.protocol import Store
from bot.store.records import CardRef, CardRole
from bot.teams import proactive
from bot.teams.pacing import ConversationPacer, TeamsRateLimits
from bot.teams.proactive import Delivered
from bot.teams.replies import card_activity

__all__ = [
    "ConversationPacer",
    "Delivered",
    "NotDelivered",
    "Notifier",
    "NotifyOutcome",
    "NotifyRetry",
    "TeamsRateLimits",
    "Unreachable",
]

logger = logging.getLogger(__name__)

UNREACHABLE_CODES = frozenset({"BotNotInConversationRoster", "MessageWritesBlocked"})
RETRY_STATUSES = frozenset({412, 429, 502, 504})
ACTIVITY_GONE = "ActivityNotFound"


# --- outcomes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Unreachable:
    """Teams will not take messages for this conversation: recorded, not retried."""

    code: str
    status: int


@dataclass(frozen=True)
class NotDelivered:
    """Gave up for now (retries ran out, or an error not worth retrying)."""

    reason: str
    status: int | None = None


NotifyOutcome = Delivered | Unreachable | NotDelivered


# --- the notifier -----------------------------------------------------------------------


@dataclass(frozen=True)
class NotifyRetry:
    max_attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 20.0


class Notifier:
    """Posts and updates cards proactively; implements ``bot.outbox.CardNotifier``.

    ``app_id`` is the bot's app id (``None`` in anonymous local mode: no token is sent)."""

    def __init__(
        self,
        adapter: ChannelServiceAdapter,
        store: Store,
        *,
        app_id: str | None,
        pacer: ConversationPacer | None = None,
        retry: NotifyRetry | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._adapter = adapter
        self._store = store
        self._app_id = app_id
        self._pacer = pacer or ConversationPacer()
        self._retry = retry or NotifyRetry()
        self._sleep = sleep
        self._jitter = jitter

    async def update_card(self, card: CardRef, content: Mapping[str, Any]) -> NotifyOutcome:
        """Replace the card ``card`` points at with ``content``."""
        if card.blocked_code is not None:
            return Unreachable(card.blocked_code, 403)
        outcome = await self._deliver(card.reference, card_activity(content, card.activity_id))
        try:
            if isinstance(outcome, Delivered):
                await self._store.mark_card_updated(card.request_id, card.activity_id)
            elif isinstance(outcome, Unreachable):
                await self._store.mark_card_unreachable(
                    card.request_id, card.activity_id, outcome.code
                )
                if outcome.code == "MessageWritesBlocked" and card.user_oid:
                    await self._store.mark_user_unreachable(card.user_oid, outcome.code)
        except StoreError as exc:
            logger.warning("card %s: outcome not stored: %s", card.activity_id, exc)
        return outcome

    async def send_card(
        self, reference: Mapping[str, JsonValue], content: Mapping[str, Any]
    ) -> NotifyOutcome:
        """Post ``content`` as a new message into the referenced conversation."""
        return await self._deliver(reference, card_activity(content))

    async def reference_of(self, user_oid: str) -> Mapping[str, JsonValue] | None:
        """The user's stored conversation reference, to build a card in their language
        (``bot.i18n.use_locale_of``) before posting it; None when Mailroom has none."""
        try:
            return (await self._store.get_conversation_ref(user_oid)).reference
        except (NotFound, StoreError):
            return None

    async def notify_user(
        self,
        user_oid: str,
        content: Mapping[str, Any],
        *,
        request_id: str | None = None,
        role: CardRole = CardRole.REQUESTER,
    ) -> NotifyOutcome:
        """Post ``content`` to the user's stored conversation (their chat with the bot).
        With ``request_id`` the new card is saved so later updates replace it."""
        try:
            ref = await self._store.get_conversation_ref(user_oid)
        except NotFound:
            return NotDelivered("no conversation reference for the user")
        if ref.blocked_code is not None:
            return Unreachable(ref.blocked_code, 403)
        outcome = await self.send_card(ref.reference, content)
        try:
            if isinstance(outcome, Unreachable):
                await self._store.mark_user_unreachable(user_oid, outcome.code)
            elif isinstance(outcome, Delivered) and request_id and outcome.activity_id:
                await self._store.save_card(
                    CardRef(
                        request_id=request_id,
                        activity_id=outcome.activity_id,
                        role=role,
                        reference=ref.reference,
                        created_at=ref.updated_at,
                        user_oid=user_oid,
                    )
                )
        except StoreError as exc:
            logger.warning("notification to %s: outcome not stored: %s", user_oid, exc)
        return outcome

    def paced(self, key: str) -> AbstractAsyncContextManager[None]:
        """A turn within Teams' limits for a connector call other than a message (opening
        a chat counts per new chat and towards the app's rate like a send)."""
        return self._pacer.slot(key)

    # --- delivery -----------------------------------------------------------------------

    async def _deliver(
        self, reference: Mapping[str, JsonValue], activity: Activity
    ) -> NotifyOutcome:
        try:
            parsed = ConversationReference.model_validate(dict(reference))
        except ValidationError:
            return NotDelivered("the stored conversation reference is not valid")
        conversation_id = parsed.conversation.id
        attempt = 0
        while True:
            attempt += 1
            async with self._pacer.slot(conversation_id):
                answer = await proactive.attempt(self._adapter, self._app_id, parsed, activity)
            if isinstance(answer, Delivered):
                return answer
            if answer.status == 403 and answer.code in UNREACHABLE_CODES:
                logger.info("conversation unreachable: %s", answer.code)
                return Unreachable(answer.code or "Forbidden", answer.status)
            if answer.status == 404 and activity.id is not None:
                return Unreachable(answer.code or ACTIVITY_GONE, answer.status)
            retryable = answer.status in RETRY_STATUSES or answer.status == 0
            if not retryable or attempt >= self._retry.max_attempts:
                logger.warning(
                    "Teams did not take the message (%s %s) after %d attempt(s)",
                    answer.status,
                    answer.code,
                    attempt,
                )
                return NotDelivered(f"{answer.status} {answer.code or ''}".strip(), answer.status)
            await self._sleep(self._delay(attempt, answer.retry_after))

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None and retry_after > 0:
            return min(retry_after, self._retry.max_delay) + self._jitter()
        step = min(self._retry.max_delay, self._retry.base_delay * 2.0 ** (attempt - 1))
        return step * (0.5 + self._jitter() / 2)
