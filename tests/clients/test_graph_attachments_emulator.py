"""GraphClient puts files on a draft against the emulator over real HTTPS: one POST under
3 MB, an upload session in ranges from 3 MB, and the message size limit as a typed error."""

from __future__ import annotations

import base64
import os

from bot.errors import MessageTooLarge
from bot.graph import APP, Attached, Attachment, Created, DraftRef, GraphClient, NotSent, Sent
from emulator.testing import RunningEmulator
from tests.clients.test_graph_emulator import message

MB = 1024 * 1024
SUPPORT = "support@contoso.com"


async def _draft(graph: GraphClient, mailroom_id: str) -> DraftRef:
    created = await graph.create_draft(APP, message(mailroom_id), mailbox=SUPPORT)
    assert isinstance(created, Created), created
    return created.draft


async def test_a_small_and_a_large_file_reach_the_recipient_byte_for_byte(
    emulator: RunningEmulator, live_graph: GraphClient
) -> None:
    small, large = os.urandom(1024), os.urandom(5 * MB + 3)
    draft = await _draft(live_graph, "att-1")

    first = await live_graph.attach(APP, draft, Attachment("a.txt", "text/plain", small))
    second = await live_graph.attach(APP, draft, Attachment("b.bin", "application/pdf", large))

    assert isinstance(first, Attached), first
    assert isinstance(second, Attached), second
    assert second.attachment_id
    assert await live_graph.list_attachments(APP, draft) == [
        ("a.txt", 1024),
        ("b.bin", len(large)),
    ]
    sent = await live_graph.send_draft(APP, draft)
    assert isinstance(sent, Sent)
    (delivered,) = emulator.control.external_deliveries()
    files = {
        a["name"]: base64.b64decode(a["contentBytes"]) for a in delivered["message"]["attachments"]
    }
    assert files == {"a.txt": small, "b.bin": large}
    uploads = [e for e in emulator.control.request_log() if e["method"] == "PUT"]
    assert len(uploads) == 2  # 5 MB in ranges under 4 MB


async def test_a_file_past_the_message_size_limit_is_a_typed_refusal(
    emulator: RunningEmulator, live_graph: GraphClient
) -> None:
    emulator.control.set_limits(max_message_bytes=4 * MB)
    draft = await _draft(live_graph, "att-2")

    answer = await live_graph.attach(APP, draft, Attachment("c.bin", "x/y", b"\0" * (4 * MB)))

    assert isinstance(answer, NotSent)
    assert isinstance(answer.error, MessageTooLarge)
