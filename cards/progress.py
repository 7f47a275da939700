"""The progress card of a send: updated in place while messages go out, then the summary.

While running: "Sent 137 of 400 · 3 failed · about 9 min left" and a Cancel button
(verb ``send.cancel``). At the end: what went out, every failed recipient with the reason,
and "Retry failed" (verb ``send.retry_failed``) when something failed. Both verbs carry
``{"request": ...}`` (verbs in ``cards/verbs.py``); the handler re-checks everything server-side.

A single send uses the same card with simpler words: "Sending…", then "Sent" or "Not sent".
User-supplied text (sender address, subject, recipients) only ever goes into ``TextRun``s
(``cards._parts.text``), never into markdown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from microsoft_teams.cards import AdaptiveCard, ExecuteAction, OpenUrlAction, TextBlock

from bot.i18n import _, format_number
from cards import verbs
from cards._common import to_json
from cards._parts import text

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
        return _("less than a minute left")
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return _("about {minutes} min left", minutes=minutes)
    hours, rest = divmod(minutes, 60)
    if rest:
        return _("about {hours} h {minutes} min left", hours=hours, minutes=rest)
    return _("about {hours} h left", hours=hours)


def summary_line(view: ProgressView) -> str:
    """ "Sent 137 of 400 · 3 failed · about 9 min left"."""
    number = format_number
    parts = [_("Sent {sent} of {total}", sent=number(view.sent), total=number(view.total))]
    if view.failed:
        parts.append(_("{count} failed", count=number(view.failed)))
    if view.cancelled:
        parts.append(_("{count} cancelled", count=number(view.cancelled)))
    if view.unknown:
        parts.append(_("{count} unknown", count=number(view.unknown)))
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
        return _("Request expired: nothing was sent"), "Warning"
    if view.phase == "rejected":
        return _("Request rejected: nothing was sent"), "Attention"
    if view.phase == "cancelled":
        return (_("Send cancelled") if view.single else _("Bulk send cancelled")), "Warning"
    if view.phase == "done":
        if view.unknown and not view.failed:
            unknown = _("Outcome unknown") if view.single else _("Bulk send finished, some unknown")
            return unknown, "Warning"
        if view.failed == 0:
            return (_("Sent") if view.single else _("Bulk send finished")), "Good"
        if view.single:
            return _("Not sent"), "Attention"
        return _("Bulk send finished with failures"), "Attention"
    if view.phase == "waiting" and view.scheduled_for:
        return _("Scheduled"), "Accent"
    if view.phase == "waiting":
        return (_("Sending…") if view.single else _("Bulk send queued")), "Default"
    return (_("Sending…") if view.single else _("Bulk send in progress")), "Default"


def build(view: ProgressView) -> dict[str, Any]:
    title, colour = _title(view)
    body: list[Any] = [
        TextBlock(text=title, size="Large", weight="Bolder", color=colour, wrap=True)
    ]
    body.append(text(_clip(_("From {sender}", sender=view.sender)), subtle=True))
    body.append(text(_clip(_("Subject: {subject}", subject=view.subject)), subtle=True))
    if view.reference:
        reference = _("Reference: {reference}", reference=view.reference)
        body.append(text(_clip(reference), subtle=True))
    if view.single and view.recipients:
        to = _("To: {recipients}", recipients=", ".join(view.recipients))
        body.append(text(_clip(to), subtle=True))
    if view.scheduled_for and view.phase == "waiting":
        body.append(text(_clip(_("Goes out {when}", when=view.scheduled_for))))
    if view.window_note and view.phase in ("waiting", "running"):
        body.append(text(_clip(view.window_note)))
    if not view.single or view.phase not in ("running", "waiting"):
        body.append(TextBlock(text=summary_line(view), wrap=True, spacing="Medium"))
    body += _results(view) if view.results else _failures(view)
    if view.unknown:
        where = view.check_mailbox or view.sender
        body.append(
            text(_clip(
                _("Whether it went out is unknown: check the Sent Items of {mailbox} before "
                  "sending again.", mailbox=where)
                if view.single
                else _("Whether {count} of them went out is unknown: check the Sent Items of "
                       "{mailbox} before sending again.",
                       count=format_number(view.unknown), mailbox=where)
            ))
        )  # fmt: skip
    if view.phase in ("waiting", "running") and view.quota_resumes_at is not None:
        body.append(
            text(_clip(
                _("{sender} has reached Exchange's recipient limit ({limit} a day): the rest "
                  "go out from {when}, as the limit allows.", sender=view.sender,
                  limit=format_number(view.recipients_per_day), when=view.quota_resumes_at)
                if view.recipients_per_day
                else _("{sender} has reached Exchange's recipient limit: the rest go out from "
                       "{when}, as the limit allows.", sender=view.sender,
                       when=view.quota_resumes_at)
            ))
        )  # fmt: skip
    if view.phase in ("waiting", "running"):
        body.append(
            TextBlock(
                text=_("This card updates as messages go out."),
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
        TextBlock(text=_("Not sent"), weight="Bolder", wrap=True, spacing="Medium"),
    ]
    for failure in view.failures[:MAX_FAILURES_SHOWN]:
        who = ", ".join(failure.recipients) or _("(no recipients)")
        blocks.append(text(_clip(f"{who} — {failure.reason}")))
    hidden = max(view.failed, len(view.failures)) - MAX_FAILURES_SHOWN
    if hidden > 0:
        blocks.append(
            TextBlock(
                text=_("and {count} more (`mailroom audit` lists every message)", count=hidden),
                wrap=True,
                is_subtle=True,
            )
        )
    return blocks


def _results(view: ProgressView) -> list[Any]:
    """Every recipient's result, row by row (the first ``MAX_RESULTS_SHOWN``; the CSV has
    them all)."""
    blocks: list[Any] = [
        TextBlock(text=_("Recipients"), weight="Bolder", wrap=True, spacing="Medium"),
    ]
    for result in view.results[:MAX_RESULTS_SHOWN]:
        who = ", ".join(result.recipients) or _("(no recipients)")
        line = f"{who} — {_(result.result)}" + (f": {result.reason}" if result.reason else "")
        blocks.append(text(_clip(line)))
    hidden = view.total - min(len(view.results), MAX_RESULTS_SHOWN)
    if hidden > 0:
        more = (
            _("and {count} more in the results CSV", count=hidden)
            if view.results_url
            else _("and {count} more in `mailroom audit`", count=hidden)
        )
        blocks.append(TextBlock(text=more, wrap=True, is_subtle=True))
    return blocks


def _actions(view: ProgressView) -> list[Any]:
    data = verbs.RequestRef(view.request_id).data()
    if view.phase in ("waiting", "running"):
        return [ExecuteAction(title=_("Cancel"), verb=CANCEL_VERB, data=data, style="destructive")]
    actions: list[Any] = []
    if view.phase == "done" and view.failed:
        title = _("Retry") if view.single else _("Retry failed")
        actions.append(
            ExecuteAction(title=title, verb=RETRY_FAILED_VERB, data=data, style="positive")
        )
    if view.results_url and view.results_url.startswith(("https://", "http://")):
        actions.append(OpenUrlAction(title=_("Download results (CSV)"), url=view.results_url))
    return actions
