"""One welcome per installation of Mailroom in a conversation.

Teams announces an installation twice, with ``installationUpdate`` (``add``) and a
``conversationUpdate`` naming the bot in ``membersAdded``, and may redeliver either; the Teams
Store rules allow one welcome message (docs/platform.md, "Teams Store rules"). The mark is kept
where redeliveries are (``Store.remember_activity``, shared by every replica) under a key of
its own per conversation, and in this process for the seconds before the store is up. Removing
Mailroom from the conversation forgets it, so the next installation is welcomed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable

from bot.teams.turn import TurnInfo

logger = logging.getLogger(__name__)

_IN_MEMORY = 10_000


class WelcomeOnce:
    def __init__(self) -> None:
        self._sent: set[str] = set()

    async def first(self, info: TurnInfo, first_delivery: Callable[[str], Awaitable[bool]]) -> bool:
        """True the first time this conversation's installation is announced."""
        key = welcome_key(info)
        if key in self._sent or not await first_delivery(key):
            logger.info("welcome already sent in this conversation")
            return False
        if len(self._sent) >= _IN_MEMORY:
            self._sent.clear()  # the store remembers; this only covers startup
        self._sent.add(key)
        return True

    async def forget(
        self, info: TurnInfo, forget_delivery: Callable[[str], Awaitable[None]] | None
    ) -> None:
        key = welcome_key(info)
        self._sent.discard(key)
        if forget_delivery is not None:
            await forget_delivery(key)


def welcome_key(info: TurnInfo) -> str:
    digest = hashlib.sha256(f"welcome\n{info.conversation_id or ''}".encode()).hexdigest()
    return f"welcome:{digest[:48]}"
