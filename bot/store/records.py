"""What the store hands out and takes in besides ``SendRequest``: outbox jobs, leases,
approvals, conversation references, pacing, audit entries. Frozen dataclasses, UTC times."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypedDict

from bot.domain.recipient_quota import DEFAULT_RECIPIENTS_PER_DAY
from bot.domain.send_request import (
    JsonValue,
    Recipients,
    RenderedContent,
    SenderKind,
    SendMode,
    SendRequest,
)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


# --- send request changes --------------------------------------------------------------


class RequestChanges(TypedDict, total=False):
    """Columns a ``Store.transition`` may set besides the state. Content never changes."""

    error_code: str | None
    error_key: str | None
    graph_request_id: str | None
    decided_by: str | None
    decided_at: datetime | None
    expires_at: datetime | None
    decision_reasons: tuple[str, ...]
    send_at: datetime | None
    send_zone: str | None


@dataclass(frozen=True)
class RequestCursor:
    """Where a page of requests (newest first) ended: its last request's creation time and
    id. Hand it back as ``after`` for the next page (keyset paging: no offset to drift)."""

    created_at: datetime
    id: str


@dataclass(frozen=True)
class RequestPage:
    requests: tuple[SendRequest, ...]
    next: RequestCursor | None
    """The cursor of the next page; None when this page is the last."""


# --- outbox ----------------------------------------------------------------------------


class JobState(StrEnum):
    """One outgoing message's place in the outbox.

    ``held`` until its request is queued; ``queued`` waits for ``due_at`` (claimable);
    ``sending`` holds one of the mailbox's concurrency slots while a Graph call may be in
    flight; ``maybe_sent`` must be reconciled (look the Mailroom id up in the mailbox) before
    anything else; ``sent``, ``failed``, ``cancelled`` and ``unknown`` are final (``failed``
    can be re-queued by "Retry failed"). ``unknown``: its fate could not be learnt within the
    bounded time; it may or may not have gone out, and is never sent again on its own.
    """

    HELD = "held"
    QUEUED = "queued"
    SENDING = "sending"
    MAYBE_SENT = "maybe_sent"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Job:
    """One message of a request, with its outbox bookkeeping."""

    id: str
    request_id: str
    seq: int
    mailroom_id: str
    sender_address: str
    recipients: Recipients
    values: Mapping[str, JsonValue]
    subject: str
    content: RenderedContent | None
    content_hash: str
    state: JobState
    attempts: int
    due_at: datetime | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    graph_request_id: str | None = None
    error_code: str | None = None
    error_key: str | None = None
    sent_at: datetime | None = None
    content_purged_at: datetime | None = None
    draft_id: str | None = None
    """The Graph id of the draft this message is sent from, once it exists."""
    send_uncertain: bool = False
    """A send of that draft may have been accepted (its answer was lost or was a 5xx)."""
    uncertain_since: datetime | None = None
    """When this message's outcome first became uncertain (for the bound on reconciling)."""
    not_before: datetime | None = None
    """Never claimed before this moment (its request's "Send later" time), whatever
    ``due_at`` says after a retry or a re-queue."""


@dataclass(frozen=True)
class Lease:
    """Proof that a worker holds a job. ``token`` is a fencing token (the job's claim
    counter): every job update checks it and the owner, so once the job was reclaimed,
    released, finished or cancelled, the old lease is worthless (``VersionConflict``)."""

    job_id: str
    owner: str
    token: int
    expires_at: datetime


@dataclass(frozen=True)
class ClaimedJob:
    """A job a worker now holds.

    ``needs_reconcile`` is True when a Graph call may already have happened (the job was
    ``sending`` under a lease that expired — its worker died — or is ``maybe_sent``): look the
    Mailroom id up in the mailbox before sending again. ``reclaimed_from`` names the worker
    whose lease had expired, if any.
    """

    job: Job
    lease: Lease
    needs_reconcile: bool
    reclaimed_from: str | None


@dataclass(frozen=True)
class MailboxQueue:
    """One sender mailbox's outbox messages that wait to go out: queued, sending or being
    reconciled (``held`` ones wait for their request, not for the outbox)."""

    mailbox: str
    depth: int
    oldest: datetime


@dataclass(frozen=True)
class JobCounts:
    """How far a request's messages are; for progress cards and for closing the request."""

    total: int
    held: int = 0
    queued: int = 0
    sending: int = 0
    maybe_sent: int = 0
    sent: int = 0
    failed: int = 0
    cancelled: int = 0
    unknown: int = 0

    @property
    def open(self) -> int:
        """Messages whose outcome is not known yet."""
        return self.held + self.queued + self.sending + self.maybe_sent


# --- pacing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PacingPolicy:
    """Exchange's limits for one mailbox: ``per_minute`` messages evenly spaced (``burst``
    may go out back to back), at most ``max_concurrent`` Graph calls in flight and at most
    ``recipients_per_day`` recipients in any 24 hours."""

    per_minute: float = 30.0
    max_concurrent: int = 4
    burst: int = 1
    recipients_per_day: int = DEFAULT_RECIPIENTS_PER_DAY

    def __post_init__(self) -> None:
        if self.per_minute <= 0 or self.max_concurrent < 1 or self.burst < 1:
            raise ValueError("pacing needs per_minute > 0, max_concurrent >= 1, burst >= 1")
        if self.recipients_per_day < 1:
            raise ValueError("pacing needs recipients_per_day >= 1")

    @property
    def interval_seconds(self) -> float:
        return 60.0 / self.per_minute


class SlotRefusal(StrEnum):
    RETRY_AFTER = "retry_after"
    RATE = "rate"
    CONCURRENCY = "concurrency"
    RECIPIENT_QUOTA = "recipient_quota"
    """The message would pass the mailbox's recipients per 24 hours; ``not_before`` is when
    it fits (``None``: it never does, it has more recipients than the limit)."""


@dataclass(frozen=True)
class SlotDecision:
    """``granted``: the job is now ``sending`` and may call Graph. Otherwise try again at
    ``not_before`` (for ``concurrency``, a guess: when a slot frees is not known)."""

    granted: bool
    job: Job
    refusal: SlotRefusal | None = None
    not_before: datetime | None = None


@dataclass(frozen=True)
class PacingState:
    mailbox: str
    next_allowed_at: datetime
    blocked_until: datetime | None
    in_flight: int


# --- approvals -------------------------------------------------------------------------


class ApprovalDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Approval:
    request_id: str
    approver_oid: str
    decision: ApprovalDecision
    comment: str
    decided_at: datetime


@dataclass(frozen=True)
class ApprovalOutcome:
    """``won``: this call's decision is the one that counts; otherwise ``approval`` is the
    earlier decision that did. ``request`` is the request after it."""

    approval: Approval
    request: SendRequest
    won: bool


# --- conversation references -----------------------------------------------------------


@dataclass(frozen=True)
class ConversationRef:
    """How to reach a user proactively. ``blocked_code`` (e.g. BotNotInConversationRoster,
    MessageWritesBlocked) means: do not try again until the user talks to the bot."""

    user_oid: str
    reference: Mapping[str, JsonValue]
    updated_at: datetime
    blocked_code: str | None = None
    blocked_at: datetime | None = None


class CardRole(StrEnum):
    REQUESTER = "requester"
    APPROVER = "approver"
    PROGRESS = "progress"


@dataclass(frozen=True)
class CardRef:
    """A card the bot posted about a request, so a worker can update it in place."""

    request_id: str
    activity_id: str
    role: CardRole
    reference: Mapping[str, JsonValue]
    created_at: datetime
    user_oid: str | None = None
    last_updated_at: datetime | None = None
    blocked_code: str | None = None
    blocked_at: datetime | None = None


# --- audit -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditEntry:
    """One append-only audit row: who sent (``requester_*``) as whom (``sender_*``), to
    whom, what (template + content hash), why it was allowed, and what happened.

    ``outcome`` is a short word: requested, approved, rejected, cancelled, expired, sent,
    failed, unknown (it may or may not have gone out). ``id`` is assigned by the store.
    """

    at: datetime
    outcome: str
    requester_oid: str
    sender_address: str
    sender_kind: SenderKind
    mode: SendMode
    recipients: Recipients
    template: str
    content_hash: str
    requester_upn: str | None = None
    request_id: str | None = None
    mailroom_id: str | None = None
    decision_reasons: tuple[str, ...] = ()
    graph_request_ids: tuple[str, ...] = ()
    error_code: str | None = None
    id: int | None = None


# --- retention -------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionPolicy:
    """Rendered bodies and values of finished requests are blanked, and compose drafts left
    untouched are deleted, after ``body_days``; remembered activity ids are forgotten after
    ``activity_days``. Audit rows stay."""

    body_days: int = 30
    activity_days: int = 7


@dataclass(frozen=True)
class PurgeResult:
    requests: int
    messages: int
    activities: int
    drafts: int = 0
