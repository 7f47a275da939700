"""The SQLite store's database thread: one job at a time, in order, results to the loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.store.sqlite_thread import DatabaseThread


async def test_jobs_run_in_order_on_one_thread_off_the_loop() -> None:
    thread = DatabaseThread("test-db")
    seen: list[tuple[int, int]] = []
    try:
        results = await asyncio.gather(
            *(
                thread.run(lambda n=n: seen.append((n, threading.get_ident())) or n)
                for n in range(5)
            )
        )
    finally:
        thread.stop()
    assert results == [0, 1, 2, 3, 4]
    assert [n for n, _ in seen] == [0, 1, 2, 3, 4]
    assert len({ident for _, ident in seen}) == 1
    assert threading.get_ident() not in {ident for _, ident in seen}


async def test_a_job_that_raises_hands_the_error_to_its_caller() -> None:
    thread = DatabaseThread("test-db")

    def fails() -> None:
        raise ValueError("no such row")

    try:
        with pytest.raises(ValueError, match="no such row"):
            await thread.run(fails)
        assert await thread.run(lambda: "still working") == "still working"
    finally:
        thread.stop()


async def test_a_cancelled_callers_job_still_runs_to_its_end() -> None:
    thread = DatabaseThread("test-db")
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def blocking() -> None:
        started.set()
        release.wait(timeout=10)
        ran.append("first")

    first = asyncio.ensure_future(thread.run(blocking))
    queued = asyncio.ensure_future(thread.run(lambda: ran.append("queued")))
    await asyncio.to_thread(started.wait, 10)
    first.cancel()
    queued.cancel()
    release.set()
    try:
        assert await thread.run(lambda: "after") == "after"
    finally:
        thread.stop()
    assert ran == ["first", "queued"]
    assert first.cancelled()
    assert queued.cancelled()
