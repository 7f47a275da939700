"""Audit rows the worker writes: one per message when its outcome is final (``sent`` or
``failed``), one per request when it expires.

A message's row is appended while the worker still holds the job's lease and *before* the
outcome is recorded, so a crash can never leave a recorded outcome without its row. The
other order of failure — row written, then the crash — is met on the reconcile path:
``already_audited`` looks for the row before a second one is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.send_request import SendRequest
from bot.store.protocol import Store
from bot.store.records import AuditEntry, Job


def message_entry(
    request: SendRequest,
    job: Job,
    outcome: str,
    at: datetime,
    *,
    graph_request_ids: Sequence[str] = (),
    error_code: str | None = None,
) -> AuditEntry:
    return AuditEntry(
        at=at,
        outcome=outcome,
        requester_oid=request.requester_oid,
        requester_upn=request.requester_upn,
        sender_address=request.sender_address,
        sender_kind=request.sender_kind,
        mode=request.mode,
        recipients=job.recipients,
        template=request.template,
        content_hash=job.content_hash,
        request_id=request.id,
        mailroom_id=job.mailroom_id,
        decision_reasons=request.decision_reasons,
        graph_request_ids=tuple(graph_request_ids),
        error_code=error_code,
    )


def request_entry(request: SendRequest, outcome: str, at: datetime) -> AuditEntry:
    """A row about the whole request (e.g. ``expired``: no message went out)."""
    return AuditEntry(
        at=at,
        outcome=outcome,
        requester_oid=request.requester_oid,
        requester_upn=request.requester_upn,
        sender_address=request.sender_address,
        sender_kind=request.sender_kind,
        mode=request.mode,
        recipients=request.recipients,
        template=request.template,
        content_hash=request.content_hash,
        request_id=request.id,
        decision_reasons=request.decision_reasons,
    )


async def already_audited(store: Store, request: SendRequest, job: Job, outcome: str) -> bool:
    """Is there a row for this message with this outcome already?"""
    rows = await store.query_audit(since=job.created_at, user=request.requester_oid)
    return any(r.mailroom_id == job.mailroom_id and r.outcome == outcome for r in rows)
