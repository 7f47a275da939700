"""The outbox half of the SQL store: claiming jobs under leases, recording outcomes, and the
per-mailbox pacing every replica shares.

Claiming is one atomic statement: in PostgreSQL a ``FOR UPDATE SKIP LOCKED`` pick feeding an
UPDATE (two claimers never wait for, nor get, the same row); in SQLite an UPDATE … WHERE id IN
(pick) under ``BEGIN IMMEDIATE`` (one writer at a time). A job's lease is its owner plus a
fencing token (the ``claims`` counter), checked by every later update.

Pacing is a GCRA per mailbox — ``next_allowed_at`` moves on by ``60 / per_minute`` seconds
per granted send, ``burst`` sends may go back to back — plus ``blocked_until`` (Retry-After)
and a concurrency cap counted from the outbox itself: jobs ``sending`` under a live lease. A
crashed worker's slots free themselves when its leases expire. The pacing row is locked
(``FOR UPDATE`` / the SQLite write lock) while a slot is granted, so replicas take turns.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from bot.domain import recipient_quota as quota
from bot.errors import IllegalTransition, NotFound, VersionConflict
from bot.store.codec import job_from_row, read_optional_time, read_time, utc
from bot.store.driver import Driver, Param, Row, Tx
from bot.store.records import (
    ClaimedJob,
    Clock,
    Job,
    JobCounts,
    JobState,
    Lease,
    MailboxQueue,
    PacingPolicy,
    PacingState,
    SlotDecision,
    SlotRefusal,
)

_J = JobState

_CLAIMABLE = """
    ((state IN ('queued', 'maybe_sent') AND due_at <= ?) OR state = 'sending')
    AND (lease_expires_at IS NULL OR lease_expires_at <= ?)
    AND (not_before IS NULL OR not_before <= ?)
"""

_CLAIM_SQLITE = f"""
    UPDATE outbox
    SET reclaimed_from = lease_owner, lease_owner = ?, claims = claims + 1,
        lease_expires_at = ?, updated_at = ?
    WHERE id IN (
        SELECT id FROM outbox WHERE {_CLAIMABLE}
        ORDER BY due_at, created_at, seq LIMIT ?
    )
    RETURNING *
"""  # noqa: S608 - constant SQL, no user input

_CLAIM_POSTGRES = f"""
    WITH picked AS (
        SELECT id FROM outbox WHERE {_CLAIMABLE}
        ORDER BY due_at, created_at, seq LIMIT ?
        FOR UPDATE SKIP LOCKED
    )
    UPDATE outbox AS o
    SET reclaimed_from = o.lease_owner, lease_owner = ?, claims = o.claims + 1,
        lease_expires_at = ?, updated_at = ?
    FROM picked WHERE o.id = picked.id
    RETURNING o.*
"""  # noqa: S608 - constant SQL, no user input

_NEEDS_RECONCILE = frozenset({_J.SENDING, _J.MAYBE_SENT})


def new_job_ids() -> tuple[str, str]:
    """A job id and a Mailroom id (the GUID the message carries for reconciliation)."""
    return uuid.uuid4().hex, str(uuid.uuid4())


def _in(values: Collection[str]) -> str:
    return "(" + ", ".join("?" for _ in values) + ")"


class OutboxSql:
    _driver: Driver
    _clock: Clock

    def _now(self) -> datetime:
        return utc(self._clock())

    # --- claiming ---------------------------------------------------------------------

    async def claim_due_jobs(
        self, worker_id: str, limit: int, lease_seconds: float, now: datetime
    ) -> list[ClaimedJob]:
        if limit < 1:
            return []
        now = utc(now)
        expires = now + timedelta(seconds=lease_seconds)
        sql: str
        params: tuple[Param, ...]
        if self._driver.dialect.name == "postgresql":
            sql = _CLAIM_POSTGRES
            params = (now, now, now, limit, worker_id, expires, self._now())
        else:
            sql = _CLAIM_SQLITE
            params = (worker_id, expires, self._now(), now, now, now, limit)
        rows = await self._driver.write(lambda tx: tx.fetch_all(sql, params))
        claimed = []
        for row in rows:
            job = job_from_row(row)
            claimed.append(
                ClaimedJob(
                    job=job,
                    lease=Lease(job.id, worker_id, int(row["claims"]), expires),
                    needs_reconcile=job.state in _NEEDS_RECONCILE,
                    reclaimed_from=row["reclaimed_from"],
                )
            )
        claimed.sort(key=lambda c: (c.job.due_at or now, c.job.created_at, c.job.seq))
        return claimed

    async def _leased_row(self, tx: Tx, lease: Lease) -> Row:
        row = await tx.fetch_one("SELECT * FROM outbox WHERE id = ?", (lease.job_id,))
        if row is None:
            raise NotFound("outbox job", lease.job_id)
        if row["lease_owner"] != lease.owner or int(row["claims"]) != lease.token:
            raise VersionConflict("outbox job", lease.job_id, lease.token)
        return row

    async def _update_leased(
        self,
        lease: Lease,
        allowed_from: Collection[JobState],
        target: str,
        sets: Sequence[str],
        params: Sequence[Param],
    ) -> Job:
        """Apply ``sets`` to the job if the lease still holds and its state allows it."""
        stamp = self._now()

        async def body(tx: Tx) -> Row | None:
            row = await self._leased_row(tx, lease)
            state = JobState(row["state"])
            if state not in allowed_from:
                raise IllegalTransition("outbox job", lease.job_id, str(state), target)
            return await tx.fetch_one(
                f"UPDATE outbox SET {', '.join(sets)}, updated_at = ? "  # noqa: S608 - fixed columns
                "WHERE id = ? AND claims = ? AND lease_owner = ? RETURNING *",
                (*params, stamp, lease.job_id, lease.token, lease.owner),
            )

        updated = await self._driver.write(body)
        if updated is None:
            raise VersionConflict("outbox job", lease.job_id, lease.token)
        return job_from_row(updated)

    async def renew_lease(self, lease: Lease, lease_seconds: float, now: datetime) -> Lease:
        expires = utc(now) + timedelta(seconds=lease_seconds)
        await self._update_leased(
            lease, set(JobState) - {_J.HELD}, "renewed", ["lease_expires_at = ?"], [expires]
        )
        return Lease(lease.job_id, lease.owner, lease.token, expires)

    # --- pacing -----------------------------------------------------------------------

    async def _in_flight(self, tx: Tx, mailbox: str, now: datetime, exclude: str = "") -> int:
        row = await tx.fetch_one(
            "SELECT COUNT(*) AS n FROM outbox WHERE sender_address = ? AND state = 'sending' "
            "AND lease_expires_at > ? AND id <> ?",
            (mailbox, now, exclude),
        )
        return int(row["n"]) if row else 0

    async def acquire_send_slot(
        self, lease: Lease, policy: PacingPolicy, lease_seconds: float, now: datetime
    ) -> SlotDecision:
        now = utc(now)
        stamp = self._now()
        return await self._driver.write(
            lambda tx: self._take_slot(tx, lease, policy, lease_seconds, now=now, stamp=stamp)
        )

    async def _take_slot(
        self,
        tx: Tx,
        lease: Lease,
        policy: PacingPolicy,
        lease_seconds: float,
        *,
        now: datetime,
        stamp: datetime,
    ) -> SlotDecision:
        """``acquire_send_slot``'s transaction."""
        allowed = {_J.QUEUED, _J.MAYBE_SENT, _J.SENDING}
        row = await self._leased_row(tx, lease)
        job = job_from_row(row)
        if job.state not in allowed:
            raise IllegalTransition("outbox job", job.id, str(job.state), str(_J.SENDING))
        mailbox = job.sender_address
        await tx.execute(
            "INSERT INTO mailbox_pacing (mailbox, next_allowed_at, blocked_until, updated_at)"
            " VALUES (?, ?, NULL, ?) ON CONFLICT (mailbox) DO NOTHING",
            (mailbox, now, now),
        )
        pace = await tx.fetch_one(
            "SELECT * FROM mailbox_pacing WHERE mailbox = ?"  # noqa: S608 - constant SQL
            + self._driver.dialect.for_update,
            (mailbox,),
        )
        assert pace is not None
        blocked_until = read_optional_time(pace["blocked_until"])
        if blocked_until is not None and blocked_until > now:
            return SlotDecision(False, job, SlotRefusal.RETRY_AFTER, blocked_until)
        interval = timedelta(seconds=policy.interval_seconds)
        if await self._in_flight(tx, mailbox, now, exclude=job.id) >= policy.max_concurrent:
            return SlotDecision(False, job, SlotRefusal.CONCURRENCY, now + interval)
        next_allowed = read_time(pace["next_allowed_at"])
        earliest = next_allowed - interval * (policy.burst - 1)
        if now < earliest:
            return SlotDecision(False, job, SlotRefusal.RATE, earliest)
        # The pacing row is locked: no other replica counts this mailbox meanwhile.
        counted = await self._counted(tx, mailbox, now, exclude=job.id)
        recipients = len(job.recipients.all())
        fits = quota.fits_at(counted, recipients, policy.recipients_per_day, now)
        if fits is None or fits > now:
            return SlotDecision(False, job, SlotRefusal.RECIPIENT_QUOTA, fits)
        await tx.execute(
            "INSERT INTO mailbox_recipients (job_id, mailbox, recipients, counted_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING",
            (job.id, mailbox.strip().lower(), recipients, now),
        )
        await tx.execute(
            "UPDATE mailbox_pacing SET next_allowed_at = ?, updated_at = ? WHERE mailbox = ?",
            (max(next_allowed, now) + interval, now, mailbox),
        )
        updated = await tx.fetch_one(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, "
            "lease_expires_at = ?, updated_at = ? WHERE id = ? AND claims = ? RETURNING *",
            (now + timedelta(seconds=lease_seconds), stamp, job.id, lease.token),
        )
        assert updated is not None
        return SlotDecision(True, job_from_row(updated))

    async def _counted(
        self, tx: Tx, mailbox: str, now: datetime, exclude: str = ""
    ) -> list[tuple[datetime, int]]:
        """The recipients counted for ``mailbox`` in the last 24 hours, oldest first (a job
        is counted once, however often it is tried); older rows are dropped on the way."""
        horizon = now - quota.WINDOW
        mailbox = mailbox.strip().lower()
        await tx.execute(
            "DELETE FROM mailbox_recipients WHERE mailbox = ? AND counted_at <= ?",
            (mailbox, horizon),
        )
        rows = await tx.fetch_all(
            "SELECT counted_at, recipients FROM mailbox_recipients"
            " WHERE mailbox = ? AND counted_at > ? AND job_id <> ? ORDER BY counted_at",
            (mailbox, horizon, exclude),
        )
        return [(read_time(r["counted_at"]), int(r["recipients"])) for r in rows]

    async def recipients_counted(self, mailbox: str, now: datetime) -> list[tuple[datetime, int]]:
        now = utc(now)
        rows = await self._driver.read(
            lambda tx: tx.fetch_all(
                "SELECT counted_at, recipients FROM mailbox_recipients"
                " WHERE mailbox = ? AND counted_at > ? ORDER BY counted_at",
                (mailbox.strip().lower(), now - quota.WINDOW),
            )
        )
        return [(read_time(r["counted_at"]), int(r["recipients"])) for r in rows]

    async def block_mailbox(self, mailbox: str, until: datetime) -> None:
        stamp = self._now()
        await self._driver.write(
            lambda tx: tx.execute(
                "INSERT INTO mailbox_pacing (mailbox, next_allowed_at, blocked_until, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (mailbox) DO UPDATE SET"
                " blocked_until = CASE WHEN mailbox_pacing.blocked_until IS NULL"
                " OR mailbox_pacing.blocked_until < excluded.blocked_until"
                " THEN excluded.blocked_until ELSE mailbox_pacing.blocked_until END,"
                " updated_at = excluded.updated_at",
                (mailbox.strip().lower(), stamp, utc(until), stamp),
            )
        )

    async def pacing_state(self, mailbox: str, now: datetime) -> PacingState:
        mailbox = mailbox.strip().lower()
        now = utc(now)

        async def body(tx: Tx) -> tuple[Row | None, int]:
            row = await tx.fetch_one("SELECT * FROM mailbox_pacing WHERE mailbox = ?", (mailbox,))
            return row, await self._in_flight(tx, mailbox, now)

        row, in_flight = await self._driver.read(body)
        if row is None:
            return PacingState(mailbox, now, None, in_flight)
        return PacingState(
            mailbox,
            read_time(row["next_allowed_at"]),
            read_optional_time(row["blocked_until"]),
            in_flight,
        )

    # --- outcomes ---------------------------------------------------------------------

    _END_LEASE = ("lease_owner = NULL", "lease_expires_at = NULL")

    async def release_job(self, lease: Lease, due_at: datetime | None = None) -> Job:
        # A reclaimed 'sending' job given back may have gone out: it stays marked so.
        return await self._update_leased(
            lease,
            {_J.QUEUED, _J.MAYBE_SENT, _J.SENDING},
            "released",
            [
                *self._END_LEASE,
                "due_at = ?",
                "state = CASE WHEN state = 'sending' THEN 'maybe_sent' ELSE state END",
            ],
            [utc(due_at) if due_at else self._now()],
        )

    async def record_sent(self, lease: Lease, graph_request_id: str | None) -> Job:
        now = self._now()
        return await self._update_leased(
            lease,
            {_J.SENDING, _J.MAYBE_SENT},
            str(_J.SENT),
            [
                *self._END_LEASE,
                "state = 'sent'",
                "sent_at = ?",
                "due_at = NULL",
                "error_code = NULL",
                "error_key = NULL",
                "graph_request_id = COALESCE(?, graph_request_id)",
            ],
            [now, graph_request_id],
        )

    async def record_retry(
        self, lease: Lease, due_at: datetime, error_code: str | None = None
    ) -> Job:
        return await self._update_leased(
            lease,
            {_J.SENDING, _J.MAYBE_SENT},
            str(_J.QUEUED),
            [*self._END_LEASE, "state = 'queued'", "due_at = ?", "error_code = ?"],
            [utc(due_at), error_code],
        )

    async def record_draft(self, lease: Lease, draft_id: str) -> Job:
        """The message's draft exists (created, or found by its Mailroom id): remember it
        before it is sent, so nothing ever sends another item for this message."""
        return await self._update_leased(
            lease, {_J.SENDING}, "draft recorded", ["draft_id = ?"], [draft_id]
        )

    async def record_maybe_sent(
        self,
        lease: Lease,
        reconcile_at: datetime,
        error_code: str | None = None,
        *,
        send_uncertain: bool = False,
    ) -> Job:
        return await self._update_leased(
            lease,
            {_J.SENDING, _J.MAYBE_SENT},
            str(_J.MAYBE_SENT),
            [
                *self._END_LEASE,
                "state = 'maybe_sent'",
                "due_at = ?",
                "error_code = ?",
                "uncertain_since = COALESCE(uncertain_since, ?)",
                "send_uncertain = (send_uncertain OR ?)",
            ],
            [utc(reconcile_at), error_code, self._now(), send_uncertain],
        )

    async def record_failed(
        self,
        lease: Lease,
        error_code: str,
        error_key: str | None = None,
        *,
        forget_draft: bool = False,
    ) -> Job:
        sets = [
            *self._END_LEASE,
            "state = 'failed'",
            "due_at = NULL",
            "error_code = ?",
            "error_key = ?",
            "uncertain_since = NULL",
            "send_uncertain = ?",
        ]
        if forget_draft:
            sets.append("draft_id = NULL")
        return await self._update_leased(
            lease,
            {_J.QUEUED, _J.SENDING, _J.MAYBE_SENT},
            str(_J.FAILED),
            sets,
            [error_code, error_key, False],
        )

    async def record_unknown(self, lease: Lease, error_code: str | None = None) -> Job:
        return await self._update_leased(
            lease,
            {_J.SENDING, _J.MAYBE_SENT},
            str(_J.UNKNOWN),
            [*self._END_LEASE, "state = 'unknown'", "due_at = NULL", "error_code = ?"],
            [error_code],
        )

    async def record_cancelled(self, lease: Lease) -> Job:
        """The request was cancelled before this message's first Graph call."""
        return await self._update_leased(
            lease,
            {_J.QUEUED, _J.SENDING},
            str(_J.CANCELLED),
            [*self._END_LEASE, "state = 'cancelled'", "due_at = NULL"],
            [],
        )

    # --- reading ----------------------------------------------------------------------

    async def get_job(self, job_id: str) -> Job:
        row = await self._driver.read(
            lambda tx: tx.fetch_one("SELECT * FROM outbox WHERE id = ?", (job_id,))
        )
        if row is None:
            raise NotFound("outbox job", job_id)
        return job_from_row(row)

    async def find_job(self, mailroom_id: str) -> Job:
        row = await self._driver.read(
            lambda tx: tx.fetch_one("SELECT * FROM outbox WHERE mailroom_id = ?", (mailroom_id,))
        )
        if row is None:
            raise NotFound("outbox job", mailroom_id)
        return job_from_row(row)

    async def list_jobs(
        self, request_id: str, states: Collection[JobState] | None = None
    ) -> list[Job]:
        sql = "SELECT * FROM outbox WHERE request_id = ?"
        params: list[Param] = [request_id]
        if states is not None:
            if not states:
                return []
            sql += " AND state IN " + _in(states)
            params += [str(s) for s in states]
        rows = await self._driver.read(lambda tx: tx.fetch_all(sql + " ORDER BY seq", params))
        return [job_from_row(row) for row in rows]

    async def outbox_queues(self) -> list[MailboxQueue]:
        rows = await self._driver.read(
            lambda tx: tx.fetch_all(
                "SELECT sender_address, COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox"
                " WHERE state IN ('queued', 'sending', 'maybe_sent')"
                " GROUP BY sender_address ORDER BY sender_address",
                (),
            )
        )
        return [
            MailboxQueue(row["sender_address"], int(row["n"]), read_time(row["oldest"]))
            for row in rows
        ]

    async def job_counts(self, request_id: str) -> JobCounts:
        rows = await self._driver.read(
            lambda tx: tx.fetch_all(
                "SELECT state, COUNT(*) AS n FROM outbox WHERE request_id = ? GROUP BY state",
                (request_id,),
            )
        )
        by_state = {JobState(row["state"]): int(row["n"]) for row in rows}
        total = sum(by_state.values())
        if total == 0:
            raise NotFound("send request", request_id)
        return JobCounts(total=total, **{str(state): n for state, n in by_state.items()})
