"""Attachments in the store: the descriptions travel with the content (and its hash), the
bytes are kept beside the request, checked when stored, and purged with the bodies."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from bot.domain.attachments import describe
from bot.domain.send_request import (
    OutgoingMessage,
    RenderedContent,
    SendRequest,
    SendState,
    new_draft,
)
from bot.store import Store
from bot.store.records import PacingPolicy, RetentionPolicy
from tests.store.helpers import Clock, draft, message


def with_files(n: int, *contents: bytes) -> OutgoingMessage:
    base = message(n)
    files = [describe(f"file{i}.pdf", "application/pdf", c) for i, c in enumerate(contents)]
    content = replace(base.content, attachments=tuple(f.meta for f in files))
    return replace(base, content=content, files={f.meta.sha256: f.content for f in files})


def request_of(clock: Clock, outgoing: OutgoingMessage) -> SendRequest:
    request, _ = draft(clock.now)
    return new_draft(
        requester_oid=request.requester_oid,
        tenant_id=request.tenant_id,
        sender_address=request.sender_address,
        sender_kind=request.sender_kind,
        mode=request.mode,
        template=request.template,
        values={},
        messages=[outgoing],
        now=clock.now,
    )


async def test_files_are_stored_with_the_request_and_read_back(store: Store, clock: Clock) -> None:
    small, big = os.urandom(1024), os.urandom(300_000)
    outgoing = with_files(0, small, big)
    request = request_of(clock, outgoing)

    stored = await store.create_request(request, [outgoing])

    assert stored.content is not None
    assert [a.name for a in stored.content.attachments] == ["file0.pdf", "file1.pdf"]
    assert stored.content_hash == outgoing.content_hash
    (job,) = await store.list_jobs(request.id)
    assert job.content is not None
    assert job.content.attachments == outgoing.content.attachments
    for meta, data in zip(job.content.attachments, (small, big), strict=True):
        assert await store.attachment_content(request.id, meta.sha256) == data


async def test_bytes_that_differ_from_the_description_are_refused(
    store: Store, clock: Clock
) -> None:
    outgoing = with_files(0, b"approved bytes")
    (sha,) = outgoing.files
    tampered = replace(outgoing, files={sha: b"other bytes"})

    with pytest.raises(ValueError, match="attachment"):
        await store.create_request(request_of(clock, tampered), [tampered])


def test_a_changed_file_changes_the_content_hash() -> None:
    plain = RenderedContent("s", "<p>h</p>", "h")
    one = replace(plain, attachments=(describe("a.pdf", "application/pdf", b"one").meta,))
    other = replace(plain, attachments=(describe("a.pdf", "application/pdf", b"two").meta,))
    renamed = replace(plain, attachments=(describe("b.pdf", "application/pdf", b"one").meta,))

    hashes = {plain.content_hash, one.content_hash, other.content_hash, renamed.content_hash}

    assert len(hashes) == 4


async def test_compose_files_are_kept_once_and_can_be_dropped(store: Store) -> None:
    first = await store.save_attachment_content("compose-1", b"abc")
    again = await store.save_attachment_content("compose-1", b"abc")

    assert first == again
    assert await store.attachment_content("compose-1", first) == b"abc"
    await store.drop_attachment_content("compose-1", first)
    assert await store.attachment_content("compose-1", first) is None


async def test_purge_removes_files_with_the_bodies(store: Store, clock: Clock) -> None:
    outgoing = with_files(0, b"payslip")
    request = request_of(clock, outgoing)
    await store.create_request(request, [outgoing])
    await store.transition(request.id, 1, SendState.QUEUED)
    (claimed,) = await store.claim_due_jobs("w1", 1, 60, clock.now)
    await store.acquire_send_slot(claimed.lease, PacingPolicy(per_minute=6000), 60, clock.now)
    await store.record_sent(claimed.lease, "graph-1")
    await store.transition(request.id, 2, SendState.SENT)
    kept = await store.save_attachment_content("compose-recent", b"still composing")
    clock.advance(31 * 86400)
    fresh = await store.save_attachment_content("compose-new", b"just attached")

    await store.purge(RetentionPolicy(body_days=30), clock.now)

    (sha,) = outgoing.files
    assert await store.attachment_content(request.id, sha) is None
    assert await store.attachment_content("compose-recent", kept) is None
    assert await store.attachment_content("compose-new", fresh) == b"just attached"
