"""A message's files at send time: read from the store and checked against the content they
were approved with, then put on the draft when they do not ride in it.

The check is the last word on "an approval binds the files": the job's content — its
attachments' descriptions included — must still hash to the hash stored (and approved) with
it, and each file's bytes must still be exactly the ones described. Anything else is not
sent (``content_changed``, ``attachment_unavailable``).
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

from bot.domain.attachments import matches
from bot.errors import GraphError, GraphTransportError, IdentityError
from bot.graph import Attached, Attachment, AttachOutcome, Caller, DraftRef, GraphClient, NotSent
from bot.netclient import Timeouts
from bot.store.protocol import Store
from bot.store.records import Job

FileProblem = Literal["content_changed", "attachment_unavailable"]


async def load_files(store: Store, job: Job) -> tuple[Attachment, ...] | FileProblem:
    content = job.content
    if content is None:
        return ()  # the caller refuses a purged body on its own
    if content.content_hash != job.content_hash:
        return "content_changed"
    files: list[Attachment] = []
    for meta in content.attachments:
        data = await store.attachment_content(job.request_id, meta.sha256)
        if data is None:
            return "attachment_unavailable"
        if not matches(meta, data):
            return "content_changed"
        files.append(Attachment(meta.name, meta.content_type, data))
    return tuple(files)


async def put_on_draft(
    graph: GraphClient,
    caller: Caller,
    draft: DraftRef,
    files: tuple[Attachment, ...],
    timeouts: Timeouts,
) -> AttachOutcome:
    """Add each file the draft does not have yet (by name and size: a retry after a lost
    answer finds the file there and does not add it twice)."""
    try:
        present = Counter(await graph.list_attachments(caller, draft, timeouts=timeouts))
    except (GraphError, GraphTransportError, IdentityError) as exc:
        return NotSent(exc, 1)
    for file in files:
        key = (file.name, len(file.content))
        if present[key] > 0:
            present[key] -= 1
            continue
        outcome = await graph.attach(caller, draft, file, timeouts=timeouts)
        if not isinstance(outcome, Attached):
            return outcome
    return Attached()
