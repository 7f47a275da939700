"""How the outbox worker behaves: one frozen ``WorkerConfig``.

The numbers that matter for correctness:

* ``lease_seconds`` — how long a claimed job stays ours without a heartbeat. The worker
  renews the lease every third of it while it works on the job, so only a dead (or frozen)
  worker loses a lease; a shorter lease means a crashed worker's jobs are reclaimed sooner.
* ``send_timeouts.total`` — the longest one Graph call may take; it must fit inside the
  lease, so that a lease can only expire on a call that is certainly over.
* ``reconcile_delay`` — how long after a "maybe" (a create or send whose answer was lost) to
  look the message up. Correctness does not hang on it: the message's draft is the only
  item ever sent and Exchange sends an item once, however often it is sent (see
  docs/decisions/0004-send-by-draft.md). It only saves lookups while the request may still
  be in flight.
* ``unknown_after`` — how long a message's fate may stay unknown (lookups failing, or
  finding neither the draft nor a sent copy after a send that may have been taken) before it
  is reported as ``unknown``: "check the Sent Items of ...". Never resent, never "sent".
"""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass, field

from bot.domain.recipient_quota import DEFAULT_RECIPIENTS_PER_DAY
from bot.netclient import Timeouts


def default_worker_id() -> str:
    """Host name plus a random suffix: unique per process, readable in the outbox table."""
    return f"{socket.gethostname()[:40]}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class WorkerConfig:
    worker_id: str = field(default_factory=default_worker_id)
    max_in_flight: int = 16
    """Jobs this process works on at once (across all mailboxes)."""
    lease_seconds: float = 90.0
    poll_interval: float = 1.0
    """Seconds between claims when nothing is due (``Worker.wake()`` cuts it short)."""
    send_timeouts: Timeouts = field(
        default_factory=lambda: Timeouts(connect=5.0, read=30.0, total=45.0)
    )

    # pacing
    default_per_minute: float = 30.0
    """Exchange's default message rate, for senders without a configured rate (``self``)."""
    rate_safety: float = 0.95
    """Pace at this share of a mailbox's rate, so network jitter never pushes a rolling
    minute over Exchange's limit."""
    max_concurrent_per_mailbox: int = 4
    recipients_per_day: int = DEFAULT_RECIPIENTS_PER_DAY
    """Exchange's recipient rate limit per sender mailbox (rolling 24 hours)."""
    max_slot_wait: float = 3.0
    """Wait this long for a pacing slot while holding a job; a longer wait gives it back."""

    # retries
    retry_base_delay: float = 2.0
    retry_max_delay: float = 300.0
    max_attempts: int = 8
    """Certainly-not-sent failures (other than throttling) retried this often, then failed."""
    default_retry_after: float = 30.0
    """Throttled without a Retry-After: block the mailbox this long."""
    reconcile_delay: float = 30.0
    reconcile_retry_delay: float = 60.0
    unknown_after: float = 900.0

    # housekeeping
    card_update_interval: float = 4.0
    """At most one progress update per card this often (plus the final one)."""
    sweep_interval: float = 60.0
    """How often to close requests whose messages are all done (after a crash)."""
    expiry_interval: float = 60.0
    purge_interval: float = 3600.0
    retention_body_days: int = 30
    retention_activity_days: int = 7
    shutdown_grace: float = 10.0
    """On stop, jobs in progress get this long to finish before they are cancelled."""

    def __post_init__(self) -> None:
        if not self.worker_id:
            raise ValueError("worker_id must not be empty")
        if self.recipients_per_day < 1:
            raise ValueError("recipients_per_day must be >= 1")
        if self.max_in_flight < 1 or self.max_concurrent_per_mailbox < 1:
            raise ValueError("max_in_flight and max_concurrent_per_mailbox must be >= 1")
        if self.poll_interval <= 0 or self.lease_seconds <= 0:
            raise ValueError("poll_interval and lease_seconds must be positive")
        if self.send_timeouts.total >= self.lease_seconds:
            raise ValueError(
                "send_timeouts.total must be shorter than lease_seconds: a lease may only "
                "expire on a Graph call that is certainly over"
            )
        if not 0 < self.rate_safety <= 1:
            raise ValueError("rate_safety must be in (0, 1]")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if self.unknown_after <= 0:
            raise ValueError("unknown_after must be positive")

    @property
    def heartbeat_seconds(self) -> float:
        return self.lease_seconds / 3
