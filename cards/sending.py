"""The "Sending…" card for a ``cards.views.ProgressView``.

The card itself is ``cards.progress`` (the outbox worker's progress card, updated in place as
messages go out); this module only translates the bot's view into that card's view so the
handlers and the worker show one and the same card.
"""

from __future__ import annotations

from typing import Any

from cards import progress
from cards.views import ProgressView

FINAL_STATES = frozenset({"sent", "failed", "cancelled", "rejected", "expired"})

_PHASES: dict[str, progress.Phase] = {
    "draft": "waiting",
    "pending_approval": "waiting",
    "approved": "waiting",
    "queued": "waiting",
    "sending": "running",
    "sent": "done",
    "failed": "done",
    "cancelled": "cancelled",
    "rejected": "cancelled",
    "expired": "expired",
}


def build(view: ProgressView) -> dict[str, Any]:
    return progress.build(to_progress(view))


def to_progress(view: ProgressView) -> progress.ProgressView:
    """The progress card's view of a request. A ``failed`` request counts at least one
    failure, so the card never says "Sent" for it."""
    failed = view.failed
    if view.state == "failed" and not failed:
        failed = max(view.total - view.sent, 1)
    return progress.ProgressView(
        request_id=view.request_id,
        sender=view.from_line,
        subject=view.subject,
        total=max(view.total, 1),
        sent=view.sent,
        failed=failed,
        phase=_PHASES.get(view.state, "running"),
        failures=tuple(progress.Failure((who,), why) for who, why in view.failures),
    )


def progress_line(view: ProgressView) -> str:
    """The bulk progress line, e.g. "Sent 137 of 400 · 3 failed · about 9 min left"
    (the ETA as the bot worded it)."""
    line = progress.summary_line(to_progress(view))
    if view.eta_text and view.state not in FINAL_STATES:
        line = f"{line} · {' '.join(view.eta_text.split())[:60]}"
    return line
