"""Lists of send requests (/history, /status, /approvals) and one request's status card."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from microsoft_teams.cards import (
    Action,
    ActionSet,
    AdaptiveCard,
    CardElement,
    Choice,
    ChoiceSetInput,
    Container,
    OpenUrlAction,
)

from bot.i18n import N_, _
from cards import verbs
from cards._parts import (
    bullets,
    execute,
    finish,
    fit,
    heading,
    hint,
    is_web_url,
    labelled,
    request_data,
    run,
    runs,
    text,
)
from cards.blocks import one_line
from cards.sending import progress_line
from cards.views import ProgressView, RequestSummary

CANCELLABLE_STATES = frozenset({"draft", "pending_approval", "approved", "queued"})

STATE_LABELS = {
    "draft": N_("Draft"),
    "pending_approval": N_("Waiting for approval"),
    "approved": N_("Approved"),
    "queued": N_("Queued"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    "unknown": N_("Outcome unknown: check Sent Items"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Cancelled"),
    "expired": N_("Expired"),
}

_ROW_LIMITS = (20, 10, 5)


def state_label(state: str) -> str:
    label = STATE_LABELS.get(state)
    return _(label) if label else one_line(state.replace("_", " ").capitalize(), 40)


def build_list(title: str, rows: Sequence[RequestSummary], empty_text: str) -> dict[str, Any]:
    """One row per request, newest first as given; below them one choice of request with
    "Details" and "Send again" (a button per row would pass the Teams Store's six actions
    per card). The choice's id is ``request``, so it reaches the bot exactly as a button's
    ``{"request": id}`` would; "View" and the rest are on the request's own card."""
    return fit(*(partial(_list, title, rows, empty_text, limit) for limit in _ROW_LIMITS))


def _list(
    title: str, rows: Sequence[RequestSummary], empty_text: str, limit: int
) -> dict[str, Any]:
    body: list[CardElement] = [heading(one_line(title, 200))]
    if not rows:
        body.append(text(one_line(empty_text, 500), spacing="Small"))
    shown = rows[:limit]
    body += [_row(row) for row in shown]
    if len(rows) > limit:
        body.append(hint(_("Showing the first {limit} of {total}.", limit=limit, total=len(rows))))
    if shown:
        body += _pick(shown)
    return finish(AdaptiveCard(body=body))


def _row(row: RequestSummary) -> Container:
    return Container(
        separator=True,
        spacing="Medium",
        items=[
            text(one_line(row.subject, 200) or "(no subject)", weight="Bolder"),
            runs(
                [
                    run(
                        f"{one_line(row.short_id, 40)} · {state_label(row.state)} · "
                        f"{one_line(row.when, 60)}",
                        subtle=True,
                    )
                ],
                spacing="None",
            ),
            labelled(_("From"), one_line(row.from_line, 200), subtle=True, spacing="None"),
            labelled(_("To"), one_line(row.recipients, 200), subtle=True, spacing="None"),
        ],
    )


def _pick(rows: Sequence[RequestSummary]) -> list[CardElement]:
    choices = [
        Choice(
            title=one_line(f"{row.short_id} · {row.subject or _('(no subject)')}", 120),
            value=row.request_id,
        )
        for row in rows
    ]
    return [
        ChoiceSetInput(
            id="request",
            label=_("Request"),
            choices=choices,
            value=rows[0].request_id,
            is_required=True,
            error_message=_("Pick a request."),
            separator=True,
            spacing="Medium",
        ),
        ActionSet(
            actions=[
                execute(_("Details"), verbs.STATUS),
                execute(_("Send again"), verbs.SEND_AGAIN),
            ],
            spacing="Small",
        ),
    ]


def build_status(row: RequestSummary, progress: ProgressView | None) -> dict[str, Any]:
    """One request: its state, its progress when it is being sent, Cancel while it can be
    cancelled (and its version is known), and Refresh."""
    state = progress.state if progress is not None else row.state
    body: list[CardElement] = [
        heading(one_line(row.subject, 300) or _("(no subject)")),
        labelled(_("Request"), one_line(row.short_id, 40), spacing="Small"),
        labelled(_("State"), state_label(state), spacing="None"),
        labelled(_("When"), one_line(row.when, 60), spacing="None"),
        labelled(_("From"), one_line(row.from_line, 300), spacing="None"),
        labelled(_("To"), one_line(row.recipients, 300), spacing="None"),
    ]
    if progress is not None and progress.total > 1:
        body.append(text(progress_line(progress), weight="Bolder", spacing="Medium"))
    if progress is not None and progress.failures:
        body += bullets(
            [f"{who} — {why}" for who, why in progress.failures], limit=10, color="Attention"
        )
    ref = verbs.RequestRef(row.request_id).data()
    actions: list[Action] = [execute(_("Refresh"), verbs.REFRESH, ref)]
    version = progress.version if progress is not None else row.version
    if state in CANCELLABLE_STATES and version is not None:
        actions.append(execute(_("Cancel"), verbs.CANCEL, request_data(row.request_id, version)))
    if row.preview_url and is_web_url(row.preview_url):  # the message as it was sent
        actions.append(OpenUrlAction(title=_("View"), url=row.preview_url))
    if state not in CANCELLABLE_STATES:  # a new request from this one's sender, template …
        actions.append(execute(_("Send again"), verbs.SEND_AGAIN, ref))
    return finish(AdaptiveCard(body=body, actions=actions))
