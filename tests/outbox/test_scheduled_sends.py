"""Scheduled sends through the outbox against the emulator, on a clock the test moves: a
send scheduled 2 minutes ahead goes out at its time, exactly once, with a restart (new
store and worker objects on the same database) in between; rights are asked again when it
starts; a cancelled one sends nothing; a bulk send created outside its sender's window
waits for the window."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.schedule import SendWindow
from bot.domain.send_request import SendRequest, SendState
from bot.domain.senders import Mode, RateLimits, SenderConfig, SenderKind
from bot.outbox import GuardResult, Worker
from bot.outbox.progress import default_render_card
from bot.store import JobState, Store, utc_now
from bot.store.factory import open_store
from emulator.testing import RunningEmulator
from tests.cards.anatomy import run_text
from tests.outbox.helpers import (
    MEGAN,
    NOREPLY,
    AllowGuard,
    accepted_sends,
    create_calls,
    queue_request,
    send_calls,
    wait_final,
)
from tests.store.conftest import OpenStore

MakeWorker = Callable[..., Worker]
WRONG_SEND_GRACE = 0.5
"""How long a wrongly claimed message is given to go out before "nothing was sent" is
checked (the worker polls every 0.05 s)."""


class ShiftedClock:
    """Real time moved by an offset the test sets: time flows (pacing waits work), and a
    jump stands in for minutes or days passing."""

    def __init__(self, start: datetime | None = None) -> None:
        self._offset = (start - utc_now()) if start is not None else timedelta(0)

    def __call__(self) -> datetime:
        return utc_now() + self._offset

    def jump(self, seconds: float) -> None:
        self._offset += timedelta(seconds=seconds)

    def set_to(self, moment: datetime) -> None:
        """Now is ``moment`` (and time flows on from it)."""
        self._offset = moment - utc_now()


@pytest.fixture
def clock() -> ShiftedClock:
    """The store fixtures' clock (``store``, ``open_another``) is this one too."""
    return ShiftedClock()


async def schedule(
    store: Store,
    emulator: RunningEmulator,
    at: datetime,
    recipients: tuple[str, ...] = (MEGAN,),
) -> SendRequest:
    draft = await queue_request(store, emulator, recipients=recipients, state=SendState.DRAFT)
    return await store.transition(
        draft.id, draft.version, SendState.QUEUED, send_at=at, send_zone="Europe/Berlin"
    )


class RecordingGuard:
    """Allows or refuses; remembers when (on the worker's clock) it was asked."""

    def __init__(self, clock: ShiftedClock, refuse: str | None = None) -> None:
        self.clock = clock
        self.refuse = refuse
        self.asked_at: list[datetime] = []

    async def check(self, request: SendRequest) -> GuardResult:
        self.asked_at.append(self.clock())
        return GuardResult(False, self.refuse) if self.refuse else GuardResult(True)


async def test_a_send_scheduled_two_minutes_ahead_goes_at_its_time_once_across_a_restart(
    emulator: RunningEmulator,
    store: Store,
    open_another: OpenStore,
    make_worker: MakeWorker,
    clock: ShiftedClock,
) -> None:
    due = clock() + timedelta(minutes=2)
    request = await schedule(store, emulator, due)
    first = make_worker(store, clock=clock)
    await first.start()
    clock.jump(60)
    first.wake()
    await asyncio.sleep(WRONG_SEND_GRACE)
    assert send_calls(emulator) == []
    await first.stop()
    await store.close()  # the process restarts: new store and worker on the same database

    again = await open_another()
    guard = RecordingGuard(clock)
    second = make_worker(again, clock=clock, guard=guard)
    await second.start()
    # Set, not moved: the restart took real time, which the clock counts too.
    clock.set_to(due - timedelta(seconds=5))
    second.wake()
    await asyncio.sleep(WRONG_SEND_GRACE)
    assert send_calls(emulator) == []  # seconds before its time: still waiting
    clock.set_to(due + timedelta(seconds=1))
    second.wake()
    done = await wait_final(again, request.id)

    assert done.state is SendState.SENT
    assert len(send_calls(emulator)) == 1
    assert len(accepted_sends(emulator)) == 1
    [job] = await again.list_jobs(request.id)
    assert job.sent_at is not None
    assert job.sent_at >= due
    assert len(guard.asked_at) == 1
    assert guard.asked_at[0] >= due  # rights asked when it starts, not when scheduled


async def test_a_right_lost_before_the_time_fails_it_with_the_reason_and_sends_nothing(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker, clock: ShiftedClock
) -> None:
    request = await schedule(store, emulator, clock() + timedelta(minutes=2))
    guard = RecordingGuard(clock, refuse="missing_send_as")
    worker = make_worker(store, clock=clock, guard=guard)
    await worker.start()
    clock.jump(121)
    worker.wake()

    done = await wait_final(store, request.id)

    assert (done.state, done.error_key) == (SendState.FAILED, "missing_send_as")
    assert create_calls(emulator) == []
    assert send_calls(emulator) == []
    [job] = await store.list_jobs(request.id)
    assert (job.state, job.error_key) == (JobState.FAILED, "missing_send_as")


async def test_cancelled_before_its_time_nothing_is_sent(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker, clock: ShiftedClock
) -> None:
    request = await schedule(store, emulator, clock() + timedelta(minutes=2))
    guard = AllowGuard()
    worker = make_worker(store, clock=clock, guard=guard)
    await worker.start()

    cancelled = await store.transition(request.id, request.version, SendState.CANCELLED)
    clock.jump(600)
    worker.wake()
    await asyncio.sleep(WRONG_SEND_GRACE)

    assert cancelled.state is SendState.CANCELLED
    assert {j.state for j in await store.list_jobs(request.id)} == {JobState.CANCELLED}
    assert create_calls(emulator) == []
    assert send_calls(emulator) == []
    assert guard.checked == []


BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = SendWindow(frozenset(range(5)), time(8, 0), time(18, 0), BERLIN)
FRIDAY_EVENING = datetime(2026, 12, 4, 17, 30, tzinfo=UTC)  # 18:30 in Berlin: closed
MONDAY_MORNING = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # 08:00 in Berlin: opens


@pytest.fixture
def friday_clock() -> ShiftedClock:
    return ShiftedClock(FRIDAY_EVENING)


def windowed(address: str) -> SenderConfig | None:
    if address != NOREPLY:
        return None
    return SenderConfig(
        address=NOREPLY,
        display_name="Contoso Notices",
        kind=SenderKind.NOREPLY,
        mode=Mode.APPLICATION,
        window=WEEKDAYS,
        rate=RateLimits(per_minute=6000),  # paced as fast_config's senders: not what is tested
    )


async def test_a_bulk_send_created_outside_its_senders_window_waits_for_it(
    emulator: RunningEmulator,
    database_url: str,
    make_worker: MakeWorker,
    friday_clock: ShiftedClock,
) -> None:
    clock = friday_clock
    async with open_store(database_url, clock=clock) as store:
        await store.migrate()
        people = (
            "megan.bowen@contoso.com",
            "lynne.robbins@contoso.com",
            "diego.siciliani@contoso.com",
        )
        request = await queue_request(store, emulator, recipients=people)
        worker = make_worker(store, clock=clock, senders=windowed)
        await worker.start()
        worker.wake()
        async with asyncio.timeout(10):
            while {j.due_at for j in await store.list_jobs(request.id)} != {MONDAY_MORNING}:
                await asyncio.sleep(0.05)
        jobs = [j.state for j in await store.list_jobs(request.id)]
        snapshot = await worker.progress.snapshot(request.id)
        card = run_text(default_render_card(snapshot, None))

        assert jobs == [JobState.QUEUED] * 3
        assert send_calls(emulator) == []
        assert snapshot.window_opens == MONDAY_MORNING
        assert "Mon–Fri 08:00–18:00 (Europe/Berlin)" in card
        assert "the next window opens Mon 7 Dec 2026, 08:00 (Europe/Berlin)" in card

        clock.jump((MONDAY_MORNING - clock()).total_seconds())
        worker.wake()
        done = await wait_final(store, request.id)

        assert done.state is SendState.SENT
        assert len(accepted_sends(emulator)) == 3
        await worker.stop()
