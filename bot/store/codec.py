"""Rows ↔ records. Both dialects hand back JSON as text; times as text (SQLite) or
``datetime`` (PostgreSQL) — ``read_time`` takes either and returns aware UTC."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.domain.attachments import AttachmentMeta
from bot.domain.send_request import (
    JsonValue,
    Recipients,
    RenderedContent,
    SenderKind,
    SendMode,
    SendRequest,
    SendState,
)
from bot.store.driver import JsonText, Row
from bot.store.records import (
    Approval,
    ApprovalDecision,
    AuditEntry,
    CardRef,
    CardRole,
    ConversationRef,
    Job,
    JobState,
)


def utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return value.astimezone(UTC)


def read_time(value: object) -> datetime:
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, str):
        return utc(datetime.fromisoformat(value))
    raise TypeError(f"not a timestamp: {value!r}")


def read_optional_time(value: object) -> datetime | None:
    return None if value is None else read_time(value)


def to_json(value: object) -> JsonText:
    return JsonText(json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True))


def read_json(value: object) -> Any:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).decode("utf-8")
    if not isinstance(value, str):
        raise TypeError(f"not JSON text: {value!r}")
    return json.loads(value)


def _values(value: object) -> Mapping[str, JsonValue]:
    decoded = read_json(value)
    return dict(decoded) if isinstance(decoded, dict) else {}


def _attachments(row: Row) -> tuple[AttachmentMeta, ...]:
    listed = read_json(row.get("attachments")) if row.get("attachments") is not None else None
    return tuple(AttachmentMeta.from_json(a) for a in listed or ())


def _content(row: Row) -> RenderedContent | None:
    if row["content_purged_at"] is not None or row["body_html"] is None:
        return None
    return RenderedContent(
        subject=row["subject"],
        html=row["body_html"],
        text=row["body_text"] or "",
        attachments=_attachments(row),
    )


def request_from_row(row: Row) -> SendRequest:
    return SendRequest(
        id=row["id"],
        requester_oid=row["requester_oid"],
        requester_upn=row["requester_upn"],
        tenant_id=row["tenant_id"],
        sender_address=row["sender_address"],
        sender_kind=SenderKind(row["sender_kind"]),
        mode=SendMode(row["mode"]),
        template=row["template"],
        values=_values(row["template_values"]),
        recipients=Recipients.from_json(read_json(row["recipients"])),
        subject=row["subject"],
        content=_content(row),
        content_hash=row["content_hash"],
        state=SendState(row["state"]),
        version=int(row["version"]),
        created_at=read_time(row["created_at"]),
        updated_at=read_time(row["updated_at"]),
        is_bulk=bool(row["is_bulk"]),
        message_count=int(row["message_count"]),
        decision_reasons=tuple(read_json(row["decision_reasons"]) or ()),
        approval_required=bool(row["approval_required"]),
        decided_by=row["decided_by"],
        decided_at=read_optional_time(row["decided_at"]),
        expires_at=read_optional_time(row["expires_at"]),
        error_code=row["error_code"],
        error_key=row["error_key"],
        graph_request_id=row["graph_request_id"],
        content_purged_at=read_optional_time(row["content_purged_at"]),
        send_at=read_optional_time(row["send_at"]),
        send_zone=row["send_zone"],
    )


def job_from_row(row: Row) -> Job:
    return Job(
        id=row["id"],
        request_id=row["request_id"],
        seq=int(row["seq"]),
        mailroom_id=row["mailroom_id"],
        sender_address=row["sender_address"],
        recipients=Recipients.from_json(read_json(row["recipients"])),
        values=_values(row["template_values"]),
        subject=row["subject"],
        content=_content(row),
        content_hash=row["content_hash"],
        state=JobState(row["state"]),
        attempts=int(row["attempts"]),
        due_at=read_optional_time(row["due_at"]),
        lease_owner=row["lease_owner"],
        lease_expires_at=read_optional_time(row["lease_expires_at"]),
        created_at=read_time(row["created_at"]),
        updated_at=read_time(row["updated_at"]),
        graph_request_id=row["graph_request_id"],
        error_code=row["error_code"],
        error_key=row["error_key"],
        sent_at=read_optional_time(row["sent_at"]),
        content_purged_at=read_optional_time(row["content_purged_at"]),
        draft_id=row["draft_id"],
        send_uncertain=bool(row["send_uncertain"]),
        uncertain_since=read_optional_time(row["uncertain_since"]),
        not_before=read_optional_time(row["not_before"]),
    )


def approval_from_row(row: Row) -> Approval:
    return Approval(
        request_id=row["request_id"],
        approver_oid=row["approver_oid"],
        decision=ApprovalDecision(row["decision"]),
        comment=row["comment"],
        decided_at=read_time(row["decided_at"]),
    )


def conversation_ref_from_row(row: Row) -> ConversationRef:
    return ConversationRef(
        user_oid=row["user_oid"],
        reference=_values(row["reference"]),
        updated_at=read_time(row["updated_at"]),
        blocked_code=row["blocked_code"],
        blocked_at=read_optional_time(row["blocked_at"]),
    )


def card_from_row(row: Row) -> CardRef:
    return CardRef(
        request_id=row["request_id"],
        activity_id=row["activity_id"],
        role=CardRole(row["role"]),
        user_oid=row["user_oid"],
        reference=_values(row["reference"]),
        created_at=read_time(row["created_at"]),
        last_updated_at=read_optional_time(row["last_updated_at"]),
        blocked_code=row["blocked_code"],
        blocked_at=read_optional_time(row["blocked_at"]),
    )


def audit_from_row(row: Row) -> AuditEntry:
    return AuditEntry(
        id=int(row["id"]),
        at=read_time(row["at"]),
        outcome=row["outcome"],
        request_id=row["request_id"],
        mailroom_id=row["mailroom_id"],
        requester_oid=row["requester_oid"],
        requester_upn=row["requester_upn"],
        sender_address=row["sender_address"],
        sender_kind=SenderKind(row["sender_kind"]),
        mode=SendMode(row["mode"]),
        recipients=Recipients.from_json(read_json(row["recipients"])),
        template=row["template"],
        content_hash=row["content_hash"],
        decision_reasons=tuple(read_json(row["decision_reasons"]) or ()),
        graph_request_ids=tuple(read_json(row["graph_request_ids"]) or ()),
        error_code=row["error_code"],
    )
