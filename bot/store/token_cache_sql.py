"""Delegated users' token caches: one opaque, already-encrypted text per user.

The store never sees a token: ``bot.identity.token_cache`` encrypts msal's serialised cache
before it gets here and decrypts it after. Shared by every replica on the same database.
"""

from __future__ import annotations

from bot.store.codec import utc
from bot.store.driver import Driver
from bot.store.records import Clock


class TokenCacheSql:
    _driver: Driver
    _clock: Clock

    async def load_token_cache(self, user_oid: str) -> str | None:
        row = await self._driver.read(
            lambda tx: tx.fetch_one(
                "SELECT sealed FROM user_token_caches WHERE user_oid = ?", (user_oid,)
            )
        )
        return None if row is None else str(row["sealed"])

    async def save_token_cache(self, user_oid: str, sealed: str) -> None:
        stamp = utc(self._clock())
        await self._driver.write(
            lambda tx: tx.execute(
                "INSERT INTO user_token_caches (user_oid, sealed, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_oid) DO UPDATE SET sealed = excluded.sealed,"
                " updated_at = excluded.updated_at",
                (user_oid, sealed, stamp),
            )
        )

    async def drop_token_cache(self, user_oid: str) -> None:
        await self._driver.write(
            lambda tx: tx.execute("DELETE FROM user_token_caches WHERE user_oid = ?", (user_oid,))
        )
