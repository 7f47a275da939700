"""The send request: its states, the transitions between them, and its data.

Pure: no I/O. The store persists these objects and enforces the transitions with a
compare-and-set on ``version``; this module says which transitions exist at all.

Edges (``ALLOWED_TRANSITIONS``)::

    draft             → pending_approval | queued | cancelled | expired
    pending_approval  → approved | rejected | cancelled | expired
    approved          → queued | failed (refused on a fresh re-decision) | cancelled | expired
    queued            → sending | sent | failed | unknown | cancelled
    sending           → queued (rescheduled) | sent | failed | unknown | cancelled
    failed            → queued ("Retry failed")
    sent, unknown, rejected, cancelled, expired → nothing

``draft`` goes straight to ``queued`` when no approval is needed. ``sent``, ``failed``,
``unknown``, ``rejected``, ``cancelled`` and ``expired`` are final; only ``failed`` may be
re-queued, by an explicit "Retry failed" (a bulk send with any failed message ends
``failed``). ``unknown``: a message's fate could not be learnt within the bounded time (it
may or may not have gone out: check the Sent Items of the mailbox
``bot.outbox.routing.where_to_check`` names); it is never sent again on its own.

The rendered content of a request and of each of its messages is fixed when the request is
created and never changes afterwards: what is sent is byte-for-byte what was previewed (or
approved). Editing a draft means creating a new draft. ``content_hash`` makes that checkable.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType
from typing import TypeAlias

from bot.domain.attachments import AttachmentMeta
from bot.errors import IllegalTransition

JsonValue: TypeAlias = str | int | float | bool | list["JsonValue"] | dict[str, "JsonValue"] | None


class SendState(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class SenderKind(StrEnum):
    SELF = "self"
    SEND_AS = "send_as"
    SEND_ON_BEHALF = "send_on_behalf"
    SHARED = "shared"
    NOREPLY = "noreply"


class SendMode(StrEnum):
    DELEGATED = "delegated"
    APPLICATION = "application"


_S = SendState

ALLOWED_TRANSITIONS: Mapping[SendState, frozenset[SendState]] = MappingProxyType(
    {
        _S.DRAFT: frozenset({_S.PENDING_APPROVAL, _S.QUEUED, _S.CANCELLED, _S.EXPIRED}),
        _S.PENDING_APPROVAL: frozenset({_S.APPROVED, _S.REJECTED, _S.CANCELLED, _S.EXPIRED}),
        _S.APPROVED: frozenset({_S.QUEUED, _S.FAILED, _S.CANCELLED, _S.EXPIRED}),
        _S.QUEUED: frozenset({_S.SENDING, _S.SENT, _S.FAILED, _S.UNKNOWN, _S.CANCELLED}),
        _S.SENDING: frozenset({_S.QUEUED, _S.SENT, _S.FAILED, _S.UNKNOWN, _S.CANCELLED}),
        _S.FAILED: frozenset({_S.QUEUED}),
        _S.SENT: frozenset(),
        _S.UNKNOWN: frozenset(),
        _S.REJECTED: frozenset(),
        _S.CANCELLED: frozenset(),
        _S.EXPIRED: frozenset(),
    }
)

FINAL_STATES: frozenset[SendState] = frozenset(
    {_S.SENT, _S.FAILED, _S.UNKNOWN, _S.REJECTED, _S.CANCELLED, _S.EXPIRED}
)


def is_final(state: SendState) -> bool:
    """True when nothing more will happen to the request on its own."""
    return state in FINAL_STATES


def can_transition(current: SendState, new: SendState) -> bool:
    return new in ALLOWED_TRANSITIONS[current]


def check_transition(request_id: str, current: SendState, new: SendState) -> None:
    """Raise ``IllegalTransition`` unless ``current`` → ``new`` is an edge of the machine."""
    if not can_transition(current, new):
        raise IllegalTransition("send request", request_id, str(current), str(new))


# --- content ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedContent:
    """A rendered email exactly as it is previewed and sent, its files included (their
    descriptions; the bytes are stored beside the request and checked against them)."""

    subject: str
    html: str
    text: str
    attachments: tuple[AttachmentMeta, ...] = ()

    @cached_property
    def content_hash(self) -> str:
        """Worked out once per content: a preview reads it for the request, each message
        and the approval rules (the content never changes: the dataclass is frozen)."""
        return content_hash(self.subject, self.html, self.text, self.attachments)


def content_hash(
    subject: str, html: str, text: str, attachments: Sequence[AttachmentMeta] = ()
) -> str:
    """sha256 (hex) of the canonical form of rendered content.

    Canonical form: UTF-8 JSON of ``{"html", "subject", "text"}`` — and ``"attachments"``,
    each file's name, type, size and sha256 in order, when there are any — with sorted keys
    and no whitespace, so no two different contents share a canonical form: a changed,
    added or removed file changes the hash, and so voids an approval of the old one.
    """
    form: dict[str, object] = {"subject": subject, "html": html, "text": text}
    if attachments:
        form["attachments"] = [a.to_json() for a in attachments]
    canonical = json.dumps(
        form,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def combined_hash(hashes: Sequence[str]) -> str:
    """The content hash of a bulk request: sha256 over its messages' hashes, in order."""
    return hashlib.sha256("\n".join(hashes).encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Recipients:
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()

    def all(self) -> tuple[str, ...]:
        return self.to + self.cc + self.bcc

    def to_json(self) -> dict[str, JsonValue]:
        return {"to": list(self.to), "cc": list(self.cc), "bcc": list(self.bcc)}

    @classmethod
    def from_json(cls, data: Mapping[str, Sequence[str]]) -> Recipients:
        return cls(
            to=tuple(data.get("to", ())),
            cc=tuple(data.get("cc", ())),
            bcc=tuple(data.get("bcc", ())),
        )


@dataclass(frozen=True)
class OutgoingMessage:
    """One message a request will send: one for a single send, one per row for a bulk send."""

    recipients: Recipients
    content: RenderedContent
    values: Mapping[str, JsonValue] = field(default_factory=dict)
    files: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    """The bytes of the content's attachments, by sha256."""

    @property
    def content_hash(self) -> str:
        return self.content.content_hash


# --- the request -----------------------------------------------------------------------


@dataclass(frozen=True)
class SendRequest:
    """A request to send, as stored. ``content`` is None once retention has purged bodies.

    For a bulk request ``content`` is the first message (what the preview showed),
    ``recipients`` every recipient, and ``content_hash`` the ``combined_hash`` of all
    messages; each message is stored with its own content and hash.
    """

    id: str
    requester_oid: str
    tenant_id: str
    sender_address: str
    sender_kind: SenderKind
    mode: SendMode
    template: str
    values: Mapping[str, JsonValue]
    recipients: Recipients
    subject: str
    content: RenderedContent | None
    content_hash: str
    state: SendState
    version: int
    created_at: datetime
    updated_at: datetime
    requester_upn: str | None = None
    is_bulk: bool = False
    message_count: int = 1
    decision_reasons: tuple[str, ...] = ()
    approval_required: bool = False
    decided_by: str | None = None
    decided_at: datetime | None = None
    expires_at: datetime | None = None
    error_code: str | None = None
    error_key: str | None = None
    graph_request_id: str | None = None
    content_purged_at: datetime | None = None
    send_at: datetime | None = None
    """Not before this moment ("Send later"); ``None``: as soon as it is queued."""
    send_zone: str | None = None
    """The IANA time zone the user picked ``send_at`` in (to show it back to them)."""

    @property
    def is_final(self) -> bool:
        return is_final(self.state)


def new_request_id() -> str:
    return uuid.uuid4().hex


def new_draft(
    *,
    requester_oid: str,
    tenant_id: str,
    sender_address: str,
    sender_kind: SenderKind,
    mode: SendMode,
    template: str,
    values: Mapping[str, JsonValue],
    messages: Sequence[OutgoingMessage],
    now: datetime,
    requester_upn: str | None = None,
    is_bulk: bool | None = None,
    decision_reasons: Sequence[str] = (),
    approval_required: bool = False,
    expires_at: datetime | None = None,
    request_id: str | None = None,
) -> SendRequest:
    """Build a draft for ``messages`` (pass the same messages to ``Store.create_request``)."""
    if not messages:
        raise ValueError("a send request needs at least one message")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    bulk = len(messages) > 1 if is_bulk is None else is_bulk
    first = messages[0]
    if bulk:
        digest = combined_hash([m.content_hash for m in messages])
        everyone: tuple[str, ...] = ()
        for message in messages:
            everyone += message.recipients.all()
        recipients = Recipients(to=everyone)
    else:
        digest = first.content_hash
        recipients = first.recipients
    moment = now.astimezone(UTC)
    return SendRequest(
        id=request_id or new_request_id(),
        requester_oid=requester_oid,
        requester_upn=requester_upn,
        tenant_id=tenant_id,
        sender_address=sender_address.strip().lower(),
        sender_kind=sender_kind,
        mode=mode,
        template=template,
        values=dict(values),
        recipients=recipients,
        subject=first.content.subject,
        content=first.content,
        content_hash=digest,
        state=SendState.DRAFT,
        version=1,
        created_at=moment,
        updated_at=moment,
        is_bulk=bulk,
        message_count=len(messages),
        decision_reasons=tuple(decision_reasons),
        approval_required=approval_required,
        expires_at=expires_at,
    )
