"""The audit log (append-only, queried by time, sender and user), retention of rendered
bodies, and remembered activity ids."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.send_request import Recipients, SenderKind, SendMode, SendState
from bot.errors import IllegalTransition, NotFound
from bot.store import AuditEntry, JobState, PacingPolicy, RetentionPolicy, Store
from tests.store.conftest import OpenStore
from tests.store.helpers import Clock, draft, run_raw_sql


def entry(clock: Clock, **overrides: object) -> AuditEntry:
    values: dict[str, object] = {
        "at": clock.now,
        "outcome": "sent",
        "requester_oid": "oid-alice",
        "requester_upn": "Alice@contoso.com",
        "sender_address": "support@contoso.com",
        "sender_kind": SenderKind.SHARED,
        "mode": SendMode.DELEGATED,
        "recipients": Recipients(to=("a@example.com",), bcc=("b@example.com",)),
        "template": "ticket-reply",
        "content_hash": "ab" * 32,
        "request_id": "req-1",
        "mailroom_id": "mr-1",
        "decision_reasons": ("full_access", "send_as"),
        "graph_request_ids": ("graph-1", "graph-2"),
    }
    values.update(overrides)
    return AuditEntry(**values)  # type: ignore[arg-type]


async def test_an_appended_audit_row_reads_back_whole(store: Store, clock: Clock) -> None:
    written = await store.append_audit(entry(clock))

    (read,) = await store.query_audit()

    assert written.id is not None
    assert read == written
    assert read.graph_request_ids == ("graph-1", "graph-2")


async def test_audit_queries_filter_by_time_sender_and_user(store: Store, clock: Clock) -> None:
    first = await store.append_audit(entry(clock))
    clock.advance(3600)
    second = await store.append_audit(entry(clock, sender_address="NoReply@contoso.com"))
    clock.advance(3600)
    third = await store.append_audit(
        entry(clock, requester_oid="oid-bob", requester_upn="bob@contoso.com")
    )

    since = await store.query_audit(since=clock.now - timedelta(hours=1))
    by_sender = await store.query_audit(sender="noreply@CONTOSO.com")
    by_upn = await store.query_audit(user="ALICE@contoso.com")
    by_oid = await store.query_audit(user="oid-bob")
    limited = await store.query_audit(limit=2)

    assert [e.id for e in since] == [second.id, third.id]
    assert [e.id for e in by_sender] == [second.id]
    assert [e.id for e in by_upn] == [first.id, second.id]
    assert [e.id for e in by_oid] == [third.id]
    assert [e.id for e in limited] == [first.id, second.id]


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET outcome = 'x'", "DELETE FROM audit_log"]
)
async def test_the_database_refuses_to_change_audit_rows(
    store: Store, clock: Clock, database_url: str, statement: str
) -> None:
    await store.append_audit(entry(clock))

    with pytest.raises(Exception, match="append-only"):
        await run_raw_sql(database_url, statement)

    assert len(await store.query_audit()) == 1


async def finished_request(store: Store, clock: Clock, final: SendState) -> str:
    request, outgoing = draft(clock.now)
    await store.create_request(request, outgoing)
    await store.transition(request.id, 1, SendState.QUEUED)
    (claimed,) = await store.claim_due_jobs("w1", 1, 60, clock.now)
    await store.acquire_send_slot(claimed.lease, PacingPolicy(per_minute=6000), 60, clock.now)
    if final is SendState.SENT:
        await store.record_sent(claimed.lease, "graph-1")
    else:
        await store.record_failed(claimed.lease, "ErrorSendAsDenied")
    await store.transition(request.id, 2, final)
    return request.id


async def test_purge_blanks_old_bodies_and_keeps_what_the_audit_needs(
    store: Store, clock: Clock
) -> None:
    old = await finished_request(store, clock, SendState.SENT)
    waiting, waiting_messages = draft(clock.now)
    await store.create_request(waiting, waiting_messages)
    await store.transition(waiting.id, 1, SendState.PENDING_APPROVAL)
    await store.append_audit(entry(clock, request_id=old))
    clock.advance(20 * 86400)
    recent = await finished_request(store, clock, SendState.SENT)
    clock.advance(11 * 86400)

    result = await store.purge(RetentionPolicy(body_days=30), clock.now)

    assert (result.requests, result.messages) == (1, 1)
    purged = await store.get_request(old)
    assert purged.content is None
    assert purged.values == {}
    assert purged.content_purged_at == clock.now
    assert purged.subject == "Ticket 0 — update"
    assert len(purged.content_hash) == 64
    assert purged.recipients.to == ("customer0@example.com",)
    (job,) = await store.list_jobs(old)
    assert (job.content, job.state) == (None, JobState.SENT)
    assert (await store.get_request(recent)).content is not None
    assert (await store.get_request(waiting.id)).content is not None
    assert len(await store.query_audit()) == 1
    assert (await store.purge(RetentionPolicy(body_days=30), clock.now)).requests == 0


async def test_a_purged_failed_request_cannot_be_retried(store: Store, clock: Clock) -> None:
    request_id = await finished_request(store, clock, SendState.FAILED)
    clock.advance(31 * 86400)
    await store.purge(RetentionPolicy(body_days=30), clock.now)

    with pytest.raises(IllegalTransition):
        await store.transition(request_id, 3, SendState.QUEUED)


async def test_a_redelivered_activity_is_recognised_across_replicas(
    open_another: OpenStore, clock: Clock
) -> None:
    replica_a, replica_b = await open_another(), await open_another()

    assert await replica_a.remember_activity("activity-1") is True
    assert await replica_b.remember_activity("activity-1") is False
    assert await replica_a.remember_activity("activity-1") is False
    assert await replica_b.remember_activity("activity-2") is True


async def test_a_forgotten_activity_id_counts_as_first_again(store: Store) -> None:
    assert await store.remember_activity("welcome-1") is True
    await store.forget_activity("welcome-1")
    await store.forget_activity("never-seen")  # nothing to forget is no error
    assert await store.remember_activity("welcome-1") is True
    assert await store.remember_activity("welcome-1") is False


async def test_purge_forgets_old_activity_ids(store: Store, clock: Clock) -> None:
    await store.remember_activity("activity-old")
    clock.advance(8 * 86400)
    await store.remember_activity("activity-new")

    result = await store.purge(RetentionPolicy(activity_days=7), clock.now)

    assert result.activities == 1
    assert await store.remember_activity("activity-old") is True
    assert await store.remember_activity("activity-new") is False


async def test_purge_deletes_compose_drafts_left_untouched_past_retention(
    store: Store, clock: Clock
) -> None:
    async def compose(request_id: str | None = None) -> str:
        made = await store.create_compose(
            user_oid="oid-alice", tenant_id="t", sender_address="s@contoso.com", template="x"
        )
        await store.update_compose(
            made.id, 1, fields={"var_body": "private words"}, request_id=request_id
        )
        return made.id

    abandoned = await compose()
    sent = await compose(await finished_request(store, clock, SendState.SENT))
    waiting, waiting_messages = draft(clock.now)
    await store.create_request(waiting, waiting_messages)
    await store.transition(waiting.id, 1, SendState.PENDING_APPROVAL)
    in_progress = await compose(waiting.id)
    clock.advance(31 * 86400)
    recent = await compose()

    result = await store.purge(RetentionPolicy(body_days=30), clock.now)

    assert result.drafts == 2
    for gone in (abandoned, sent):
        with pytest.raises(NotFound):
            await store.get_compose(gone)
    assert (await store.get_compose(in_progress)).fields == {"var_body": "private words"}
    assert (await store.get_compose(recent)).fields == {"var_body": "private words"}
