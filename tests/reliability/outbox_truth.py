"""Does a request's final state tell the truth? Counts, by Mailroom id, what every recipient
received (tenant Inboxes and the deliveries outside the tenant) once Exchange's transport has
nothing left to do, and checks each message's final state against it:

* ``sent`` — received exactly once;       * ``failed`` / ``cancelled`` — never received;
* ``unknown`` — at most once (it may have gone out; Mailroom said it does not know);
* the request: ``sent`` when every message was, ``failed`` when any failed, else ``unknown``
  when any is unknown.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass

from bot.domain.send_request import SendRequest, SendState
from bot.store import JobState, Store
from emulator.testing import RunningEmulator
from tests.outbox.helpers import mailroom_ids
from tests.reliability.figures import Figures


@dataclass(frozen=True)
class Tally:
    request: SendRequest
    queued: int
    delivered: int
    lost: int
    duplicates: int
    truthful: bool
    problems: tuple[str, ...]


def received(emulator: RunningEmulator) -> Counter[str]:
    """Copies received per Mailroom id, inside the tenant and out."""
    control = emulator.control
    messages = [d["message"] for d in control.external_deliveries()]
    for account in emulator.tenant.accounts:
        if account.has_mailbox:
            messages += control.mailbox(account.upn, "inbox")
    return Counter(mailroom_ids(messages))


async def settled(emulator: RunningEmulator, delays_injected: int = 0) -> None:
    """Wait until Exchange has nothing pending and the emulator has answered every request a
    ``delay`` fault held back (a request the client gave up on still completes: it is logged
    when it does)."""
    control = emulator.control
    async with asyncio.timeout(20):
        while True:
            state = await asyncio.to_thread(control.transport, 0.2)
            unused = sum(f["remaining"] for f in control.faults() if f["kind"] == "delay")
            answered = sum(1 for e in control.request_log() if e["fault"] == "delay")
            if state["pending"] == 0 and answered >= delays_injected - unused:
                return


_SHOULD_RECEIVE = {
    JobState.SENT: (1, 1),
    JobState.FAILED: (0, 0),
    JobState.CANCELLED: (0, 0),
    JobState.UNKNOWN: (0, 1),
}


async def tally(emulator: RunningEmulator, store: Store, request_id: str) -> Tally:
    request = await store.get_request(request_id)
    jobs = await store.list_jobs(request_id)
    copies = received(emulator)
    problems: list[str] = []
    for job in jobs:
        low, high = _SHOULD_RECEIVE.get(job.state, (-1, -1))
        got = copies[job.mailroom_id]
        if not low <= got <= high:
            problems.append(f"message {job.seq} is {job.state} but was received {got} times")
    states = {j.state for j in jobs}
    expected = SendState.SENT
    if JobState.FAILED in states:
        expected = SendState.FAILED
    elif JobState.UNKNOWN in states:
        expected = SendState.UNKNOWN
    if request.state is not expected and request.state is not SendState.CANCELLED:
        problems.append(f"the request is {request.state}, its messages say {expected}")
    ours = {j.mailroom_id for j in jobs}
    delivered = sum(n for mid, n in copies.items() if mid in ours)
    return Tally(
        request=request,
        queued=len(jobs),
        delivered=delivered,
        lost=sum(1 for j in jobs if j.state is JobState.SENT and copies[j.mailroom_id] == 0),
        duplicates=sum(n - 1 for mid, n in copies.items() if mid in ours and n > 1),
        truthful=not problems,
        problems=tuple(problems),
    )


async def counted(
    emulator: RunningEmulator, store: Store, request_id: str, figures: Figures
) -> Tally:
    """``tally`` added to the suite's figures."""
    found = await tally(emulator, store, request_id)
    figures.mail(queued=found.queued, delivered=found.delivered, lost=found.lost,
                 duplicates=found.duplicates)  # fmt: skip
    figures.outcome(str(found.request.state), truthful=found.truthful)
    return found
