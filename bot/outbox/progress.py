"""Keeping the cards about a request up to date while the worker sends it.

After each message the worker calls ``ProgressPublisher.publish``: every stored card of the
request that Teams can still reach is re-rendered (``CardRenderer``, injected: the Teams
layer's request card plugs in here) and updated in place through a ``CardNotifier`` — at most once
every ``interval`` seconds per card, plus the final update, which always goes out. The
interval is checked against the card's ``last_updated_at`` in the store (so replicas share
it) and an in-process note (so this process's concurrent jobs do not race each other).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.domain import recipient_quota as quota
from bot.domain.explanations import explain
from bot.domain.references import reference_of
from bot.domain.schedule import SendWindow, describe, zone_named
from bot.domain.send_request import SendRequest, SendState
from bot.errors import NotFound, StoreError
from bot.i18n import N_, _, use_locale_of
from bot.outbox.routing import where_to_check
from bot.outbox.windows import held_until
from bot.store.protocol import Store
from bot.store.records import CardRef, CardRole, Clock, Job, JobCounts, JobState
from cards import progress as progress_card

logger = logging.getLogger(__name__)

MAX_FAILURES_LISTED = 50
MAX_RESULTS_LISTED = progress_card.MAX_RESULTS_SHOWN


@dataclass(frozen=True)
class RequestProgress:
    """A request and how far its messages are, for rendering a card."""

    request: SendRequest
    counts: JobCounts
    eta_seconds: float | None = None
    failures: tuple[Job, ...] = ()
    """Failed messages (the first ``MAX_FAILURES_LISTED``), when any failed."""
    results: tuple[Job, ...] = ()
    """A finished bulk request's messages in row order (the first ``MAX_RESULTS_LISTED``)."""
    quota_resumes_at: datetime | None = None
    """Messages wait for the mailbox's recipients per day: the next goes out then."""
    recipients_per_day: int | None = None
    window: SendWindow | None = None
    window_opens: datetime | None = None
    """Set while the sender's send window holds the request: when the window reopens."""

    @property
    def final(self) -> bool:
        return self.request.is_final


class CardRenderer(Protocol):
    def __call__(self, progress: RequestProgress, card: CardRef | None) -> Mapping[str, Any] | None:
        """The card for ``card`` (``None``: a new message to the requester), or ``None``
        to leave that card as it is."""
        ...


class CardNotifier(Protocol):
    """What ``bot.teams.notifier.Notifier`` offers the worker. Both record unreachable
    conversations in the store themselves; the results are informational."""

    async def update_card(self, card: CardRef, content: Mapping[str, Any]) -> object: ...

    async def notify_user(
        self, user_oid: str, content: Mapping[str, Any], *, request_id: str | None = None
    ) -> object: ...


def _phase(request: SendRequest, counts: JobCounts) -> progress_card.Phase:
    state = request.state
    if state is SendState.EXPIRED:
        return "expired"
    if state is SendState.REJECTED:
        return "rejected"
    if state is SendState.CANCELLED:
        return "cancelled"
    if request.is_final:
        return "done"
    if state is SendState.SENDING or counts.sent or counts.failed or counts.sending:
        return "running"
    return "waiting"


def failure_reason(job: Job) -> str:
    key = job.error_key or job.error_code or "unknown"
    return explain(key, mailbox=job.sender_address).title


def job_result(job: Job) -> tuple[str, str]:
    """One message's result and its reason, as the final card and the results CSV say it."""
    if job.state is JobState.SENT:
        return N_("sent"), ""
    if job.state is JobState.FAILED:
        return N_("not sent"), failure_reason(job)
    if job.state is JobState.CANCELLED:
        return N_("cancelled"), ""
    if job.state is JobState.UNKNOWN:
        return N_("unknown"), _(
            "check the Sent Items of {mailbox} before sending again", mailbox=job.sender_address
        )
    return N_("not sent yet"), ""


async def results_of(store: Store, request: SendRequest) -> tuple[Job, ...]:
    """What the final card of a finished bulk request lists, recipient by recipient."""
    if not (request.is_final and request.is_bulk):
        return ()
    return tuple((await store.list_jobs(request.id))[:MAX_RESULTS_LISTED])


def progress_view(
    progress: RequestProgress, results_url: str | None = None
) -> progress_card.ProgressView:
    request, counts = progress.request, progress.counts
    return progress_card.ProgressView(
        request_id=request.id,
        sender=request.sender_address,
        subject=request.subject,
        total=counts.total,
        sent=counts.sent,
        failed=counts.failed,
        cancelled=counts.cancelled,
        phase=_phase(request, counts),
        eta_seconds=progress.eta_seconds,
        quota_resumes_at=(
            progress.quota_resumes_at.strftime("%Y-%m-%d %H:%M UTC")
            if progress.quota_resumes_at is not None
            else None
        ),
        recipients_per_day=progress.recipients_per_day,
        failures=tuple(
            progress_card.Failure(job.recipients.all(), failure_reason(job), job.error_code)
            for job in progress.failures
        ),
        recipients=request.recipients.all() if not request.is_bulk else (),
        unknown=counts.unknown,
        check_mailbox=where_to_check(request) if counts.unknown else None,
        reference=reference_of(request.id),
        results=tuple(
            progress_card.Result(job.recipients.all(), *job_result(job)) for job in progress.results
        ),
        results_url=results_url if progress.results else None,
        scheduled_for=_scheduled_for(request, counts),
        window_note=_window_note(progress),
    )


def _scheduled_for(request: SendRequest, counts: JobCounts) -> str | None:
    if request.send_at is None or request.state is not SendState.QUEUED or counts.sent:
        return None
    return describe(request.send_at, zone_named(request.send_zone))


def _window_note(progress: RequestProgress) -> str | None:
    window, opens = progress.window, progress.window_opens
    if window is None or opens is None:
        return None
    return _(
        "Held outside the sender's send window ({window}); the next window opens {when}.",
        window=window.summary(),
        when=describe(opens, window.zone),
    )


def default_render_card(
    progress: RequestProgress, card: CardRef | None, results_url: str | None = None
) -> dict[str, Any]:
    """The progress card for every card of the request (``cards/progress.py``)."""
    return progress_card.build(progress_view(progress, results_url))


@dataclass
class ProgressPublisher:
    store: Store
    notifier: CardNotifier | None
    render: CardRenderer
    clock: Clock
    interval: float
    send_interval: Callable[[str], float] | None = None
    """Seconds between two sends of a mailbox (for the ETA); ``None``: no ETA."""
    recipients_per_day: int | None = None
    """The mailboxes' recipient rate limit: messages waiting for it push the ETA out."""
    windows: Callable[[str], SendWindow | None] | None = None
    """A mailbox's send window (for "the next window opens …"); ``None``: not shown."""
    _last: dict[tuple[str, str], datetime] = field(default_factory=dict)
    _locks: weakref.WeakValueDictionary[str, asyncio.Lock] = field(
        default_factory=weakref.WeakValueDictionary
    )

    async def snapshot(self, request_id: str) -> RequestProgress:
        request = await self.store.get_request(request_id)
        counts = await self.store.job_counts(request_id)
        failures: tuple[Job, ...] = ()
        if counts.failed:
            failed = await self.store.list_jobs(request_id, [JobState.FAILED])
            failures = tuple(failed[:MAX_FAILURES_LISTED])
        eta = None
        if not request.is_final and self.send_interval is not None:
            eta = counts.open * self.send_interval(request.sender_address)
        resumes_at = None
        if not request.is_final and counts.open and self.recipients_per_day is not None:
            resumes_at, finish = await self._quota_wait(request, self.recipients_per_day)
            if finish is not None:
                eta = max(eta or 0.0, (finish - self.clock()).total_seconds())
        window = self.windows(request.sender_address) if self.windows is not None else None
        return RequestProgress(
            request, counts, eta, failures, await results_of(self.store, request),
            resumes_at, self.recipients_per_day if resumes_at is not None else None,
            window, held_until(request, window, self.clock()),
        )  # fmt: skip

    async def _quota_wait(
        self, request: SendRequest, limit: int
    ) -> tuple[datetime | None, datetime | None]:
        """(when the first message held back for the recipient limit may go, when the last
        may), or (None, None) when none is held back."""
        now = self.clock()
        waiting = await self.store.list_jobs(request.id, [JobState.QUEUED, JobState.MAYBE_SENT])
        counted = await self.store.recipients_counted(request.sender_address, now)
        slots = [
            s
            for s in quota.schedule(counted, [len(j.recipients.all()) for j in waiting], limit, now)
            if s is not None
        ]
        later = [s for s in slots if s > now]
        if not later:
            return None, None
        return later[0], max(later)

    async def publish(self, request_id: str, *, final: bool = False) -> None:
        """Update the request's cards if they are due (always when ``final``). Never
        raises for a Teams or store problem: progress is best effort, the outbox is not."""
        if self.notifier is None:
            return
        lock = self._locks.get(request_id)
        if lock is None:
            lock = self._locks[request_id] = asyncio.Lock()
        try:
            async with lock:
                await self._publish(request_id, final=final)
        except StoreError as exc:
            logger.warning("progress for request %s not published: %s", request_id, exc)
        except Exception:
            logger.exception("progress for request %s not published", request_id)

    async def _publish(self, request_id: str, *, final: bool) -> None:
        assert self.notifier is not None
        cards = [c for c in await self.store.list_cards(request_id) if c.blocked_code is None]
        now = self.clock()
        due = [c for c in cards if final or self._due(c, now)]
        if not due:
            return
        progress = await self.snapshot(request_id)
        for card in due:
            with use_locale_of(card.reference):  # in the language its reader last spoke
                content = self.render(progress, card)
            if content is None:
                continue
            self._last[(card.request_id, card.activity_id)] = now
            await self.notifier.update_card(card, content)
        if progress.final:
            for card in cards:
                self._last.pop((card.request_id, card.activity_id), None)
        if len(self._last) > 1000:  # forget cards finished by other replicas
            horizon = now - timedelta(seconds=self.interval * 10)
            self._last = {k: t for k, t in self._last.items() if t >= horizon}

    async def _reference_of(self, user_oid: str) -> Mapping[str, Any] | None:
        """The user's stored conversation reference (its ``locale`` names their language)."""
        try:
            return (await self.store.get_conversation_ref(user_oid)).reference
        except NotFound:
            return None

    def _due(self, card: CardRef, now: datetime) -> bool:
        gap = timedelta(seconds=self.interval)
        local = self._last.get((card.request_id, card.activity_id))
        if local is not None and now - local < gap:
            return False
        return card.last_updated_at is None or now - card.last_updated_at >= gap

    async def notify_requester(self, request_id: str) -> None:
        """Tell the requester about a request that ended on its own (expired): update its
        cards; for a request that was waiting for approval and has no requester card, post
        a new message (an abandoned draft only has its preview card updated)."""
        if self.notifier is None:
            return
        try:
            cards = [c for c in await self.store.list_cards(request_id) if c.blocked_code is None]
            progress = await self.snapshot(request_id)
            for card in cards:
                with use_locale_of(card.reference):
                    content = self.render(progress, card)
                if content is not None:
                    await self.notifier.update_card(card, content)
            waited = progress.request.approval_required
            if waited and not any(c.role is CardRole.REQUESTER for c in cards):
                requester = await self._reference_of(progress.request.requester_oid)
                with use_locale_of(requester):
                    content = self.render(progress, None)
                if content is not None:
                    await self.notifier.notify_user(
                        progress.request.requester_oid, content, request_id=request_id
                    )
        except StoreError as exc:
            logger.warning("requester of %s not notified: %s", request_id, exc)
        except Exception:
            logger.exception("requester of %s not notified", request_id)
