"""The durable outbox worker: claims due jobs under leases, paces each mailbox through the
store, sends each message exactly once (a draft sent by id; anything that may have gone out is
looked up, and what stays undecided is reported unknown), closes requests, keeps their cards
up to date, and does the periodic chores (expiry, retention)."""

from bot.outbox.config import WorkerConfig
from bot.outbox.guard import GuardResult, SendGuard
from bot.outbox.jobs import JobResult, Outcome
from bot.outbox.progress import (
    CardNotifier,
    CardRenderer,
    RequestProgress,
    default_render_card,
)
from bot.outbox.routing import SendRoute, route_for, where_to_check
from bot.outbox.worker import Worker

__all__ = [
    "CardNotifier",
    "CardRenderer",
    "GuardResult",
    "JobResult",
    "Outcome",
    "RequestProgress",
    "SendGuard",
    "SendRoute",
    "Worker",
    "WorkerConfig",
    "default_render_card",
    "route_for",
    "where_to_check",
]
