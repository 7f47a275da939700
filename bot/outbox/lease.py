"""Keeping a job's lease alive while the worker works on it.

A lease expires only when its worker stops renewing it — because the process died or froze —
so another worker reclaims (and reconciles) a job only when its first worker is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType

from bot.errors import StoreError, VersionConflict
from bot.store.protocol import Store
from bot.store.records import Clock, Lease

logger = logging.getLogger(__name__)


class LeaseKeeper:
    """``async with LeaseKeeper(...):`` renews ``lease`` every ``every`` seconds until the
    block ends. Losing the lease (``VersionConflict``: reclaimed, cancelled) stops the
    renewals; the next update the worker makes under the lease will fail the same way."""

    def __init__(
        self, store: Store, lease: Lease, *, lease_seconds: float, every: float, clock: Clock
    ) -> None:
        self._store = store
        self._lease = lease
        self._lease_seconds = lease_seconds
        self._every = every
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self.lost = False

    async def __aenter__(self) -> LeaseKeeper:
        self._task = asyncio.create_task(self._beat(), name=f"lease-{self._lease.job_id}")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                await self._store.renew_lease(self._lease, self._lease_seconds, self._clock())
            except VersionConflict:
                self.lost = True
                logger.warning("lease on job %s was lost", self._lease.job_id)
                return
            except StoreError as exc:
                logger.warning("lease on job %s not renewed: %s", self._lease.job_id, exc)
