"""The progress card of a send: updated in place while messages go out, then the summary.

While running: "Sent 137 of 400 · 3 failed · about 9 min left" and a Cancel button
(verb ``send.cancel``). At the end: what went out, every failed recipient with the reason,
and "Retry failed" (verb ``send.retry_failed``) when something failed. Both verbs carry
``{"request": ...}`` (verbs in ``cards/verbs.py``); the handler re-checks everything server-side.

A single send uses the same card with simpler words: "Sending…", then "Sent" or "Not sent".
User-supplied text (sender address, subject, recipients) only ever goes into ``TextRun``s
(``plain_text``), never into markdown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from microsoft_teams.cards import AdaptiveCard, ExecuteAction, OpenUrlAction, TextBlock

from cards import verbs
from cards._common import plain_text, to_json

RETRY_FAILED_VERB = verbs.RETRY_FAILED
CANCEL_VERB = verbs.CANCEL
MAX_FAILURES_SHOWN = 20
MAX_RESULTS_SHOWN = 20
MAX_TEXT = 200

Phase = Literal["waiting", "running", "done", "cancelled", "expired", "rejected"]


@dataclass(frozen=True)
class Failure:
    """One message that was not sent: to whom, and why (an explanation title)."""

    recipients: tuple[str, ...]
    reason: str
    code: str | None = None


@dataclass(frozen=True)
class Result:
    """One message of a finished bulk send: to whom, what became of it, and why."""

    recipients: tuple[str, ...]
    result: str  # sent | not sent | cancelled | unknown | not sent yet
    reason: str = ""


@dataclass(frozen=True)
class ProgressView:
    request_id: str
    sender: str
    subject: str
    total: int
    sent: int
    failed: int = 0
    cancelled: int = 0
    phase: Phase = "running"
    eta_seconds: float | None = None
    failures: Sequence[Failure] = field(default_factory=tuple)
    recipients: tuple[str, ...] = ()
    """For a single send: who it goes to (shown on the card)."""
    unknown: int = 0
    """Messages whose fate Mailroom could not learn (never resent, never counted as sent)."""
    check_mailbox: str | None = None
    """Whose Sent Items tell whether those went out."""
    reference: str = ""
    """The short reference people type ("MR-7F3K")."""
    results: Sequence[Result] = field(default_factory=tuple)
    """A finished bulk send's messages in row order (the first ``MAX_RESULTS_SHOWN``)."""
    results_url: str | None = None
    """The signed link to every recipient's result as CSV."""
    quota_resumes_at: str | None = None
    """Messages wait for the sender's recipients per day: when the next may go."""
    recipients_per_day: int | None = None
    scheduled_for: str | None = None
    """A "Send later" request still waiting: when it goes ("Thu 3 Dec 2026, 09:00 (…)")."""
    window_note: str | None = None
    """A bulk send held outside its sender's send window: the window and when it reopens."""

    @property
    def single(self) -> bool:
        return self.total == 1


def eta_text(seconds: float | None) -> str | None:
    """ "about 9 min left", "less than a minute left", "about 2 h 5 min left"."""
    if seconds is None or seconds < 0 or not math.isfinite(seconds):
        return None
    if seconds < 60:
        return "less than a minute left"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min left"
    hours, rest = divmod(minutes, 60)
    return f"about {hours} h {rest} min left" if rest else f"about {hours} h left"


def summary_line(view: ProgressView) -> str:
    """ "Sent 137 of 400 · 3 failed · about 9 min left"."""
    parts = [f"Sent {view.sent} of {view.total}"]
    if view.failed:
        parts.append(f"{view.failed} failed")
    if view.cancelled:
        parts.append(f"{view.cancelled} cancelled")
    if view.unknown:
        parts.append(f"{view.unknown} unknown")
    if view.phase in ("waiting", "running"):
        eta = eta_text(view.eta_seconds)
        if eta is not None:
            parts.append(eta)
    return " · ".join(parts)


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _title(view: ProgressView) -> tuple[str, str]:
    """The heading and its colour."""
    if view.phase == "expired":
        return "Request expired: nothing was sent", "Warning"
    if view.phase == "rejected":
        return "Request rejected: nothing was sent", "Attention"
    if view.phase == "cancelled":
        return ("Send cancelled" if view.single else "Bulk send cancelled"), "Warning"
    if view.phase == "done":
        if view.unknown and not view.failed:
            return ("Outcome unknown" if view.single else "Bulk send finished, some unknown"), (
                "Warning"
            )
        if view.failed == 0:
            return ("Sent" if view.single else "Bulk send finished"), "Good"
        if view.single:
            return "Not sent", "Attention"
        return "Bulk send finished with failures", "Attention"
    if view.phase == "waiting" and view.scheduled_for:
        return "Scheduled", "Accent"
    if view.phase == "waiting":
        return ("Sending…" if view.single else "Bulk send queued"), "Default"
    return ("Sending…" if view.single else "Bulk send in progress"), "Default"


def build(view: ProgressView) -> dict[str, Any]:
    title, colour = _title(view)
    body: list[Any] = [
        TextBlock(text=title, size="Large", weight="Bolder", color=colour, wrap=True)
    ]
    body.append(plain_text(_clip(f"From {view.sender}"), subtle=True))
    body.append(plain_text(_clip(f"Subject: {view.subject}"), subtle=True))
    if view.reference:
        body.append(plain_text(_clip(f"Reference: {view.reference}"), subtle=True))
    if view.single and view.recipients:
        body.append(plain_text(_clip(f"To: {', '.join(view.recipients)}"), subtle=True))
    if view.scheduled_for and view.phase == "waiting":
        body.append(plain_text(_clip(f"Goes out {view.scheduled_for}")))
    if view.window_note and view.phase in ("waiting", "running"):
        body.append(plain_text(_clip(view.window_note)))
    if not view.single or view.phase not in ("running", "waiting"):
        body.append(TextBlock(text=summary_line(view), wrap=True, spacing="Medium"))
    body += _results(view) if view.results else _failures(view)
    if view.unknown:
        where = view.check_mailbox or view.sender
        body.append(
            plain_text(_clip(
                f"Whether {'it' if view.single else f'{view.unknown} of them'} went out is "
                f"unknown: check the Sent Items of {where} before sending again."
            ))
        )  # fmt: skip
    if view.phase in ("waiting", "running") and view.quota_resumes_at is not None:
        limit = f" ({view.recipients_per_day:,} a day)" if view.recipients_per_day else ""
        body.append(
            plain_text(_clip(
                f"{view.sender} has reached Exchange's recipient limit{limit}: the rest go "
                f"out from {view.quota_resumes_at}, as the limit allows."
            ))
        )  # fmt: skip
    if view.phase in ("waiting", "running"):
        body.append(
            TextBlock(
                text="This card updates as messages go out.",
                wrap=True,
                is_subtle=True,
                size="Small",
            )
        )
    card = AdaptiveCard(body=body, actions=_actions(view))
    return to_json(card)


def _failures(view: ProgressView) -> list[Any]:
    if not view.failures:
        return []
    blocks: list[Any] = [
        TextBlock(text="Not sent", weight="Bolder", wrap=True, spacing="Medium"),
    ]
    for failure in view.failures[:MAX_FAILURES_SHOWN]:
        who = ", ".join(failure.recipients) or "(no recipients)"
        blocks.append(plain_text(_clip(f"{who} — {failure.reason}")))
    hidden = max(view.failed, len(view.failures)) - MAX_FAILURES_SHOWN
    if hidden > 0:
        blocks.append(
            TextBlock(
                text=f"and {hidden} more (`mailroom audit` lists every message)",
                wrap=True,
                is_subtle=True,
            )
        )
    return blocks


def _results(view: ProgressView) -> list[Any]:
    """Every recipient's result, row by row (the first ``MAX_RESULTS_SHOWN``; the CSV has
    them all)."""
    blocks: list[Any] = [
        TextBlock(text="Recipients", weight="Bolder", wrap=True, spacing="Medium"),
    ]
    for result in view.results[:MAX_RESULTS_SHOWN]:
        who = ", ".join(result.recipients) or "(no recipients)"
        line = f"{who} — {result.result}" + (f": {result.reason}" if result.reason else "")
        blocks.append(plain_text(_clip(line)))
    hidden = view.total - min(len(view.results), MAX_RESULTS_SHOWN)
    if hidden > 0:
        where = "in the results CSV" if view.results_url else "in `mailroom audit`"
        blocks.append(TextBlock(text=f"and {hidden} more {where}", wrap=True, is_subtle=True))
    return blocks


def _actions(view: ProgressView) -> list[Any]:
    data = verbs.RequestRef(view.request_id).data()
    if view.phase in ("waiting", "running"):
        return [ExecuteAction(title="Cancel", verb=CANCEL_VERB, data=data, style="destructive")]
    actions: list[Any] = []
    if view.phase == "done" and view.failed:
        title = "Retry" if view.single else "Retry failed"
        actions.append(
            ExecuteAction(title=title, verb=RETRY_FAILED_VERB, data=data, style="positive")
        )
    if view.results_url and view.results_url.startswith(("https://", "http://")):
        actions.append(OpenUrlAction(title="Download results (CSV)", url=view.results_url))
    return actions
