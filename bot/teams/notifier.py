"""Proactive messages and in-place card updates, outside any user turn.

Through the Agents SDK adapter: ``continue_conversation`` with a stored conversation
reference, then ``update_activity`` (a card already posted) or ``send_activity`` (a new
message). Within Teams' rules (PLATFORM_FACTS.md, "Teams"):

* **Rate per conversation** — at most 7 messages a second, 60 in 30 seconds and 1800 an hour
  leave this process for one conversation (``ConversationPacer`` waits for a free turn).
  Replicas each keep their own count.
* **Retry** — 429, 412, 502 and 504 (and a lost connection) are retried with jittered
  exponential backoff (``Retry-After`` honoured), a few times, then given up: a progress
  update that does not get through is replaced by the next one.
* **Unreachable** — 403 ``BotNotInConversationRoster`` (the app was removed) and
  ``MessageWritesBlocked`` (the user blocked the bot) are recorded in the store
  (``mark_card_unreachable`` / ``mark_user_unreachable``) and never tried again until the
  user talks to the bot (which saves a fresh reference and clears the mark). A card whose
  activity is gone (404) is marked too.

Conversation references are stored as ``reference_json(activity)``: the SDK's
``ConversationReference`` in its JSON (alias) form.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    Attachment,
    ConversationReference,
)
from microsoft_agents.hosting.core import ChannelServiceAdapter, TurnContext
from microsoft_agents.hosting.core.authorization import (
    AuthenticationConstants,
    ClaimsIdentity,
)
from pydantic import ValidationError

from bot.domain.send_request import JsonValue
from bot.errors import NotFound, StoreError
from bot.netclient import parse_retry_after
from bot.store.protocol import Store
from bot.store.records import CardRef, CardRole

logger = logging.getLogger(__name__)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
UNREACHABLE_CODES = frozenset({"BotNotInConversationRoster", "MessageWritesBlocked"})
RETRY_STATUSES = frozenset({412, 429, 502, 504})
ACTIVITY_GONE = "ActivityNotFound"
MAX_TRACKED_CONVERSATIONS = 10_000


# --- outcomes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivered:
    activity_id: str | None


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


def reference_json(activity: Activity) -> dict[str, JsonValue]:
    """What to store (``Store.save_conversation_ref`` / ``CardRef.reference``) to reach the
    conversation of ``activity`` later."""
    reference = activity.get_conversation_reference()
    data: dict[str, JsonValue] = reference.model_dump(mode="json", by_alias=True, exclude_none=True)
    return data


def card_message(content: Mapping[str, Any], activity_id: str | None = None) -> Activity:
    return Activity(
        type=ActivityTypes.message,
        id=activity_id,
        attachments=[Attachment(content_type=CARD_CONTENT_TYPE, content=dict(content))],
    )


# --- pacing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamsRateLimits:
    """Teams' bot send limits per conversation: (count, window seconds)."""

    windows: tuple[tuple[int, float], ...] = ((7, 1.0), (60, 30.0), (1800, 3600.0))


@dataclass
class _Conversation:
    sent: deque[float] = field(default_factory=deque)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class ConversationPacer:
    """Waits until one more message may go to a conversation without breaking any window."""

    def __init__(
        self,
        limits: TeamsRateLimits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._limits = limits or TeamsRateLimits()
        self._longest = max(window for _count, window in self._limits.windows)
        self._clock = clock
        self._sleep = sleep
        self._conversations: dict[str, _Conversation] = {}

    def wait_needed(self, conversation_id: str) -> float:
        """Seconds until the next message may go (0: now)."""
        entry = self._conversations.get(conversation_id)
        if entry is None:
            return 0.0
        return self._wait(entry, self._clock())

    def _wait(self, entry: _Conversation, now: float) -> float:
        while entry.sent and entry.sent[0] <= now - self._longest:
            entry.sent.popleft()
        wait = 0.0
        for count, window in self._limits.windows:
            inside = [t for t in entry.sent if t > now - window]
            if len(inside) >= count:
                wait = max(wait, inside[-count] + window - now)
        return wait

    async def turn(self, conversation_id: str) -> None:
        """Return when a message may go now, and count it."""
        entry = self._conversations.get(conversation_id)
        if entry is None:
            if len(self._conversations) > MAX_TRACKED_CONVERSATIONS:
                self._forget_idle()
            entry = self._conversations[conversation_id] = _Conversation()
        entry.users += 1
        try:
            async with entry.lock:
                while True:
                    wait = self._wait(entry, self._clock())
                    if wait <= 0:
                        break
                    await self._sleep(wait)
                entry.sent.append(self._clock())
        finally:
            entry.users -= 1
            if entry.users == 0 and not entry.sent:
                del self._conversations[conversation_id]

    def _forget_idle(self) -> None:
        horizon = self._clock() - self._longest
        for key, entry in list(self._conversations.items()):
            if entry.users == 0 and (not entry.sent or entry.sent[-1] <= horizon):
                del self._conversations[key]


# --- the notifier -----------------------------------------------------------------------


@dataclass(frozen=True)
class NotifyRetry:
    max_attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 20.0


@dataclass(frozen=True)
class _Answer:
    status: int
    code: str | None
    retry_after: float | None


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
        outcome = await self._deliver(card.reference, card_message(content, card.activity_id))
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
        return await self._deliver(reference, card_message(content))

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
            await self._pacer.turn(conversation_id)
            answer = await self._attempt(parsed, activity)
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

    async def _attempt(
        self, reference: ConversationReference, activity: Activity
    ) -> Delivered | _Answer:
        result: list[Delivered | _Answer] = []

        async def callback(context: TurnContext) -> None:
            try:
                if activity.id is not None:
                    await context.update_activity(activity)
                    result.append(Delivered(activity.id))
                else:
                    response = await context.send_activity(activity)
                    result.append(Delivered(getattr(response, "id", None)))
            except aiohttp.ClientResponseError as exc:
                result.append(_answer_of(exc))
            except (aiohttp.ClientError, TimeoutError) as exc:
                logger.info("Teams connector unreachable: %s", type(exc).__name__)
                result.append(_Answer(0, type(exc).__name__, None))

        continuation = reference.get_continuation_activity()
        try:
            if self._app_id:
                await self._adapter.continue_conversation(self._app_id, continuation, callback)
            else:
                anonymous = ClaimsIdentity({}, authentication_type="anonymous")
                await self._adapter.continue_conversation_with_claims(
                    anonymous, continuation, callback, AuthenticationConstants.AGENTS_SDK_SCOPE
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            return _Answer(0, type(exc).__name__, None)
        except Exception as exc:  # the SDK's own failures (bad reference, token source...)
            logger.exception("proactive turn failed")
            return _Answer(-1, type(exc).__name__, None)
        if not result:
            return _Answer(-1, "NoResult", None)
        return result[0]


def _answer_of(error: aiohttp.ClientResponseError) -> _Answer:
    code: str | None = None
    try:
        body = json.loads(error.message)
    except (TypeError, ValueError):
        body = None
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict) and isinstance(inner.get("code"), str):
            code = inner["code"]
    retry_after = None
    if error.headers is not None:
        retry_after = parse_retry_after(error.headers.get("Retry-After"))
    return _Answer(error.status, code, retry_after)
