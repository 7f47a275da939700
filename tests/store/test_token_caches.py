"""Delegated users' token caches in the store, sealed with Fernet: what the database holds
opens only with a configured key and only for its own user; keys rotate."""

from __future__ import annotations

from cryptography.fernet import Fernet

from bot.identity.token_cache import SealedCaches
from bot.store import Store
from tests.store.conftest import OpenStore

SECRET_CACHE = '{"RefreshToken": {"x": {"secret": "rt-0.AAAA-refresh-token-value"}}}'
NEW, OLD = Fernet.generate_key().decode(), Fernet.generate_key().decode()


async def test_a_users_cache_round_trips_and_the_row_holds_no_token(store: Store) -> None:
    caches = SealedCaches(store, [NEW])

    await caches.save("user-a", SECRET_CACHE)

    assert await caches.load("user-a") == SECRET_CACHE
    sealed = await store.load_token_cache("user-a")
    assert sealed is not None
    assert "refresh-token-value" not in sealed
    assert "user-a" not in sealed
    assert await caches.load("user-b") is None


async def test_another_replica_on_the_same_database_reads_it(open_another: OpenStore) -> None:
    first, second = await open_another(), await open_another()

    await SealedCaches(first, [NEW]).save("user-a", SECRET_CACHE)

    assert await SealedCaches(second, [NEW]).load("user-a") == SECRET_CACHE


async def test_a_rotated_key_still_opens_entries_sealed_with_the_old_one(store: Store) -> None:
    await SealedCaches(store, [OLD]).save("user-a", SECRET_CACHE)
    rotated = SealedCaches(store, [NEW, OLD])

    assert await rotated.load("user-a") == SECRET_CACHE
    await rotated.save("user-a", SECRET_CACHE)  # the next write seals with the new key
    assert await SealedCaches(store, [NEW]).load("user-a") == SECRET_CACHE


async def test_an_entry_no_key_opens_is_dropped_not_trusted(store: Store) -> None:
    await SealedCaches(store, [OLD]).save("user-a", SECRET_CACHE)

    assert await SealedCaches(store, [NEW]).load("user-a") is None
    assert await store.load_token_cache("user-a") is None


async def test_one_users_entry_copied_onto_another_does_not_open(store: Store) -> None:
    caches = SealedCaches(store, [NEW])
    await caches.save("user-a", SECRET_CACHE)
    sealed = await store.load_token_cache("user-a")
    assert sealed is not None

    await store.save_token_cache("user-b", sealed)

    assert await caches.load("user-b") is None


async def test_drop_forgets_the_entry(store: Store) -> None:
    caches = SealedCaches(store, [NEW])
    await caches.save("user-a", SECRET_CACHE)

    await caches.drop("user-a")
    await caches.drop("user-a")  # twice is fine

    assert await caches.load("user-a") is None
