"""Helpers for the outbox tests: the demo tenant's people, building and queueing requests,
waiting for a request to end, and reading the emulator's log."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

from bot.domain.attachments import describe
from bot.domain.send_request import (
    OutgoingMessage,
    Recipients,
    RenderedContent,
    SenderKind,
    SendMode,
    SendRequest,
    SendState,
    new_draft,
)
from bot.netclient import Timeouts
from bot.outbox import GuardResult, WorkerConfig
from bot.store import Store, utc_now
from emulator.testing import RunningEmulator

ADELE = "adele.vance@contoso.com"
LYNNE = "lynne.robbins@contoso.com"
MEGAN = "megan.bowen@contoso.com"
JOHANNA = "johanna.lorenz@contoso.com"
DIEGO = "diego.siciliani@contoso.com"
SUPPORT = "support@contoso.com"
NOREPLY = "noreply@contoso.com"


def oid_of(emulator: RunningEmulator, upn: str) -> str:
    account = emulator.tenant.account(upn)
    assert account is not None
    return account.id


def fast_config(**overrides: Any) -> WorkerConfig:
    base = WorkerConfig(
        worker_id="test-worker",
        poll_interval=0.05,
        lease_seconds=30.0,
        send_timeouts=Timeouts(connect=2, read=10, total=15),
        default_per_minute=6000.0,
        max_slot_wait=1.0,
        retry_base_delay=0.05,
        retry_max_delay=0.5,
        default_retry_after=0.2,
        reconcile_delay=0.1,
        reconcile_retry_delay=0.2,
        unknown_after=5.0,
        card_update_interval=0.5,
        shutdown_grace=2.0,
    )
    return replace(base, **overrides)


def content(n: int, subject: str = "Your ticket") -> RenderedContent:
    return RenderedContent(
        subject=f"{subject} {n}",
        html=f"<p>Hello {n},</p><p>Your ticket is <b>closed</b>.</p>",
        text=f"Hello {n},\nYour ticket is closed.",
    )


async def queue_request(
    store: Store,
    emulator: RunningEmulator,
    *,
    requester: str = ADELE,
    sender: str = NOREPLY,
    kind: SenderKind = SenderKind.NOREPLY,
    mode: SendMode = SendMode.APPLICATION,
    recipients: Sequence[str] = (MEGAN,),
    bulk: bool | None = None,
    state: SendState = SendState.QUEUED,
    expires_in: float | None = None,
    files: Sequence[tuple[str, bytes]] = (),
) -> SendRequest:
    """A request from ``requester`` via ``sender``: one message per recipient when bulk
    (the default for several recipients), else one message to all of them; moved to
    ``state`` (queued: ready for the worker)."""
    is_bulk = len(recipients) > 1 if bulk is None else bulk
    if is_bulk:
        messages = [
            OutgoingMessage(Recipients(to=(r,)), content(n), {"n": n})
            for n, r in enumerate(recipients)
        ]
    else:
        messages = [OutgoingMessage(Recipients(to=tuple(recipients)), content(0), {"n": 0})]
    if files:
        described = [describe(name, "application/octet-stream", data) for name, data in files]
        messages = [
            replace(
                m,
                content=replace(m.content, attachments=tuple(f.meta for f in described)),
                files={f.meta.sha256: f.content for f in described},
            )
            for m in messages
        ]
    now = utc_now()
    draft = new_draft(
        requester_oid=oid_of(emulator, requester),
        requester_upn=requester,
        tenant_id=emulator.tenant_id,
        sender_address=sender,
        sender_kind=kind,
        mode=mode,
        template="ticket-reply",
        values={"n": 0},
        messages=messages,
        now=now,
        is_bulk=is_bulk,
        decision_reasons=("test",),
        approval_required=state is SendState.PENDING_APPROVAL,
        expires_at=None if expires_in is None else now + timedelta(seconds=expires_in),
    )
    request = await store.create_request(draft, messages)
    if state is SendState.DRAFT:
        return request
    if state is SendState.PENDING_APPROVAL:
        return await store.transition(request.id, request.version, state)
    return await store.transition(request.id, request.version, SendState.QUEUED)


async def wait_final(store: Store, request_id: str, within: float = 30.0) -> SendRequest:
    async with asyncio.timeout(within):
        while True:
            request = await store.get_request(request_id)
            if request.is_final:
                return request
            await asyncio.sleep(0.05)


SEND = "*/messages/*/send"
"""Fault pattern: sending a draft (the outbox's second call for each message)."""
CREATE = "*/messages"
"""Fault pattern (with method POST): creating a draft (the first call)."""


def send_calls(emulator: RunningEmulator, status: int | None = None) -> list[dict[str, Any]]:
    """Requests that send mail (a draft's ``/send``, or ``sendMail``) in the emulator's log,
    optionally only those answered ``status``."""
    return [
        e
        for e in emulator.control.request_log()
        if e["method"] == "POST"
        and e["path"].lower().endswith(("/send", "/sendmail"))
        and (status is None or e["status"] == status)
    ]


def create_calls(emulator: RunningEmulator) -> list[dict[str, Any]]:
    """Draft creations in the emulator's log."""
    return [
        e
        for e in emulator.control.request_log()
        if e["method"] == "POST" and e["path"].lower().endswith("/messages")
    ]


def lookups(emulator: RunningEmulator) -> list[dict[str, Any]]:
    """Searches by the Mailroom id (reconciliation) in the emulator's log."""
    return [
        e
        for e in emulator.control.request_log()
        if e["method"] == "GET" and "singleValueExtendedProperties" in unquote(e["query"] or "")
    ]


def accepted_sends(emulator: RunningEmulator) -> list[dict[str, Any]]:
    """Every message Exchange accepted (the transport record), whatever the client heard."""
    return list(emulator.control.transport()["record"])


def graph_statuses(emulator: RunningEmulator) -> list[int | None]:
    return [e["status"] for e in emulator.control.request_log() if e["path"].startswith("/v1.0/")]


def mailroom_ids(messages: Sequence[dict[str, Any]]) -> list[str]:
    found = []
    for message in messages:
        for header in message.get("internetMessageHeaders") or []:
            if header["name"].lower() == "x-mailroom-id":
                found.append(header["value"])
    return found


class AllowGuard:
    def __init__(self) -> None:
        self.checked: list[str] = []

    async def check(self, request: SendRequest) -> GuardResult:
        self.checked.append(request.id)
        return GuardResult(True)


class DenyGuard:
    def __init__(self, key: str) -> None:
        self.key = key

    async def check(self, request: SendRequest) -> GuardResult:
        return GuardResult(False, self.key)


class BrokenGuard:
    async def check(self, request: SendRequest) -> GuardResult:
        raise ConnectionError("the Exchange admin API did not answer")
