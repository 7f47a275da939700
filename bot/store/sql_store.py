"""``SqlStore``: the ``Store`` protocol written once in SQL, over a SQLite or PostgreSQL
``Driver``. The outbox and pacing half lives in ``outbox_sql``.

Every send-request change is a compare-and-set on ``version`` inside one transaction that
also moves the request's jobs, so a request and its messages never disagree.
"""

from __future__ import annotations

import base64
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self, Unpack

from bot.domain.attachments import AttachmentMeta, digest, matches
from bot.domain.send_request import (
    FINAL_STATES,
    JsonValue,
    OutgoingMessage,
    SendRequest,
    SendState,
    check_transition,
    combined_hash,
)
from bot.errors import IllegalTransition, NotFound, VersionConflict
from bot.store import migrations
from bot.store.codec import (
    approval_from_row,
    audit_from_row,
    card_from_row,
    conversation_ref_from_row,
    read_optional_time,
    request_from_row,
    to_json,
    utc,
)
from bot.store.compose_sql import ComposeSql
from bot.store.driver import Driver, JsonText, Param, Tx
from bot.store.outbox_sql import OutboxSql, new_job_ids
from bot.store.records import (
    Approval,
    ApprovalDecision,
    ApprovalOutcome,
    AuditEntry,
    CardRef,
    Clock,
    ConversationRef,
    PurgeResult,
    RequestChanges,
    RetentionPolicy,
    utc_now,
)
from bot.store.replacement_sql import ReplacementSql
from bot.store.request_sql import RequestQueries
from bot.store.token_cache_sql import TokenCacheSql

_S = SendState

# RequestChanges key → column; decision_reasons is stored as JSON.
_CHANGE_COLUMNS = {
    "error_code": "error_code",
    "error_key": "error_key",
    "graph_request_id": "graph_request_id",
    "decided_by": "decided_by",
    "decided_at": "decided_at",
    "expires_at": "expires_at",
    "decision_reasons": "decision_reasons",
    "send_at": "send_at",
    "send_zone": "send_zone",
}

_FINAL_JOB_STATES = ("sent", "failed", "cancelled")


def _in(values: Collection[str]) -> str:
    return "(" + ", ".join("?" for _ in values) + ")"


def _normalise_address(address: str) -> str:
    return address.strip().lower()


def _change_param(key: str, value: object) -> Param:
    if key == "decision_reasons":
        if not isinstance(value, tuple | list):
            raise TypeError("decision_reasons must be a tuple of strings")
        return to_json([str(reason) for reason in value])
    if isinstance(value, datetime):
        return utc(value)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"{key} cannot be set to {value!r}")


class SqlStore(RequestQueries, OutboxSql, ComposeSql, TokenCacheSql, ReplacementSql):
    def __init__(self, driver: Driver, *, clock: Clock = utc_now) -> None:
        self._driver = driver
        self._clock = clock

    # --- lifecycle --------------------------------------------------------------------

    async def connect(self) -> None:
        await self._driver.connect()

    async def close(self) -> None:
        await self._driver.close()

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def migrate(self) -> list[int]:
        return await migrations.migrate(self._driver, self._now())

    async def schema_version(self) -> int:
        return await migrations.current_version(self._driver)

    async def existing_schema_version(self) -> int:
        return await migrations.existing_version(self._driver)

    # --- send requests ----------------------------------------------------------------

    async def create_request(
        self, request: SendRequest, messages: Sequence[OutgoingMessage]
    ) -> SendRequest:
        if request.state is not _S.DRAFT or request.version != 1:
            raise ValueError("a new send request is a draft at version 1")
        if not messages or len(messages) != request.message_count:
            raise ValueError("message_count must match the messages given")
        expected_hash = (
            combined_hash([m.content_hash for m in messages])
            if request.is_bulk
            else messages[0].content_hash
        )
        if request.content_hash != expected_hash:
            raise ValueError("the request's content hash does not match its messages")
        content = request.content
        if content is None:
            raise ValueError("a new send request carries its rendered content")
        files = _checked_files(messages)
        sender = _normalise_address(request.sender_address)
        stamp = utc(request.created_at)
        async with self._driver.transaction() as tx:
            row = await tx.fetch_one(
                "INSERT INTO send_requests (id, requester_oid, requester_upn, tenant_id,"
                " sender_address, sender_kind, mode, template, template_values, recipients,"
                " subject, body_html, body_text, content_hash, is_bulk, message_count, state,"
                " version, decision_reasons, approval_required, expires_at, created_at,"
                " updated_at, attachments) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING *",
                (
                    request.id,
                    request.requester_oid,
                    request.requester_upn,
                    request.tenant_id,
                    sender,
                    str(request.sender_kind),
                    str(request.mode),
                    request.template,
                    to_json(request.values),
                    to_json(request.recipients.to_json()),
                    content.subject,
                    content.html,
                    content.text,
                    request.content_hash,
                    request.is_bulk,
                    request.message_count,
                    str(_S.DRAFT),
                    1,
                    to_json(list(request.decision_reasons)),
                    request.approval_required,
                    utc(request.expires_at) if request.expires_at else None,
                    stamp,
                    utc(request.updated_at),
                    _manifest(content.attachments),
                ),
            )
            for sha256, data in files.items():
                await tx.execute(
                    "INSERT INTO attachment_contents (owner_id, sha256, content, stored_at)"
                    " VALUES (?, ?, ?, ?)",
                    (request.id, sha256, base64.b64encode(data).decode("ascii"), stamp),
                )
            for seq, message in enumerate(messages):
                job_id, mailroom_id = new_job_ids()
                await tx.execute(
                    "INSERT INTO outbox (id, request_id, seq, mailroom_id, sender_address,"
                    " recipients, template_values, subject, body_html, body_text, content_hash,"
                    " state, created_at, updated_at, attachments) VALUES"
                    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'held', ?, ?, ?)",
                    (
                        job_id,
                        request.id,
                        seq,
                        mailroom_id,
                        sender,
                        to_json(message.recipients.to_json()),
                        to_json(message.values),
                        message.content.subject,
                        message.content.html,
                        message.content.text,
                        message.content_hash,
                        stamp,
                        stamp,
                        _manifest(message.content.attachments),
                    ),
                )
        assert row is not None
        return request_from_row(row)

    # --- attachment bytes ---------------------------------------------------------------

    async def save_attachment_content(self, owner_id: str, content: bytes) -> str:
        sha256 = digest(content)
        async with self._driver.transaction() as tx:
            found = await tx.fetch_one(
                "SELECT sha256 FROM attachment_contents WHERE owner_id = ? AND sha256 = ?",
                (owner_id, sha256),
            )
            if found is None:
                await tx.execute(
                    "INSERT INTO attachment_contents (owner_id, sha256, content, stored_at)"
                    " VALUES (?, ?, ?, ?)",
                    (owner_id, sha256, base64.b64encode(content).decode("ascii"), self._now()),
                )
        return sha256

    async def attachment_content(self, owner_id: str, sha256: str) -> bytes | None:
        async with self._driver.reading() as tx:
            row = await tx.fetch_one(
                "SELECT content FROM attachment_contents WHERE owner_id = ? AND sha256 = ?",
                (owner_id, sha256),
            )
        return None if row is None else base64.b64decode(row["content"])

    async def drop_attachment_content(self, owner_id: str, sha256: str) -> None:
        async with self._driver.transaction() as tx:
            await tx.execute(
                "DELETE FROM attachment_contents WHERE owner_id = ? AND sha256 = ?",
                (owner_id, sha256),
            )

    async def get_request(self, request_id: str) -> SendRequest:
        async with self._driver.reading() as tx:
            row = await tx.fetch_one("SELECT * FROM send_requests WHERE id = ?", (request_id,))
        if row is None:
            raise NotFound("send request", request_id)
        return request_from_row(row)

    async def transition(
        self,
        request_id: str,
        expected_version: int,
        new_state: SendState,
        **changes: Unpack[RequestChanges],
    ) -> SendRequest:
        new_state = SendState(new_state)
        unknown = set(changes) - set(_CHANGE_COLUMNS)
        if unknown:
            raise TypeError(f"transition cannot change {sorted(unknown)}")
        sets = ["state = ?", "version = version + 1", "updated_at = ?"]
        now = self._now()
        params: list[Param] = [str(new_state), now]
        for key, value in changes.items():
            sets.append(f"{_CHANGE_COLUMNS[key]} = ?")
            params.append(_change_param(key, value))
        async with self._driver.transaction() as tx:
            current = await self._check_move(tx, request_id, expected_version, new_state)
            row = await tx.fetch_one(
                f"UPDATE send_requests SET {', '.join(sets)} "  # noqa: S608 - fixed columns
                "WHERE id = ? AND version = ? RETURNING *",
                (*params, request_id, expected_version),
            )
            if row is None:  # lost a race after our read
                raise VersionConflict("send request", request_id, expected_version)
            await self._move_jobs(tx, request_id, current, new_state, changes)
        return request_from_row(row)

    async def _check_move(
        self, tx: Tx, request_id: str, expected_version: int, new_state: SendState
    ) -> SendState:
        row = await tx.fetch_one(
            "SELECT state, version, content_purged_at FROM send_requests WHERE id = ?",
            (request_id,),
        )
        if row is None:
            raise NotFound("send request", request_id)
        if int(row["version"]) != expected_version:
            raise VersionConflict("send request", request_id, expected_version)
        current = SendState(row["state"])
        check_transition(request_id, current, new_state)
        if new_state is _S.QUEUED and row["content_purged_at"] is not None:
            raise IllegalTransition(
                "send request", request_id, f"{current} (content purged)", str(new_state)
            )
        return current

    async def _move_jobs(
        self,
        tx: Tx,
        request_id: str,
        current: SendState,
        new_state: SendState,
        changes: RequestChanges | None = None,
    ) -> None:
        now = self._now()
        if new_state is _S.QUEUED and current is _S.FAILED:
            await tx.execute(
                "UPDATE outbox SET state = 'queued', due_at = ?, attempts = 0, error_code = NULL,"
                " error_key = NULL, updated_at = ? WHERE request_id = ? AND state = 'failed'",
                (now, now, request_id),
            )
        elif new_state is _S.QUEUED:
            send_at = await self._send_at(tx, request_id)
            await tx.execute(
                "UPDATE outbox SET state = 'queued', due_at = ?, not_before = ?, updated_at = ?"
                " WHERE request_id = ? AND state = 'held'",
                (max(now, send_at) if send_at else now, send_at, now, request_id),
            )
        elif new_state is _S.FAILED and current is _S.APPROVED:
            # Refused before anything was queued: its messages fail with the request's
            # reason, so "Retry failed" (which re-decides) can queue them again.
            given = changes or {}
            await tx.execute(
                "UPDATE outbox SET state = 'failed', error_code = ?, error_key = ?,"
                " updated_at = ? WHERE request_id = ? AND state = 'held'",
                (given.get("error_code"), given.get("error_key"), now, request_id),
            )
        elif new_state in (_S.CANCELLED, _S.EXPIRED, _S.REJECTED):
            # Bumping ``claims`` fences off any worker still holding a lease on these jobs.
            await tx.execute(
                "UPDATE outbox SET state = 'cancelled', due_at = NULL, lease_owner = NULL,"
                " lease_expires_at = NULL, claims = claims + 1, updated_at = ?"
                " WHERE request_id = ? AND state IN ('held', 'queued')",
                (now, request_id),
            )

    async def count_waiting_approvals(self) -> int:
        async with self._driver.reading() as tx:
            row = await tx.fetch_one(
                "SELECT COUNT(*) AS n FROM send_requests WHERE state = ?",
                (_S.PENDING_APPROVAL.value,),
            )
        return 0 if row is None else int(row["n"])

    async def _send_at(self, tx: Tx, request_id: str) -> datetime | None:
        row = await tx.fetch_one("SELECT send_at FROM send_requests WHERE id = ?", (request_id,))
        return read_optional_time(row["send_at"]) if row is not None else None

    async def due_expirations(self, now: datetime, limit: int = 100) -> list[SendRequest]:
        waiting = (_S.DRAFT, _S.PENDING_APPROVAL, _S.APPROVED)
        async with self._driver.reading() as tx:
            rows = await tx.fetch_all(
                "SELECT * FROM send_requests WHERE state IN "  # noqa: S608 - placeholders only
                + _in(waiting)
                + " AND expires_at IS NOT NULL AND expires_at <= ?"
                " ORDER BY expires_at LIMIT ?",
                (*[str(s) for s in waiting], utc(now), limit),
            )
        return [request_from_row(row) for row in rows]

    # --- approvals --------------------------------------------------------------------

    async def decide_approval(
        self,
        request_id: str,
        approver_oid: str,
        decision: ApprovalDecision,
        comment: str = "",
    ) -> ApprovalOutcome:
        decision = ApprovalDecision(decision)
        new_state = _S.APPROVED if decision is ApprovalDecision.APPROVED else _S.REJECTED
        now = self._now()
        async with self._driver.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT * FROM send_requests WHERE id = ?"  # noqa: S608 - constant SQL
                + self._driver.dialect.for_update,
                (request_id,),
            )
            if row is None:
                raise NotFound("send request", request_id)
            earlier = await tx.fetch_one(
                "SELECT * FROM approvals WHERE request_id = ?", (request_id,)
            )
            if earlier is not None:
                return ApprovalOutcome(approval_from_row(earlier), request_from_row(row), won=False)
            current = SendState(row["state"])
            check_transition(request_id, current, new_state)
            approval = await tx.fetch_one(
                "INSERT INTO approvals (request_id, approver_oid, decision, comment, decided_at)"
                " VALUES (?, ?, ?, ?, ?) RETURNING *",
                (request_id, approver_oid, str(decision), comment, now),
            )
            updated = await tx.fetch_one(
                "UPDATE send_requests SET state = ?, version = version + 1, decided_by = ?,"
                " decided_at = ?, updated_at = ? WHERE id = ? AND version = ? RETURNING *",
                (str(new_state), approver_oid, now, now, request_id, int(row["version"])),
            )
            if approval is None or updated is None:
                raise VersionConflict("send request", request_id, int(row["version"]))
            await self._move_jobs(tx, request_id, current, new_state)
        return ApprovalOutcome(approval_from_row(approval), request_from_row(updated), won=True)

    async def get_approval(self, request_id: str) -> Approval | None:
        async with self._driver.reading() as tx:
            row = await tx.fetch_one("SELECT * FROM approvals WHERE request_id = ?", (request_id,))
        return approval_from_row(row) if row else None

    # --- conversation references and cards --------------------------------------------

    async def save_conversation_ref(
        self, user_oid: str, reference: Mapping[str, JsonValue]
    ) -> ConversationRef:
        async with self._driver.transaction() as tx:
            row = await tx.fetch_one(
                "INSERT INTO conversation_refs (user_oid, reference, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_oid) DO UPDATE SET reference = excluded.reference,"
                " updated_at = excluded.updated_at, blocked_code = NULL, blocked_at = NULL"
                " RETURNING *",
                (user_oid, to_json(reference), self._now()),
            )
        assert row is not None
        return conversation_ref_from_row(row)

    async def get_conversation_ref(self, user_oid: str) -> ConversationRef:
        async with self._driver.reading() as tx:
            row = await tx.fetch_one(
                "SELECT * FROM conversation_refs WHERE user_oid = ?", (user_oid,)
            )
        if row is None:
            raise NotFound("conversation reference", user_oid)
        return conversation_ref_from_row(row)

    async def mark_user_unreachable(self, user_oid: str, code: str) -> None:
        async with self._driver.transaction() as tx:
            changed = await tx.execute(
                "UPDATE conversation_refs SET blocked_code = ?, blocked_at = ? WHERE user_oid = ?",
                (code, self._now(), user_oid),
            )
        if not changed:
            raise NotFound("conversation reference", user_oid)

    async def save_card(self, card: CardRef) -> None:
        async with self._driver.transaction() as tx:
            await tx.execute(
                "INSERT INTO cards (request_id, activity_id, role, user_oid, reference,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (request_id, activity_id) DO UPDATE SET role = excluded.role,"
                " user_oid = excluded.user_oid, reference = excluded.reference",
                (
                    card.request_id,
                    card.activity_id,
                    str(card.role),
                    card.user_oid,
                    to_json(card.reference),
                    utc(card.created_at),
                ),
            )

    async def record_reach(self, request_id: str, user_oid: str, channel: str) -> None:
        async with self._driver.transaction() as tx:
            await tx.execute(
                "INSERT INTO approver_reach (request_id, user_oid, channel, reached_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (request_id, user_oid)"
                " DO UPDATE SET channel = excluded.channel, reached_at = excluded.reached_at",
                (request_id, user_oid.lower(), channel, self._now()),
            )

    async def list_reach(self, request_id: str) -> dict[str, str]:
        async with self._driver.reading() as tx:
            rows = await tx.fetch_all(
                "SELECT user_oid, channel FROM approver_reach WHERE request_id = ?",
                (request_id,),
            )
        return {str(row["user_oid"]): str(row["channel"]) for row in rows}

    async def claim_reach(self, request_id: str, user_oid: str, *, stale_before: datetime) -> bool:
        async with self._driver.transaction() as tx:
            claimed = await tx.execute(
                "UPDATE approver_reach SET reached_at = ? WHERE request_id = ? AND user_oid = ?"
                " AND channel = 'pending' AND reached_at <= ?",
                (self._now(), request_id, user_oid.lower(), utc(stale_before)),
            )
        return claimed == 1

    async def claim_reminder(self, request_id: str) -> bool:
        async with self._driver.transaction() as tx:
            inserted = await tx.execute(
                "INSERT INTO approval_reminders (request_id, reminded_at) VALUES (?, ?)"
                " ON CONFLICT (request_id) DO NOTHING",
                (request_id, self._now()),
            )
        return inserted == 1

    async def list_cards(self, request_id: str) -> list[CardRef]:
        async with self._driver.reading() as tx:
            rows = await tx.fetch_all(
                "SELECT * FROM cards WHERE request_id = ? ORDER BY created_at, activity_id",
                (request_id,),
            )
        return [card_from_row(row) for row in rows]

    async def mark_card_updated(self, request_id: str, activity_id: str) -> None:
        await self._update_card(request_id, activity_id, "last_updated_at = ?", [self._now()])

    async def mark_card_unreachable(self, request_id: str, activity_id: str, code: str) -> None:
        await self._update_card(
            request_id, activity_id, "blocked_code = ?, blocked_at = ?", [code, self._now()]
        )

    async def _update_card(
        self, request_id: str, activity_id: str, sets: str, params: list[Param]
    ) -> None:
        async with self._driver.transaction() as tx:
            changed = await tx.execute(
                f"UPDATE cards SET {sets} WHERE request_id = ? AND activity_id = ?",  # noqa: S608 - fixed columns
                (*params, request_id, activity_id),
            )
        if not changed:
            raise NotFound("card", f"{request_id}/{activity_id}")

    # --- audit ------------------------------------------------------------------------

    async def append_audit(self, entry: AuditEntry) -> AuditEntry:
        async with self._driver.transaction() as tx:
            row = await tx.fetch_one(
                "INSERT INTO audit_log (at, outcome, request_id, mailroom_id, requester_oid,"
                " requester_upn, sender_address, sender_kind, mode, recipients, template,"
                " content_hash, decision_reasons, graph_request_ids, error_code)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (
                    utc(entry.at),
                    entry.outcome,
                    entry.request_id,
                    entry.mailroom_id,
                    entry.requester_oid,
                    entry.requester_upn,
                    _normalise_address(entry.sender_address),
                    str(entry.sender_kind),
                    str(entry.mode),
                    to_json(entry.recipients.to_json()),
                    entry.template,
                    entry.content_hash,
                    to_json(list(entry.decision_reasons)),
                    to_json(list(entry.graph_request_ids)),
                    entry.error_code,
                ),
            )
        assert row is not None
        return audit_from_row(row)

    async def query_audit(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        sender: str | None = None,
        user: str | None = None,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        where: list[str] = []
        params: list[Param] = []
        if since is not None:
            where.append("at >= ?")
            params.append(utc(since))
        if until is not None:
            where.append("at < ?")
            params.append(utc(until))
        if sender is not None:
            where.append("sender_address = ?")
            params.append(_normalise_address(sender))
        if user is not None:
            where.append("(requester_oid = ? OR LOWER(requester_upn) = ?)")
            params += [user.strip(), user.strip().lower()]
        sql = "SELECT * FROM audit_log"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY at, id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        async with self._driver.reading() as tx:
            rows = await tx.fetch_all(sql, params)
        return [audit_from_row(row) for row in rows]

    # --- idempotency ------------------------------------------------------------------

    async def remember_activity(self, activity_id: str) -> bool:
        async with self._driver.transaction() as tx:
            inserted = await tx.execute(
                "INSERT INTO processed_activities (activity_id, seen_at) VALUES (?, ?)"
                " ON CONFLICT (activity_id) DO NOTHING",
                (activity_id, self._now()),
            )
        return inserted == 1

    async def forget_activity(self, activity_id: str) -> None:
        async with self._driver.transaction() as tx:
            await tx.execute(
                "DELETE FROM processed_activities WHERE activity_id = ?", (activity_id,)
            )

    # --- retention --------------------------------------------------------------------

    async def purge(self, policy: RetentionPolicy, now: datetime) -> PurgeResult:
        now = utc(now)
        body_cutoff = now - timedelta(days=policy.body_days)
        activity_cutoff = now - timedelta(days=policy.activity_days)
        final = [str(s) for s in FINAL_STATES]
        blank = "body_html = NULL, body_text = NULL, template_values = NULL, content_purged_at = ?"
        stamp = self._now()
        async with self._driver.transaction() as tx:
            requests = await tx.execute(
                f"UPDATE send_requests SET {blank} WHERE content_purged_at IS NULL"  # noqa: S608 - fixed columns
                " AND created_at < ? AND state IN " + _in(final),
                (stamp, body_cutoff, *final),
            )
            messages = await tx.execute(
                f"UPDATE outbox SET {blank} WHERE content_purged_at IS NULL"  # noqa: S608 - fixed columns
                " AND created_at < ? AND state IN " + _in(_FINAL_JOB_STATES) + " AND request_id IN"
                " (SELECT id FROM send_requests WHERE state IN " + _in(final) + ")",
                (stamp, body_cutoff, *_FINAL_JOB_STATES, *final),
            )
            # Files go with bodies: a request's once its bodies are purged, and a compose
            # draft's once they are as old as purged bodies would be.
            await tx.execute(
                "DELETE FROM attachment_contents WHERE owner_id IN"
                " (SELECT id FROM send_requests WHERE content_purged_at IS NOT NULL)"
                " OR (stored_at < ? AND owner_id NOT IN (SELECT id FROM send_requests))",
                (body_cutoff,),
            )
            # A compose draft holds the values typed into it: once untouched for as long as
            # bodies are kept, it goes, unless a request still in progress came from it.
            drafts = await tx.execute(
                "DELETE FROM compose_drafts WHERE updated_at < ? AND (request_id IS NULL"  # noqa: S608 - placeholders only
                " OR request_id IN (SELECT id FROM send_requests WHERE state IN "
                + _in(final)
                + "))",
                (body_cutoff, *final),
            )
            activities = await tx.execute(
                "DELETE FROM processed_activities WHERE seen_at < ?", (activity_cutoff,)
            )
        return PurgeResult(
            requests=requests, messages=messages, activities=activities, drafts=drafts
        )


def _manifest(attachments: Sequence[AttachmentMeta]) -> JsonText | None:
    return to_json([a.to_json() for a in attachments]) if attachments else None


def _checked_files(messages: Sequence[OutgoingMessage]) -> dict[str, bytes]:
    """Every file the messages name, by sha256, each with exactly its bytes."""
    files: dict[str, bytes] = {}
    for message in messages:
        for meta in message.content.attachments:
            data = message.files.get(meta.sha256)
            if data is None or not matches(meta, data):
                raise ValueError(f"the bytes of attachment {meta.name!r} are missing or differ")
            files[meta.sha256] = data
    return files
