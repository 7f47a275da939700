"""The SQLite store's database thread: runs one job at a time, in the order given, and hands
each result to the event loop that asked for it.

A ``ThreadPoolExecutor`` with one worker did the same, at twice the CPU per job: its
``concurrent.futures.Future`` takes a lock and a condition on each side, and asyncio then
chains it to a future of its own. Here the job's result goes straight to an asyncio future
with one ``call_soon_threadsafe`` (about 35 µs a job instead of 70 on the reference machine).
Every transaction is one job, so a compose preview makes two.

A job runs even if its caller was cancelled meanwhile, queued or running: a transaction
ends as if its caller were still there (the result is dropped).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_Job = tuple[Callable[[], Any], asyncio.AbstractEventLoop, "asyncio.Future[Any]"]


class DatabaseThread:
    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        # Daemon: a process that exits without closing the store is not held up by it;
        # SQLite rolls back a transaction cut short when the database is next opened.
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def run(self, job: Callable[[], T]) -> asyncio.Future[T]:
        """``job()`` in the thread, after every job given before it."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()
        self._jobs.put((job, loop, done))
        return done

    def stop(self) -> None:
        """Let the jobs given so far finish, then end the thread."""
        self._jobs.put(None)
        self._thread.join()

    def _work(self) -> None:
        while (item := self._jobs.get()) is not None:
            job, loop, done = item
            try:
                outcome: tuple[Any, BaseException | None] = (job(), None)
            except BaseException as error:  # noqa: BLE001 - handed to the caller, as raised
                outcome = (None, error)
            with contextlib.suppress(RuntimeError):  # its loop has closed: nobody waits
                loop.call_soon_threadsafe(_settle, done, *outcome)


def _settle(done: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if done.cancelled():
        return
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(result)
