"""The Graph calls of one message that holds a pacing slot: look it up if its last call may
have happened, create its draft if it has none, send that draft by id.

::

    reconcile?  find_by_mailroom_id ── resolve() ── delivered → Sent
                                        │            gone, never sent → Failed (draft_deleted)
                                        │            undecided → Uncertain … Unknown at the bound
                                        ▼
    no draft?   create_draft ── 201 → record_draft · maybe → Uncertain · refused → Retry/Failed
                                        ▼
    send_draft(draft id) ── 202 → Sent · maybe → Uncertain(send) · 429 → Retry(block) ·
                            refused after an uncertain send → Uncertain · refused → Failed

Nothing here ever sends a second item for a message: the one draft id recorded in the store
is the only thing sent, and sending it again after an uncertain answer is safe because
Exchange does not send an item it already took (``docs/decisions/0004-send-by-draft.md``).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bot.domain.explanations import explain_graph_error
from bot.domain.send_request import SendMode, SendRequest
from bot.errors import (
    ConsentRequired,
    GraphError,
    GraphTransportError,
    IdentityError,
    IllegalTransition,
    StoreError,
    Throttled,
    TokenAcquisitionError,
    VersionConflict,
)
from bot.graph import Attached, Created, DraftRef, GraphClient, MaybeSent, NotSent, Sent
from bot.metrics import Metrics
from bot.outbox import decisions as d
from bot.outbox.audit import already_audited, message_entry
from bot.outbox.config import WorkerConfig
from bot.outbox.files import load_files, put_on_draft
from bot.outbox.reconcile import AdoptDraft, CreateDraft, Delivered, DraftGone, SendDraft, resolve
from bot.outbox.routing import SendRoute, build_message
from bot.outbox.senders import SenderDetails
from bot.store.protocol import Store
from bot.store.records import Clock, Job, Lease

logger = logging.getLogger(__name__)

CONSENT_KEY = "consent_required"
TRANSIENT_KEY = "temporarily_unavailable"
DELETED_KEY = "draft_deleted"
_FILE_CODES = {"content_changed": "ContentChanged", "attachment_unavailable": "ContentUnavailable"}

# Exchange refused the right at send time: told so the permission facts are asked afresh.
RefusedHook = Callable[[SendRequest, str], None]
_RIGHTS_REFUSED = frozenset({"ErrorSendAsDenied", "ErrorAccessDenied"})


class Delivery:
    def __init__(
        self,
        store: Store,
        graph: GraphClient,
        *,
        config: WorkerConfig,
        clock: Clock,
        on_refused: RefusedHook | None = None,
        jitter: Callable[[], float] = random.random,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._graph = graph
        self._metrics = metrics or Metrics()
        self._config = config
        self._clock = clock
        self._on_refused = on_refused
        self._jitter = jitter

    async def run(
        self,
        request: SendRequest,
        job: Job,
        lease: Lease,
        route: SendRoute,
        details: SenderDetails,
        *,
        reconcile: bool,
        reclaimed_sending: bool,
    ) -> d.Decision:
        # A reclaimed "sending" job with a draft may have been sent by the worker that died.
        send_uncertain = job.send_uncertain or (reclaimed_sending and job.draft_id is not None)
        draft_id = job.draft_id
        if reconcile:
            step = await self._reconcile(request, job, lease, route, send_uncertain)
            if not isinstance(step, str | None):
                return step
            draft_id = step
        files = await load_files(self._store, job)
        if isinstance(files, str):
            logger.warning("job %s not sent: %s", job.id, files)
            if draft_id is not None:
                await self._delete(route, (draft_id,))
            code = _FILE_CODES[files]
            return self.failed(request, job, code, files, forget_draft=draft_id is not None)
        try:
            message = build_message(
                job,
                route,
                from_name=details.display_name,
                reply_to=details.reply_to,
                attachments=files,
            )
        except ValueError as exc:
            logger.warning("job %s cannot be built: %s", job.id, exc)
            return self.failed(request, job, "ContentUnavailable", "unknown")
        if draft_id is None:
            created = await self._graph.create_draft(
                route.caller, message, mailbox=route.mailbox, timeouts=self._config.send_timeouts
            )
            if not isinstance(created, Created):
                return self._not_done(request, job, created, send_uncertain=False, draft=None)
            draft_id = created.draft.id
            if not await self._remember(lease, draft_id):
                return d.Lost()
        if files and not message.attachments_inline:
            attached = await put_on_draft(
                self._graph,
                route.caller,
                DraftRef(draft_id, route.mailbox),
                files,
                self._config.send_timeouts,
            )
            if not isinstance(attached, Attached):
                return await self._not_attached(
                    request, job, route, attached, draft_id, send_uncertain=send_uncertain
                )
        sent = await self._graph.send_draft(
            route.caller, DraftRef(draft_id, route.mailbox), timeouts=self._config.send_timeouts
        )
        if isinstance(sent, Sent):
            ids = (sent.request_id,) if sent.request_id else ()
            entry = message_entry(request, job, "sent", self._clock(), graph_request_ids=ids)
            logger.debug("job %s: sent by worker %s", job.id, self._config.worker_id)
            return d.Sent(sent.request_id, entry)
        decision = self._not_done(request, job, sent, send_uncertain=send_uncertain, draft=draft_id)
        if isinstance(decision, d.Failed) and decision.forget_draft:
            await self._delete(route, (draft_id,))  # never sent: it should not linger in Drafts
        return decision

    async def _not_attached(
        self,
        request: SendRequest,
        job: Job,
        route: SendRoute,
        outcome: NotSent | MaybeSent,
        draft_id: str,
        *,
        send_uncertain: bool,
    ) -> d.Decision:
        """A file did not get onto the draft: nothing was sent. A lost answer is looked at
        again later (the draft is found by its Mailroom id, its files listed)."""
        if isinstance(outcome, MaybeSent):
            logger.warning("job %s: a file may not be on its draft (%s)", job.id, outcome.reason)
            wait = outcome.retry_after or self._config.reconcile_delay
            return d.Uncertain(self._later(wait), "MaybeAttached", send_uncertain)
        decision = self._not_done(request, job, outcome, send_uncertain=send_uncertain,
                                  draft=draft_id)  # fmt: skip
        if isinstance(decision, d.Failed) and decision.forget_draft:
            await self._delete(route, (draft_id,))
        return decision

    # --- reconciliation -------------------------------------------------------------------

    async def _reconcile(
        self, request: SendRequest, job: Job, lease: Lease, route: SendRoute, send_uncertain: bool
    ) -> d.Decision | str | None:
        """A decision, or the draft id to send (``None``: create one)."""
        try:
            found = await self._graph.find_by_mailroom_id(
                route.mailbox,
                job.mailroom_id,
                caller=route.caller,
                timeouts=self._config.send_timeouts,
            )
        except (GraphError, GraphTransportError, IdentityError) as exc:
            code = exc.code if isinstance(exc, GraphError) else type(exc).__name__
            self._metrics.reconciliation("lookup_failed")
            logger.warning("job %s: cannot look up Mailroom id %s (%s)", job.id, job.mailroom_id,
                           code)  # fmt: skip
            return self._undecided(request, job, code, send_uncertain)
        resolution = resolve(found, draft_id=job.draft_id, send_uncertain=send_uncertain)
        logger.info("job %s: looked up, %s", job.id, type(resolution).__name__)
        self._metrics.reconciliation(type(resolution).__name__)
        if not isinstance(resolution, CreateDraft):
            await self._delete(route, resolution.strays)
        if isinstance(resolution, Delivered):
            done = await already_audited(self._store, request, job, "sent")
            return d.Sent(
                None, None if done else message_entry(request, job, "sent", self._clock())
            )
        if isinstance(resolution, SendDraft):
            return resolution.draft_id
        if isinstance(resolution, AdoptDraft):
            if not await self._remember(lease, resolution.draft_id):
                return d.Lost()
            return resolution.draft_id
        if isinstance(resolution, CreateDraft):
            return None
        if isinstance(resolution, DraftGone):
            logger.info("job %s: its draft was deleted before it was sent", job.id)
            return self.failed(request, job, "DraftDeleted", DELETED_KEY, forget_draft=True)
        return self._undecided(request, job, job.error_code, send_uncertain)

    def _undecided(
        self, request: SendRequest, job: Job, code: str | None, send_uncertain: bool
    ) -> d.Uncertain | d.Unknown:
        now = self._clock()
        since = job.uncertain_since or now
        if now - since >= timedelta(seconds=self._config.unknown_after):
            logger.warning("job %s: outcome unknown after %.0f s", job.id,
                           (now - since).total_seconds())  # fmt: skip
            entry = message_entry(request, job, "unknown", now, error_code=code)
            return d.Unknown(code, entry)
        return d.Uncertain(self._later(self._config.reconcile_retry_delay), code, send_uncertain)

    async def _remember(self, lease: Lease, draft_id: str) -> bool:
        """Record the draft before sending it; False (send nothing) when that failed: the
        lease expires and the next claimer finds the draft by its Mailroom id."""
        try:
            await self._store.record_draft(lease, draft_id)
        except (VersionConflict, IllegalTransition, StoreError) as exc:
            logger.info("draft %s not recorded: %s", draft_id, exc)
            return False
        return True

    async def _delete(self, route: SendRoute, items: Sequence[str]) -> None:
        """Best effort: a draft Mailroom will never send should not sit in Drafts."""
        for item in items:
            try:
                await self._graph.delete_message(route.caller, route.mailbox, item)
            except (GraphError, GraphTransportError, IdentityError) as exc:
                logger.info("draft %s not deleted: %s", item, exc)

    # --- answers other than success -------------------------------------------------------

    def _not_done(
        self,
        request: SendRequest,
        job: Job,
        outcome: NotSent | MaybeSent,
        *,
        send_uncertain: bool,
        draft: str | None,
    ) -> d.Decision:
        step = "send" if draft is not None else "create"
        if isinstance(outcome, MaybeSent):
            logger.warning("job %s: %s may have happened (%s)", job.id, step, outcome.reason)
            code = f"MaybeSent{outcome.status}" if outcome.status else "MaybeSent"
            wait = outcome.retry_after or self._config.reconcile_delay
            return d.Uncertain(self._later(wait), code, send_uncertain or draft is not None)
        error = outcome.error
        if isinstance(error, Throttled):  # refused before it was run
            wait = error.retry_after or self._config.default_retry_after
            logger.info("job %s: %s %s, mailbox paused %.1f s", job.id, error.status, error.code,
                        wait)  # fmt: skip
            return d.Retry(self._later(wait), error.code, block_until=self._later(wait))
        if draft is not None and send_uncertain:
            # An earlier send may have been taken: this refusal may be Exchange refusing it.
            return d.Uncertain(self._later(self._config.reconcile_delay), _code(error), True)
        if draft is not None and isinstance(error, GraphError) and error.status == 404:
            # The draft is gone: deleted, or sent by someone. Look before anything else.
            return d.Uncertain(self._clock(), error.code, False)
        return self._refused(request, job, error, draft)

    def _refused(
        self,
        request: SendRequest,
        job: Job,
        error: GraphError | GraphTransportError | IdentityError,
        draft: str | None,
    ) -> d.Decision:
        """Certainly not run: fail for good, or try again later."""
        forget = draft is not None
        if isinstance(error, ConsentRequired):
            return self.failed(request, job, CONSENT_KEY, CONSENT_KEY, forget_draft=forget)
        if isinstance(error, GraphError) and error.status != 401 and error.status < 500:
            key = _access_key(
                explain_graph_error(error, mailbox=job.sender_address).key, request, draft
            )
            ids = (error.request_id,) if error.request_id else ()
            logger.info("job %s refused: %s %s", job.id, error.status, error.code)
            return self.failed(request, job, error.code, key, ids, forget_draft=forget)
        if isinstance(error, GraphError):
            code, key = error.code, explain_graph_error(error).key
        elif isinstance(error, TokenAcquisitionError):
            code, key = error.error, TRANSIENT_KEY
        else:
            code, key = type(error).__name__, TRANSIENT_KEY
        if job.attempts >= self._config.max_attempts:
            logger.warning("job %s: giving up after %d attempts (%s)", job.id, job.attempts, code)
            return self.failed(request, job, code, key, forget_draft=forget)
        return d.Retry(self._later(self._backoff(job.attempts)), code)

    def failed(
        self,
        request: SendRequest,
        job: Job,
        code: str,
        key: str | None,
        graph_request_ids: tuple[str, ...] = (),
        *,
        forget_draft: bool = False,
    ) -> d.Failed:
        if code in _RIGHTS_REFUSED and self._on_refused is not None:
            self._on_refused(request, code)
        entry = message_entry(request, job, "failed", self._clock(),
                              graph_request_ids=graph_request_ids, error_code=code)  # fmt: skip
        return d.Failed(code, key, entry, forget_draft=forget_draft)

    def _backoff(self, attempts: int) -> float:
        c = self._config
        step = min(c.retry_max_delay, c.retry_base_delay * 2.0 ** max(attempts - 1, 0))
        return step * (0.5 + self._jitter() / 2)

    def _later(self, seconds: float) -> datetime:
        return self._clock() + timedelta(seconds=seconds)


def _code(error: GraphError | GraphTransportError | IdentityError) -> str:
    if isinstance(error, GraphError):
        return error.code
    if isinstance(error, TokenAcquisitionError):
        return error.error
    return type(error).__name__


def _access_key(key: str, request: SendRequest, draft: str | None) -> str:
    """``ErrorAccessDenied`` names the grant that is missing: on the user's token a delegated
    permission (Mail.ReadWrite to create the draft, Mail.Send to send it), on the app's the
    RBAC for Applications role (Application Mail.ReadWrite for the draft, Mail.Send to send)."""
    if key != "ErrorAccessDenied":
        return key
    step = "send" if draft is not None else "create"
    if request.mode is SendMode.DELEGATED:
        return f"access_denied_delegated_{step}"
    return "ErrorAccessDenied" if step == "send" else "access_denied_app_create"
