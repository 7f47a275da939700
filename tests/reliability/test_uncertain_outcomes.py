"""When the mailbox cannot say what happened: a draft someone deleted, lookups refused, a
message gone from Drafts after a send that may have been taken. Mailroom never resends
blindly and never says "sent" without knowing: it fails saying why, or it reports the
outcome as unknown with the mailbox whose Sent Items tell (card, /status, audit)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.domain.send_request import SendState
from bot.outbox import Worker
from bot.outbox.progress import ProgressPublisher, default_render_card
from bot.store import Job, JobState, Store, utc_now
from cards.requests import state_label
from emulator.testing import RunningEmulator
from tests.clients.conftest import live_http, msal_tokens
from tests.outbox.conftest import clock, graph, make_worker
from tests.outbox.helpers import (
    NOREPLY,
    SEND,
    create_calls,
    fast_config,
    lookups,
    queue_request,
    send_calls,
    wait_final,
)
from tests.reliability.figures import Figures
from tests.reliability.outbox_truth import counted, settled
from tests.store.conftest import database_url, open_another, store
from tests.support.botapp import text_of

__all__ = ["clock", "database_url", "graph", "live_http", "make_worker", "msal_tokens",
           "open_another", "store"]  # fmt: skip

MakeWorker = Callable[..., Worker]
LOOKUP = "*/messages"


async def job_state(store: Store, request_id: str, wanted: JobState) -> Job:
    """The request's only job once it is ``wanted`` with its draft created."""
    async with asyncio.timeout(10):
        while True:
            [job] = await store.list_jobs(request_id)
            if job.state is wanted and job.draft_id is not None:
                return job
            await asyncio.sleep(0.02)


def draft_of(emulator: RunningEmulator) -> str:
    [draft] = emulator.control.mailbox(NOREPLY, "drafts")
    return str(draft["id"])


async def test_a_draft_deleted_before_it_was_sent_fails_saying_so_and_a_retry_sends_it_once(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker, figures: Figures
) -> None:
    emulator.control.add_fault("POST", SEND, "throttle", retry_after=1.0)
    request = await queue_request(store, emulator, recipients=("a@fabrikam.com",))
    await make_worker(store).start()
    job = await job_state(store, request.id, JobState.QUEUED)  # throttled, its draft kept
    emulator.control.delete_message(NOREPLY, draft_of(emulator))  # someone tidies Drafts
    figures.fault("outbox: a draft deleted by a user")

    failed = await wait_final(store, request.id)

    assert (failed.state, failed.error_key) == (SendState.FAILED, "draft_deleted")
    assert job.draft_id is not None
    assert len(send_calls(emulator, 202)) == 0
    assert (await counted(emulator, store, request.id, figures)).truthful

    retried = await store.transition(request.id, failed.version, SendState.QUEUED)
    done = await wait_final(store, retried.id)

    assert done.state is SendState.SENT
    found = await counted(emulator, store, request.id, figures)
    assert (found.truthful, found.delivered) == (True, 1)
    assert len(create_calls(emulator)) == 2  # a new draft: the deleted one was never sent


async def test_a_message_whose_fate_stays_unknown_is_reported_so_and_never_resent(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker, figures: Figures
) -> None:
    emulator.control.add_fault("POST", SEND, "drop_after_accept")  # it went out, unheard
    emulator.control.add_fault(
        "GET", LOOKUP, "error", count=1000, status=403, code="ErrorAccessDenied"
    )  # and the mailbox cannot be read
    figures.fault("outbox: lookups refused after an uncertain send")
    request = await queue_request(store, emulator, recipients=("b@fabrikam.com",))
    await make_worker(store, config=fast_config(unknown_after=1.5)).start()

    done = await wait_final(store, request.id, within=15)
    await settled(emulator)

    assert (done.state, done.error_key) == (SendState.UNKNOWN, "outcome_unknown")
    [job] = await store.list_jobs(request.id)
    assert job.state is JobState.UNKNOWN
    assert len(send_calls(emulator)) == 1  # never resent
    assert len(lookups(emulator)) >= 2  # it kept asking until the bound
    found = await counted(emulator, store, request.id, figures)
    assert (found.truthful, found.delivered) == (True, 1)
    [row] = [r for r in await store.query_audit() if r.request_id == request.id]
    assert (row.outcome, row.mailroom_id) == ("unknown", job.mailroom_id)
    progress = ProgressPublisher(store, None, default_render_card, utc_now, 1.0)
    card = text_of(default_render_card(await progress.snapshot(request.id), None))
    assert card.splitlines()[0] == "Outcome unknown"  # not "Sent"
    assert f"check the Sent Items of {NOREPLY}" in card
    assert "unknown" in state_label(str(done.state)).lower()


async def test_a_draft_gone_after_a_send_that_may_have_been_taken_is_unknown_not_resent(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker, figures: Figures
) -> None:
    emulator.control.add_fault("POST", SEND, "drop_before_accept")  # in fact not taken
    emulator.control.add_fault("GET", LOOKUP, "error", count=1000, status=503)
    figures.fault("outbox: a draft deleted after an uncertain send")
    request = await queue_request(store, emulator, recipients=("c@fabrikam.com",))
    await make_worker(store, config=fast_config(unknown_after=1.5)).start()
    await job_state(store, request.id, JobState.MAYBE_SENT)
    async with asyncio.timeout(10):
        while not lookups(emulator):
            await asyncio.sleep(0.02)
    emulator.control.delete_message(NOREPLY, draft_of(emulator), hard=True)
    emulator.control.clear_faults()

    done = await wait_final(store, request.id, within=15)

    assert done.state is SendState.UNKNOWN
    assert (len(create_calls(emulator)), len(send_calls(emulator))) == (1, 1)
    found = await counted(emulator, store, request.id, figures)
    assert (found.truthful, found.delivered) == (True, 0)
