"""The worker sends queued requests through Graph (the emulator, over HTTPS), each sender
kind through its own call, and records what happened: the request, the job, the audit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bot.domain.send_request import SenderKind, SendMode, SendRequest, SendState
from bot.identity import GRAPH_RESOURCE, MsalTokenProvider
from bot.outbox import GuardResult, Worker
from bot.store import JobState, Store
from emulator.testing import RunningEmulator
from tests.outbox.helpers import (
    ADELE,
    DIEGO,
    JOHANNA,
    LYNNE,
    MEGAN,
    NOREPLY,
    SEND,
    SUPPORT,
    AllowGuard,
    BrokenGuard,
    DenyGuard,
    create_calls,
    mailroom_ids,
    oid_of,
    queue_request,
    send_calls,
    wait_final,
)

MakeWorker = Callable[..., Worker]


async def sign_in(emulator: RunningEmulator, tokens: MsalTokenProvider, upn: str) -> None:
    """What the Send click does: exchange the user's Teams SSO token, so msal caches it."""
    sso = emulator.control.mint_user_token(upn)
    await tokens.user_token(oid_of(emulator, upn), sso, GRAPH_RESOURCE)


async def test_a_noreply_send_goes_out_once_with_its_mailroom_id_and_is_audited(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    guard = AllowGuard()
    request = await queue_request(store, emulator, recipients=(MEGAN,))
    worker = make_worker(store, guard=guard)
    await worker.start()

    done = await wait_final(store, request.id)

    assert done.state is SendState.SENT
    [job] = await store.list_jobs(request.id)
    assert job.state is JobState.SENT
    [create] = create_calls(emulator)
    calls = send_calls(emulator)
    assert create["path"] == f"/v1.0/users/{NOREPLY}/messages"
    assert [c["path"] for c in calls] == [f"/v1.0/users/{NOREPLY}/messages/{job.draft_id}/send"]
    assert done.graph_request_id == calls[0]["request_id"] == job.graph_request_id
    assert mailroom_ids(emulator.control.mailbox(MEGAN, "inbox")) == [job.mailroom_id]
    assert guard.checked == [request.id]
    [row] = await store.query_audit(sender=NOREPLY)
    assert (row.outcome, row.mailroom_id, row.request_id) == ("sent", job.mailroom_id, request.id)
    assert row.graph_request_ids == (calls[0]["request_id"],)
    assert row.content_hash == job.content_hash
    assert row.recipients.to == (MEGAN,)


@pytest.mark.parametrize(
    ("requester", "sender", "kind", "path", "sent_items"),
    [
        (ADELE, ADELE, SenderKind.SELF, "/v1.0/me", ADELE),
        (ADELE, SUPPORT, SenderKind.SEND_AS, "/v1.0/me", ADELE),
        (LYNNE, MEGAN, SenderKind.SEND_ON_BEHALF, "/v1.0/me", LYNNE),
        (ADELE, SUPPORT, SenderKind.SHARED, f"/v1.0/users/{SUPPORT}", SUPPORT),
    ],
)
async def test_delegated_senders_use_the_users_cached_token_and_the_right_call(
    emulator: RunningEmulator,
    store: Store,
    make_worker: MakeWorker,
    msal_tokens: MsalTokenProvider,
    requester: str,
    sender: str,
    kind: SenderKind,
    path: str,
    sent_items: str,
) -> None:
    await sign_in(emulator, msal_tokens, requester)
    request = await queue_request(
        store,
        emulator,
        requester=requester,
        sender=sender,
        kind=kind,
        mode=SendMode.DELEGATED,
        recipients=(DIEGO,),
    )
    guard = AllowGuard()
    await make_worker(store, guard=guard).start()

    done = await wait_final(store, request.id)

    assert done.state is SendState.SENT
    [job] = await store.list_jobs(request.id)
    [create], [send] = create_calls(emulator), send_calls(emulator)
    assert (create["path"], send["path"]) == (
        f"{path}/messages",
        f"{path}/messages/{job.draft_id}/send",
    )
    assert create["oid"] == send["oid"] == oid_of(emulator, requester)
    [received] = emulator.control.mailbox(DIEGO, "inbox")
    assert received["from"]["emailAddress"]["address"] == sender
    assert mailroom_ids(emulator.control.mailbox(sent_items, "sentitems")) == [job.mailroom_id]
    assert guard.checked == [request.id]  # rights re-checked in every mode, once


async def test_send_on_behalf_shows_the_user_as_the_sender(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker, msal_tokens: MsalTokenProvider
) -> None:
    await sign_in(emulator, msal_tokens, LYNNE)
    request = await queue_request(
        store,
        emulator,
        requester=LYNNE,
        sender=MEGAN,
        kind=SenderKind.SEND_ON_BEHALF,
        mode=SendMode.DELEGATED,
        recipients=(DIEGO,),
    )
    await make_worker(store).start()
    await wait_final(store, request.id)

    [received] = emulator.control.mailbox(DIEGO, "inbox")
    assert received["from"]["emailAddress"]["address"] == MEGAN
    assert received["sender"]["emailAddress"]["address"] == LYNNE


async def test_a_send_exchange_refuses_fails_with_the_graph_code_and_request_id(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker, msal_tokens: MsalTokenProvider
) -> None:
    await sign_in(emulator, msal_tokens, JOHANNA)
    request = await queue_request(
        store,
        emulator,
        requester=JOHANNA,
        sender=SUPPORT,
        kind=SenderKind.SEND_AS,
        mode=SendMode.DELEGATED,
        recipients=(DIEGO,),
    )
    await make_worker(store).start()

    done = await wait_final(store, request.id)

    assert done.state is SendState.FAILED
    assert (done.error_code, done.error_key) == ("ErrorSendAsDenied", "ErrorSendAsDenied")
    [call] = send_calls(emulator)
    assert call["status"] == 403
    assert done.graph_request_id == call["request_id"]
    [job] = await store.list_jobs(request.id)
    assert (job.state, job.attempts) == (JobState.FAILED, 1)
    [row] = await store.query_audit(user=JOHANNA)
    assert (row.outcome, row.error_code) == ("failed", "ErrorSendAsDenied")
    assert row.graph_request_ids == (call["request_id"],)
    assert emulator.control.mailbox(DIEGO, "inbox") == []
    assert emulator.control.mailbox(JOHANNA, "drafts") == []  # the unsent draft is not left
    assert job.draft_id is None


async def test_a_delegated_send_without_a_cached_token_fails_asking_to_sign_in(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    request = await queue_request(
        store,
        emulator,
        requester=ADELE,
        sender=ADELE,
        kind=SenderKind.SELF,
        mode=SendMode.DELEGATED,
    )
    await make_worker(store).start()

    done = await wait_final(store, request.id)

    assert (done.state, done.error_key) == (SendState.FAILED, "consent_required")
    assert (create_calls(emulator), send_calls(emulator)) == ([], [])


async def test_an_application_send_the_guard_refuses_is_not_sent(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    request = await queue_request(
        store, emulator, sender=SUPPORT, kind=SenderKind.SHARED, mode=SendMode.APPLICATION
    )
    await make_worker(store, guard=DenyGuard("missing_send_as")).start()

    done = await wait_final(store, request.id)

    assert (done.state, done.error_key) == (SendState.FAILED, "missing_send_as")
    assert (create_calls(emulator), send_calls(emulator)) == ([], [])
    [row] = await store.query_audit()
    assert (row.outcome, row.error_code) == ("failed", "missing_send_as")


async def test_a_guard_that_fails_counts_as_a_refusal(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    request = await queue_request(store, emulator)
    await make_worker(store, guard=BrokenGuard()).start()

    done = await wait_final(store, request.id)

    assert (done.state, done.error_key) == (SendState.FAILED, "rights_unverified")
    assert (create_calls(emulator), send_calls(emulator)) == ([], [])


async def test_a_bulk_send_sends_one_message_per_row_and_closes_sent(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    people = (MEGAN, DIEGO, LYNNE, ADELE)
    request = await queue_request(store, emulator, recipients=people)
    await make_worker(store).start()

    done = await wait_final(store, request.id)

    assert done.state is SendState.SENT
    jobs = await store.list_jobs(request.id)
    for person, job in zip(people, jobs, strict=True):
        assert mailroom_ids(emulator.control.mailbox(person, "inbox")) == [job.mailroom_id]
    assert len(send_calls(emulator)) == 4
    rows = await store.query_audit(sender=NOREPLY)
    assert sorted(r.mailroom_id or "" for r in rows) == sorted(j.mailroom_id for j in jobs)


async def test_a_bulk_send_with_a_bad_row_ends_failed_and_lists_it(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    request = await queue_request(store, emulator, recipients=(MEGAN, "not-an-address@", DIEGO))
    await make_worker(store).start()

    done = await wait_final(store, request.id)

    assert done.state is SendState.FAILED
    counts = await store.job_counts(request.id)
    assert (counts.sent, counts.failed) == (2, 1)
    [failed] = await store.list_jobs(request.id, [JobState.FAILED])
    assert failed.recipients.to == ("not-an-address@",)
    assert done.error_code == failed.error_code


async def test_retry_failed_sends_only_the_failed_messages_again(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    emulator.control.add_fault(
        "POST", SEND, "error", status=400, code="ErrorInvalidRecipients", count=1
    )
    request = await queue_request(store, emulator, recipients=(MEGAN, DIEGO, LYNNE))
    await make_worker(store).start()
    failed = await wait_final(store, request.id)
    assert failed.state is SendState.FAILED
    assert (await store.job_counts(request.id)).failed == 1

    retried = await store.transition(request.id, failed.version, SendState.QUEUED)
    done = await wait_final(store, retried.id)

    assert done.state is SendState.SENT
    assert len(send_calls(emulator)) == 4
    for person in (MEGAN, DIEGO, LYNNE):
        assert len(emulator.control.mailbox(person, "inbox")) == 1
    outcomes = sorted(r.outcome for r in await store.query_audit())
    assert outcomes == ["failed", "sent", "sent", "sent"]


async def test_cancel_stops_the_rest_of_a_bulk_send(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    emulator.control.set_latency(150, path_pattern=SEND)
    recipients = tuple(f"reader{n}@example.com" for n in range(40))
    request = await queue_request(store, emulator, recipients=recipients)
    await make_worker(store).start()
    async with asyncio.timeout(20):
        while (await store.job_counts(request.id)).sent < 3:
            await asyncio.sleep(0.02)

    current = await store.get_request(request.id)
    cancelled = await store.transition(request.id, current.version, SendState.CANCELLED)
    async with asyncio.timeout(20):
        while (counts := await store.job_counts(request.id)).sending:
            await asyncio.sleep(0.02)

    assert cancelled.state is SendState.CANCELLED
    assert (await store.get_request(request.id)).state is SendState.CANCELLED
    assert counts.queued == counts.maybe_sent == 0
    assert counts.cancelled > 0
    assert counts.sent + counts.cancelled == 40
    await asyncio.sleep(0.3)
    assert len(send_calls(emulator, 202)) == counts.sent
    assert len(emulator.control.external_deliveries()) == counts.sent


@pytest.mark.parametrize("allowed", [True, False], ids=["allowed", "refused"])
async def test_the_guard_is_asked_once_per_request_when_its_first_message_gets_a_slot(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker, allowed: bool
) -> None:
    class CountingGuard:
        def __init__(self) -> None:
            self.checked: list[str] = []

        async def check(self, request: SendRequest) -> GuardResult:
            self.checked.append(request.id)
            return GuardResult(True) if allowed else GuardResult(False, "missing_send_as")

    guard = CountingGuard()
    people = (MEGAN, DIEGO, LYNNE, ADELE, JOHANNA)
    request = await queue_request(store, emulator, recipients=people)
    await make_worker(store, guard=guard).start()

    done = await wait_final(store, request.id)

    assert guard.checked == [request.id]
    counts = await store.job_counts(request.id)
    if allowed:
        assert (done.state, counts.sent) == (SendState.SENT, len(people))
    else:
        assert (done.state, counts.failed) == (SendState.FAILED, len(people))
        assert create_calls(emulator) == []
