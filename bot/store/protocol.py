"""The one async ``Store`` protocol. ``open_store(url)`` returns an implementation.

Times: methods whose *outcome* depends on the time take ``now`` (claiming, pacing, leases,
expiry, purge) so a worker decides with one clock; bookkeeping stamps (created_at,
updated_at, decided_at, seen_at, sent_at) come from the store's injected clock. All times are
timezone-aware UTC.

Errors (``bot.errors``): ``StoreUnavailable`` (database unreachable, locked, timed out —
try again later), ``NotFound``, ``VersionConflict`` (a compare-and-set lost, or a job lease
is no longer yours), ``IllegalTransition`` (no such edge in the state machine), other
``StoreError`` for anything else the database refused.

How the outbox worker uses it, per job (``bot/outbox/jobs.py`` has the whole story)::

    claimed = await store.claim_due_jobs(worker_id, limit, lease_seconds, now)
    for c in claimed:
        decision = await store.acquire_send_slot(c.lease, policy, lease_seconds, now)
        if not decision.granted:
            await store.release_job(c.lease, due_at=decision.not_before); continue
        if c.needs_reconcile:              # may have gone out already: look before anything
            <search the mailbox for c.job.mailroom_id>  → record_sent / go on / record_unknown
        if c.job.draft_id is None:
            <create the draft carrying c.job.mailroom_id> → record_draft(c.lease, draft_id)
        <send that draft by id>
        202            → record_sent
        429            → block_mailbox(mailbox, retry_after) + record_retry
        "not sent"     → record_retry;  "maybe sent" → record_maybe_sent (reconcile later)
        refused        → record_failed
    then job_counts(request_id): when nothing is open, transition the request to
    sent / failed / unknown.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self, Unpack

from bot.domain.send_request import JsonValue, OutgoingMessage, SendRequest, SendState
from bot.store.compose_sql import ComposeDraft
from bot.store.records import (
    Approval,
    ApprovalDecision,
    ApprovalOutcome,
    AuditEntry,
    CardRef,
    ClaimedJob,
    ConversationRef,
    Job,
    JobCounts,
    JobState,
    Lease,
    MailboxQueue,
    PacingPolicy,
    PacingState,
    PurgeResult,
    RequestChanges,
    RequestCursor,
    RequestPage,
    RetentionPolicy,
    SlotDecision,
)


class Store(Protocol):
    # --- lifecycle ---------------------------------------------------------------------

    async def connect(self) -> None:
        """Open the connection (pool). ``async with store:`` calls this and ``close``."""
        ...

    async def close(self) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def migrate(self) -> list[int]:
        """Apply missing schema migrations (idempotent, safe from several replicas at once);
        return the versions applied by this call."""
        ...

    async def schema_version(self) -> int: ...

    async def existing_schema_version(self) -> int:
        """The schema version without touching the database (``schema_version`` first
        creates its bookkeeping table): 0 when it holds no Mailroom schema. For read-only
        tools."""
        ...

    # --- send requests -----------------------------------------------------------------

    async def create_request(
        self, request: SendRequest, messages: Sequence[OutgoingMessage]
    ) -> SendRequest:
        """Store a new ``draft`` (see ``domain.send_request.new_draft``) and its messages
        (outbox jobs in state ``held``, each with a fresh unique ``mailroom_id``)."""
        ...

    # --- attachment bytes ----------------------------------------------------------------

    async def save_attachment_content(self, owner_id: str, content: bytes) -> str:
        """Keep a file's bytes for ``owner_id`` (a compose draft while composing); returns
        their sha256. The same bytes twice are kept once."""
        ...

    async def attachment_content(self, owner_id: str, sha256: str) -> bytes | None:
        """The bytes kept for ``owner_id`` (a send request or a compose draft), ``None`` when
        there are none (never stored, removed, or purged by retention)."""
        ...

    async def drop_attachment_content(self, owner_id: str, sha256: str) -> None: ...

    async def get_request(self, request_id: str) -> SendRequest:
        """Raises ``NotFound``."""
        ...

    async def list_requests(
        self,
        *,
        requester_oid: str | None = None,
        states: Collection[SendState] | None = None,
        limit: int = 20,
    ) -> list[SendRequest]:
        """The newest ``limit`` requests, newest first (for sweeps; people page)."""
        ...

    async def page_requests(
        self,
        *,
        requester_oid: str | None = None,
        states: Collection[SendState] | None = None,
        senders: Collection[str] | None = None,
        after: RequestCursor | None = None,
        limit: int = 20,
    ) -> RequestPage:
        """Newest first, one page of at most ``limit`` (capped at 200): the requests of
        ``requester_oid`` (``/history``), or in ``states`` from ``senders`` (any case;
        ``/approvals``: pending requests of the senders a user approves). ``after`` is the
        previous page's ``next``; keyset paging, so every request is reachable."""
        ...

    async def requests_by_prefix(
        self, requester_oid: str, prefix: str, limit: int = 2
    ) -> list[SendRequest]:
        """``requester_oid``'s requests whose id starts with ``prefix`` (``/status 7f3a``,
        ``/cancel 7f3a``), newest first, however old. A prefix that can't start an id
        (under 4 characters, not hex) finds nothing. Ask for 2 to tell an ambiguous prefix."""
        ...

    async def transition(
        self,
        request_id: str,
        expected_version: int,
        new_state: SendState,
        **changes: Unpack[RequestChanges],
    ) -> SendRequest:
        """Compare-and-set: move the request to ``new_state`` if it is still at
        ``expected_version``; returns it at ``expected_version + 1``.

        Its jobs move in the same transaction: → ``queued`` releases ``held`` jobs (and,
        from ``failed``, re-queues failed ones: "Retry failed"); → ``cancelled`` /
        ``expired`` / ``rejected`` cancels jobs that are ``held`` or ``queued``. Jobs
        ``sending`` or ``maybe_sent`` are left to finish or be reconciled.

        Raises ``NotFound``, ``VersionConflict`` (someone else moved it first: reload),
        ``IllegalTransition``.
        """
        ...

    async def due_expirations(self, now: datetime, limit: int = 100) -> list[SendRequest]:
        """Requests not yet queued whose ``expires_at`` has passed."""
        ...

    # --- compose drafts ----------------------------------------------------------------

    async def create_compose(
        self, *, user_oid: str, tenant_id: str, sender_address: str, template: str | None
    ) -> ComposeDraft:
        """Start a compose draft at version 1."""
        ...

    async def get_compose(self, draft_id: str) -> ComposeDraft:
        """Raises ``NotFound``."""
        ...

    async def latest_compose(self, user_oid: str) -> ComposeDraft | None:
        """The user's most recently changed compose draft (files sent in the chat go there)."""
        ...

    async def update_compose(
        self,
        draft_id: str,
        expected_version: int,
        *,
        template: str | None = None,
        fields: Mapping[str, str] | None = None,
        request_id: str | None = None,
    ) -> ComposeDraft:
        """Compare-and-set; ``VersionConflict`` when the draft moved on."""
        ...

    async def open_drafts(self, user_oid: str, limit: int = 10) -> list[ComposeDraft]:
        """The user's unfinished drafts, last changed first: with a template, not
        discarded, never previewed or previewed but neither sent nor cancelled."""
        ...

    async def discard_compose(self, draft_id: str, user_oid: str) -> ComposeDraft:
        """Mark the user's draft discarded; ``NotFound`` for another user's or none."""
        ...

    # --- approvals ---------------------------------------------------------------------

    async def decide_approval(
        self,
        request_id: str,
        approver_oid: str,
        decision: ApprovalDecision,
        comment: str = "",
    ) -> ApprovalOutcome:
        """Record an approver's decision and move the request ``pending_approval`` →
        ``approved`` / ``rejected``, atomically. The first decision wins: a later one gets
        ``won=False`` and the winning approval. Raises ``NotFound``, and
        ``IllegalTransition`` when the request is not awaiting approval (and nobody decided)."""
        ...

    async def get_approval(self, request_id: str) -> Approval | None: ...

    # --- outbox --------------------------------------------------------------------------

    async def claim_due_jobs(
        self, worker_id: str, limit: int, lease_seconds: float, now: datetime
    ) -> list[ClaimedJob]:
        """Lease up to ``limit`` jobs that are due (``queued`` or ``maybe_sent`` with
        ``due_at <= now``) or whose lease expired (including ``sending`` jobs of a dead
        worker: flagged ``needs_reconcile``). Never hands one job to two claimers."""
        ...

    async def renew_lease(self, lease: Lease, lease_seconds: float, now: datetime) -> Lease:
        """Extend a lease. Raises ``VersionConflict`` if the job was reclaimed."""
        ...

    async def acquire_send_slot(
        self, lease: Lease, policy: PacingPolicy, lease_seconds: float, now: datetime
    ) -> SlotDecision:
        """Ask the mailbox's shared pacing for permission to call Graph now. Granted: the
        job is ``sending``, ``attempts`` + 1, its lease extended to ``now + lease_seconds``,
        the mailbox's next slot moved on and the job's recipients counted against the
        mailbox's ``recipients_per_day`` (rolling 24 hours). Refused: nothing changes; retry at
        ``not_before``. The job must be ``queued``, ``maybe_sent`` (reconciled: not found)
        or ``sending`` under this lease (reclaimed, reconciled). Raises ``VersionConflict``
        if the lease was lost (reclaimed, released, finished, cancelled)."""
        ...

    async def release_job(self, lease: Lease, due_at: datetime | None = None) -> Job:
        """Give a job back (e.g. no pacing slot): lease cleared, due at ``due_at``. A
        ``sending`` job given back becomes ``maybe_sent`` (it may have gone out); after a
        reconciliation that found nothing, use ``record_retry`` instead."""
        ...

    async def record_sent(self, lease: Lease, graph_request_id: str | None) -> Job:
        """Graph accepted (202), or reconciliation found the message. Final."""
        ...

    async def record_retry(
        self, lease: Lease, due_at: datetime, error_code: str | None = None
    ) -> Job:
        """Certainly not sent (429, 503, connect error): back to ``queued`` at ``due_at``."""
        ...

    async def record_draft(self, lease: Lease, draft_id: str) -> Job:
        """The message's draft exists in the mailbox (job ``sending``): the only item it is
        ever sent from."""
        ...

    async def record_maybe_sent(
        self,
        lease: Lease,
        reconcile_at: datetime,
        error_code: str | None = None,
        *,
        send_uncertain: bool = False,
    ) -> Job:
        """Perhaps created or sent (timeout after the request was written, a 5xx):
        ``maybe_sent``, claimable again at ``reconcile_at`` with ``needs_reconcile``.
        ``uncertain_since`` is stamped the first time; ``send_uncertain`` (a send of the
        draft may have been accepted) is kept once set."""
        ...

    async def record_failed(
        self,
        lease: Lease,
        error_code: str,
        error_key: str | None = None,
        *,
        forget_draft: bool = False,
    ) -> Job:
        """Refused for good (e.g. ErrorSendAsDenied), certainly not sent. Final until
        "Retry failed"; ``forget_draft``: the draft is gone, a retry creates a new one."""
        ...

    async def record_unknown(self, lease: Lease, error_code: str | None = None) -> Job:
        """Its fate could not be learnt in time: final ``unknown``, never sent again."""
        ...

    async def record_cancelled(self, lease: Lease) -> Job:
        """The request was cancelled before this message's first Graph call."""
        ...

    async def get_job(self, job_id: str) -> Job: ...

    async def find_job(self, mailroom_id: str) -> Job:
        """By the Mailroom id carried in the message. Raises ``NotFound``."""
        ...

    async def list_jobs(
        self, request_id: str, states: Collection[JobState] | None = None
    ) -> list[Job]:
        """A request's messages in row order."""
        ...

    async def job_counts(self, request_id: str) -> JobCounts: ...

    async def outbox_queues(self) -> list[MailboxQueue]:
        """Per sender mailbox, the messages waiting to go out and the oldest one's creation
        time; mailboxes with none are left out."""
        ...

    async def count_waiting_approvals(self) -> int:
        """Send requests in ``pending_approval``."""
        ...

    # --- pacing --------------------------------------------------------------------------

    async def block_mailbox(self, mailbox: str, until: datetime) -> None:
        """Graph said Retry-After: no slot for ``mailbox`` before ``until`` on any replica."""
        ...

    async def pacing_state(self, mailbox: str, now: datetime) -> PacingState: ...

    async def recipients_counted(self, mailbox: str, now: datetime) -> list[tuple[datetime, int]]:
        """(when, how many) recipients Mailroom handed to Exchange for ``mailbox`` in the 24
        hours before ``now``, oldest first: every replica's sends (``acquire_send_slot``
        counts a job's recipients once, when its first slot is granted)."""
        ...

    # --- conversation references and cards ----------------------------------------------

    async def save_conversation_ref(
        self, user_oid: str, reference: Mapping[str, JsonValue]
    ) -> ConversationRef:
        """Upsert the user's reference; clears any ``blocked_code`` (they talked to us)."""
        ...

    async def get_conversation_ref(self, user_oid: str) -> ConversationRef:
        """Raises ``NotFound``."""
        ...

    async def mark_user_unreachable(self, user_oid: str, code: str) -> None:
        """E.g. 403 BotNotInConversationRoster / MessageWritesBlocked: stop trying."""
        ...

    # --- delegated users' token caches (sealed by bot.identity.token_cache) ------------

    async def load_token_cache(self, user_oid: str) -> str | None:
        """The user's sealed token cache, or None."""
        ...

    async def save_token_cache(self, user_oid: str, sealed: str) -> None:
        """Insert or replace the user's sealed token cache."""
        ...

    async def drop_token_cache(self, user_oid: str) -> None:
        """Forget the user's token cache (sign-out, refused refresh); no error if none."""
        ...

    # --- edited requests (bot.store.replacement_sql) -----------------------------------

    async def note_replacement(self, draft_id: str, old_request_id: str) -> None:
        """The compose draft ``draft_id`` edits ``old_request_id`` ("Edit and resubmit")."""
        ...

    async def carry_replacement(self, previewed_request_id: str, draft_id: str) -> None:
        """The preview ``previewed_request_id`` was edited into ``draft_id``: what its draft
        replaces, the new draft replaces."""
        ...

    async def replaced(self, new_request_id: str) -> str | None:
        """``new_request_id`` left the draft state: record it as the successor of the request
        its draft replaces; that request's id, or None (once only)."""
        ...

    async def replacement_of(self, old_request_id: str) -> str | None:
        """The request that replaced ``old_request_id`` (the latest), or None."""
        ...

    async def record_reach(self, request_id: str, user_oid: str, channel: str) -> None:
        """How an approver was told of the request (``bot.teams.reach``: ``chat``,
        ``installed``, ``email``, ``unreachable``); the latest word per approver counts."""
        ...

    async def list_reach(self, request_id: str) -> dict[str, str]:
        """Approver object id → how they were told, for the request."""
        ...

    async def claim_reach(self, request_id: str, user_oid: str, *, stale_before: datetime) -> bool:
        """Take over telling an approver still ``pending`` since before ``stale_before``
        (whoever was telling them is gone): True for the first caller only, and the
        claim itself is fresh again until it goes stale in turn."""
        ...

    async def claim_reminder(self, request_id: str) -> bool:
        """Take the one reminder of a pending request: True for the first caller only."""
        ...

    async def save_card(self, card: CardRef) -> None:
        """Upsert by (request_id, activity_id)."""
        ...

    async def list_cards(self, request_id: str) -> list[CardRef]: ...

    async def mark_card_updated(self, request_id: str, activity_id: str) -> None:
        """Stamp ``last_updated_at`` (to keep progress updates under Teams' rate limits)."""
        ...

    async def mark_card_unreachable(self, request_id: str, activity_id: str, code: str) -> None: ...

    # --- audit ---------------------------------------------------------------------------

    async def append_audit(self, entry: AuditEntry) -> AuditEntry:
        """Append a row; returns it with its ``id``. Rows are never changed or deleted."""
        ...

    async def query_audit(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        sender: str | None = None,
        user: str | None = None,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """Oldest first. ``sender``: mailbox address (any case); ``user``: requester's
        object id or UPN (any case)."""
        ...

    # --- idempotency ---------------------------------------------------------------------

    async def remember_activity(self, activity_id: str) -> bool:
        """True the first time an activity id is seen, False for a redelivery."""
        ...

    async def forget_activity(self, activity_id: str) -> None:
        """Forget an id ``remember_activity`` saw, so the next one counts as the first
        (the welcome of a conversation, after Mailroom was removed from it)."""
        ...

    # --- retention -----------------------------------------------------------------------

    async def purge(self, policy: RetentionPolicy, now: datetime) -> PurgeResult:
        """Blank rendered bodies and values of finished requests older than
        ``policy.body_days`` (subject, recipients, hashes and audit rows stay); forget
        activity ids older than ``policy.activity_days``."""
        ...
