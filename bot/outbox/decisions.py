"""What a worker decided about a job, to be recorded in the store as one shielded unit
(``JobRunner._record``). A tagged union: the I/O that decides never writes the outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.records import AuditEntry


@dataclass(frozen=True)
class Sent:
    graph_request_id: str | None
    audit: AuditEntry | None


@dataclass(frozen=True)
class Failed:
    """Certainly not sent, for good (until "Retry failed")."""

    code: str
    key: str | None
    audit: AuditEntry
    forget_draft: bool = False


@dataclass(frozen=True)
class Retry:
    """Certainly not sent this time: queued again at ``due_at``."""

    due_at: datetime
    code: str | None
    block_until: datetime | None = None


@dataclass(frozen=True)
class Uncertain:
    """A create or a send may have been taken: look it up at ``reconcile_at``."""

    reconcile_at: datetime
    code: str | None
    send_uncertain: bool


@dataclass(frozen=True)
class Unknown:
    """The fate stayed unknown past the bound: final, never sent again."""

    code: str | None
    audit: AuditEntry


@dataclass(frozen=True)
class Release:
    due_at: datetime
    held: bool = False
    """Held by the sender's send window (not by pacing)."""


@dataclass(frozen=True)
class Cancelled:
    """The request stopped being sendable before this message's first Graph call."""


@dataclass(frozen=True)
class Lost:
    """The lease was lost mid-way: record nothing; the next claimer reconciles."""


Decision = Sent | Failed | Retry | Uncertain | Unknown | Release | Cancelled | Lost
