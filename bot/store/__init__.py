"""Persistence behind one async protocol: SQLite (embedded default) and PostgreSQL.

``open_store(url)`` → a ``Store``; see ``protocol`` for the API, ``records`` for what it
takes and returns, ``migrations`` for the schema.
"""

from bot.store.compose_sql import ComposeDraft
from bot.store.factory import open_store
from bot.store.migrations import LATEST_VERSION
from bot.store.protocol import Store
from bot.store.records import (
    Approval,
    ApprovalDecision,
    ApprovalOutcome,
    AuditEntry,
    CardRef,
    CardRole,
    ClaimedJob,
    Clock,
    ConversationRef,
    Job,
    JobCounts,
    JobState,
    Lease,
    PacingPolicy,
    PacingState,
    PurgeResult,
    RequestChanges,
    RequestCursor,
    RequestPage,
    RetentionPolicy,
    SlotDecision,
    SlotRefusal,
    utc_now,
)

__all__ = [
    "LATEST_VERSION",
    "Approval",
    "ApprovalDecision",
    "ApprovalOutcome",
    "AuditEntry",
    "CardRef",
    "CardRole",
    "ClaimedJob",
    "Clock",
    "ComposeDraft",
    "ConversationRef",
    "Job",
    "JobCounts",
    "JobState",
    "Lease",
    "PacingPolicy",
    "PacingState",
    "PurgeResult",
    "RequestChanges",
    "RequestCursor",
    "RequestPage",
    "RetentionPolicy",
    "SlotDecision",
    "SlotRefusal",
    "Store",
    "open_store",
    "utc_now",
]
