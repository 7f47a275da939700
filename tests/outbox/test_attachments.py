"""The worker sends a request's files (the emulator, over HTTPS): inline when small, added
to the draft one by one from 3 MB, byte for byte; and it sends nothing whose files are no
longer the ones approved."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Any

from bot.domain.attachments import describe
from bot.domain.send_request import SenderKind, SendMode, SendState
from bot.identity import GRAPH_RESOURCE, MsalTokenProvider
from bot.outbox import Worker
from bot.store import Store
from emulator.testing import RunningEmulator
from tests.outbox.helpers import (
    ADELE,
    JOHANNA,
    SUPPORT,
    create_calls,
    lookups,
    oid_of,
    queue_request,
    send_calls,
    wait_final,
)
from tests.store.helpers import run_raw_sql

MakeWorker = Callable[..., Worker]
MB = 1024 * 1024


def files_of(message: dict[str, Any]) -> dict[str, bytes]:
    return {a["name"]: base64.b64decode(a["contentBytes"]) for a in message["attachments"]}


async def test_a_1_kb_and_a_5_mb_file_from_a_shared_mailbox_arrive_byte_identical(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    small, large = os.urandom(1024), os.urandom(5 * MB)
    request = await queue_request(
        store, emulator, sender=SUPPORT, kind=SenderKind.SHARED, recipients=(JOHANNA,),
        files=(("notes.txt", small), ("scan.pdf", large)),
    )  # fmt: skip
    await make_worker(store).start()

    done = await wait_final(store, request.id)

    assert done.state is SendState.SENT, done.error_code
    (received,) = emulator.control.mailbox(JOHANNA, "inbox")
    assert files_of(received) == {"notes.txt": small, "scan.pdf": large}
    log = emulator.control.request_log()
    assert [e for e in log if e["path"].endswith("/attachments/createUploadSession")]
    assert len(send_calls(emulator)) == 1


async def test_small_files_ride_inline_in_the_draft(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    data = os.urandom(2048)
    request = await queue_request(store, emulator, recipients=(JOHANNA,), files=(("a.csv", data),))
    await make_worker(store).start()

    assert (await wait_final(store, request.id)).state is SendState.SENT
    (create,) = create_calls(emulator)
    assert not [e for e in emulator.control.request_log() if "/attachments" in e["path"]]
    (received,) = emulator.control.mailbox(JOHANNA, "inbox")
    assert files_of(received) == {"a.csv": data}
    assert create["status"] == 201


async def test_a_file_changed_after_approval_is_not_sent(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker, database_url: str
) -> None:
    request = await queue_request(
        store, emulator, recipients=(JOHANNA,), state=SendState.PENDING_APPROVAL,
        files=(("contract.pdf", b"the approved contract"),),
    )  # fmt: skip
    approved = await store.transition(request.id, request.version, SendState.APPROVED)
    await run_raw_sql(
        database_url,
        "UPDATE attachment_contents SET content = "
        f"'{base64.b64encode(b'another contract').decode()}'",
    )
    await store.transition(request.id, approved.version, SendState.QUEUED)
    await make_worker(store).start()

    done = await wait_final(store, request.id)

    assert done.state is SendState.FAILED
    (job,) = await store.list_jobs(request.id)
    assert (job.error_code, job.error_key) == ("ContentChanged", "content_changed")
    assert send_calls(emulator) == []
    assert emulator.control.mailbox(JOHANNA, "inbox") == []


async def test_a_file_swapped_for_another_after_approval_is_not_sent(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker, database_url: str
) -> None:
    request = await queue_request(
        store, emulator, recipients=(JOHANNA,), files=(("offer.pdf", b"offer v1"),),
    )  # fmt: skip
    other = describe("offer.pdf", "application/octet-stream", b"offer v2")
    manifest = f'[{{"contentType":"application/octet-stream","name":"offer.pdf","size":8,"sha256":"{other.meta.sha256}"}}]'  # noqa: E501
    await run_raw_sql(database_url, f"UPDATE outbox SET attachments = '{manifest}'")
    await run_raw_sql(
        database_url,
        "INSERT INTO attachment_contents (owner_id, sha256, content, stored_at) VALUES "
        f"('{request.id}', '{other.meta.sha256}', '{base64.b64encode(b'offer v2').decode()}',"
        " '2026-01-01T00:00:00.000000+00:00')",
    )
    await make_worker(store).start()

    done = await wait_final(store, request.id)

    assert done.state is SendState.FAILED
    assert send_calls(emulator) == []


async def test_a_message_over_the_size_limit_is_refused_and_its_draft_removed(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    emulator.control.set_limits(max_message_bytes=6 * MB)
    request = await queue_request(
        store, emulator, sender=SUPPORT, kind=SenderKind.SHARED, recipients=(JOHANNA,),
        files=(("a.bin", os.urandom(3 * MB)), ("b.bin", os.urandom(3 * MB))),
    )  # fmt: skip
    await make_worker(store).start()

    done = await wait_final(store, request.id)

    assert done.state is SendState.FAILED
    (job,) = await store.list_jobs(request.id)
    assert job.error_code == "ErrorMessageSizeExceeded"
    assert send_calls(emulator) == []
    assert emulator.control.mailbox(SUPPORT, "drafts") == []


async def test_a_delegated_send_as_puts_large_files_on_the_users_own_draft(
    emulator: RunningEmulator,
    store: Store,
    make_worker: MakeWorker,
    msal_tokens: MsalTokenProvider,
) -> None:
    """Send As from the user's own mailbox (``/me``): the draft, its upload session and the
    send all go through the user's token."""
    sso = emulator.control.mint_user_token(ADELE)
    await msal_tokens.user_token(oid_of(emulator, ADELE), sso, GRAPH_RESOURCE)
    large = os.urandom(4 * MB)
    request = await queue_request(
        store, emulator, requester=ADELE, sender=SUPPORT, kind=SenderKind.SEND_AS,
        mode=SendMode.DELEGATED, recipients=(JOHANNA,), files=(("big.pdf", large),),
    )  # fmt: skip
    await make_worker(store).start()

    done = await wait_final(store, request.id)

    assert done.state is SendState.SENT, done.error_code
    (received,) = emulator.control.mailbox(JOHANNA, "inbox")
    assert files_of(received) == {"big.pdf": large}
    sessions = [e for e in emulator.control.request_log() if "createUploadSession" in e["path"]]
    assert [e["path"].split("/messages/")[0] for e in sessions] == ["/v1.0/me"]


async def test_a_lost_answer_to_the_last_range_attaches_the_file_once(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    """The connection drops after the upload's last range was taken: the worker looks at the
    draft again, finds the file there, and sends it without uploading it a second time."""
    emulator.control.add_fault("PUT", "/api/v2.0/*", "drop_after_accept")
    large = os.urandom(3 * MB + 100)  # one range: the first PUT is the last
    request = await queue_request(
        store, emulator, sender=SUPPORT, kind=SenderKind.SHARED, recipients=(JOHANNA,),
        files=(("one.bin", large),),
    )  # fmt: skip
    await make_worker(store).start()

    done = await wait_final(store, request.id)

    assert done.state is SendState.SENT, done.error_code
    (received,) = emulator.control.mailbox(JOHANNA, "inbox")
    assert [a["name"] for a in received["attachments"]] == ["one.bin"]
    assert files_of(received) == {"one.bin": large}
    puts = [e for e in emulator.control.request_log() if e["method"] == "PUT"]
    assert len(puts) == 1
    assert all(f["remaining"] == 0 for f in emulator.control.faults())  # the drop happened
    assert lookups(emulator)  # the draft was looked at again, by its Mailroom id
    assert len(send_calls(emulator)) == 1
