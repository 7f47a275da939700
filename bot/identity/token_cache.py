"""Where delegated users' token caches (msal's serialised cache, one per user) are kept.

* ``MemoryCaches``: in the process; a restart or another replica means signing in again.
* ``SealedCaches``: in the store, each sealed with Fernet (``cryptography``: AES-128-CBC plus
  HMAC-SHA256, so a tampered or foreign entry is detected, not decrypted into garbage) under
  ``MAILROOM_TOKEN_CACHE_KEY``. ``MultiFernet``: the first key seals, every key opens, so keys
  rotate without signing anyone out (docs/configuration.md). The user's object id is bound
  into the sealed text, so one user's entry copied onto another's row does not open.

An entry that no key opens counts as "not signed in": it is dropped, and the user signs in.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.store import Store

logger = logging.getLogger(__name__)


class UserCaches(Protocol):
    async def load(self, user_oid: str) -> str | None:
        """The user's serialised msal cache, or None."""
        ...

    async def save(self, user_oid: str, serialised: str) -> None: ...

    async def drop(self, user_oid: str) -> None: ...


class MemoryCaches:
    def __init__(self) -> None:
        self._entries: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"MemoryCaches({len(self._entries)} users)"

    async def load(self, user_oid: str) -> str | None:
        return self._entries.get(user_oid)

    async def save(self, user_oid: str, serialised: str) -> None:
        self._entries[user_oid] = serialised

    async def drop(self, user_oid: str) -> None:
        self._entries.pop(user_oid, None)


class SealedCaches:
    def __init__(self, store: Store, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._store = store
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    def __repr__(self) -> str:
        return "SealedCaches()"

    async def load(self, user_oid: str) -> str | None:
        sealed = await self._store.load_token_cache(user_oid)
        if sealed is None:
            return None
        try:
            opened = self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            logger.warning("a stored token cache opens with no configured key; dropped")
            await self._store.drop_token_cache(user_oid)
            return None
        owner, _, serialised = opened.partition("\n")
        if owner != user_oid:
            logger.warning("a stored token cache belongs to another user; dropped")
            await self._store.drop_token_cache(user_oid)
            return None
        return serialised

    async def save(self, user_oid: str, serialised: str) -> None:
        sealed = self._fernet.encrypt(f"{user_oid}\n{serialised}".encode()).decode()
        await self._store.save_token_cache(user_oid, sealed)

    async def drop(self, user_oid: str) -> None:
        await self._store.drop_token_cache(user_oid)
