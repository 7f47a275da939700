"""Exchange's recipients per mailbox per 24 hours, counted in the store: a bulk send never
passes it (so Exchange never blocks the mailbox and no NDR comes back), the rest of the
send waits for the next window and the progress card says from when."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from bot.outbox import Worker
from bot.store import JobState, Store, utc_now
from cards import progress as progress_card
from emulator.testing import RunningEmulator
from tests.outbox.helpers import NOREPLY, fast_config, queue_request
from tests.outbox.test_pacing import noreply_at
from tests.support.botapp import text_of

MakeWorker = Callable[..., Worker]


async def sent_count(store: Store, request_id: str, wanted: int) -> int:
    for _ in range(300):
        counts = await store.job_counts(request_id)
        if counts.sent >= wanted:
            return counts.sent
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {wanted} sent")


async def test_a_bulk_send_past_the_daily_limit_waits_for_the_next_window(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    emulator.control.set_move_delay(0)
    emulator.control.set_limits(recipients_per_day=2)  # Exchange, as strict as Mailroom
    readers = tuple(f"reader{n}@example.com" for n in range(3))
    request = await queue_request(store, emulator, recipients=readers)
    worker = make_worker(store, config=fast_config(recipients_per_day=2), senders=noreply_at(600))
    await worker.start()

    assert await sent_count(store, request.id, 2) == 2
    waiting = await store.list_jobs(request.id, [JobState.QUEUED])
    progress = await worker.progress.snapshot(request.id)

    assert len(waiting) == 1
    assert waiting[0].due_at is not None
    assert waiting[0].due_at > utc_now() + timedelta(hours=23)
    assert progress.quota_resumes_at is not None
    assert progress.quota_resumes_at > utc_now() + timedelta(hours=23)
    assert progress.eta_seconds is not None
    assert progress.eta_seconds > 23 * 3600
    emulator.control.transport(wait=5)
    assert emulator.control.mailbox(NOREPLY, "inbox") == []  # no NDR: never past the limit
    assert len(emulator.control.external_deliveries()) == 2
    card = text_of(worker.progress.render(progress, None) or {})
    assert "has reached Exchange's recipient limit (2 a day)" in card
    assert "the rest go out from" in card
    assert "about 24 h left" in card or "about 23 h" in card


def test_the_progress_card_says_when_the_rest_goes_out() -> None:
    view = progress_card.ProgressView(
        request_id="r-1",
        sender="noreply@contoso.com",
        subject="Outage",
        total=3,
        sent=2,
        phase="running",
        quota_resumes_at="2026-12-03 09:00 UTC",
        recipients_per_day=10_000,
    )

    text = text_of(progress_card.build(view))

    assert "noreply@contoso.com has reached Exchange's recipient limit (10,000 a day)" in text
    assert "the rest go out from 2026-12-03 09:00 UTC" in text
