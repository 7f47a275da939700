"""The approval card: one card, a view per person (Teams Universal Actions user-specific views).

``refresh.userIds`` lists the approvers and the requester, so Teams asks the bot (verb
``REFRESH``) for each one's own view: approvers see Approve / Reject while the request is
pending, the requester sees the status and Cancel, and once decided everyone sees the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from microsoft_teams.cards import (
    Action,
    AdaptiveCard,
    CardElement,
    Container,
    ExecuteAction,
    OpenUrlAction,
    RefreshDefinition,
    TextColor,
    TextInput,
)

from bot.i18n import N_, _, format_number, n_
from cards import verbs
from cards._common import MAX_COMMENT, whole_numbers
from cards._parts import (
    bullets,
    execute,
    finish,
    fit,
    heading,
    hint,
    is_web_url,
    labelled,
    outside_warning,
    paragraphs,
    request_data,
    section,
    text,
)
from cards.blocks import one_line, people
from cards.views import ApprovalView

MAX_REFRESH_USERS = 60  # Teams' limit for refresh.userIds
COMMENT_MAX_LENGTH = MAX_COMMENT

_TITLES: dict[str, tuple[str, TextColor | None]] = {
    "pending_approval": (N_("Approval needed"), None),
    "approved": (N_("Approved"), "Good"),
    "queued": (N_("Approved"), "Good"),
    "sending": (N_("Approved, sending"), "Good"),
    "sent": (N_("Approved and sent"), "Good"),
    "failed": (N_("Approved, but sending failed"), "Attention"),
    "rejected": (N_("Rejected"), "Attention"),
    "cancelled": (N_("Cancelled by the requester"), None),
    "expired": (N_("Expired without a decision"), "Attention"),
}


@dataclass(frozen=True)
class _Limits:
    recipients: int
    body_chars: int
    body_lines: int


_LIMITS = (_Limits(5, 600, 12), _Limits(3, 300, 6), _Limits(2, 150, 3))


def build(view: ApprovalView) -> dict[str, Any]:
    return fit(*(partial(_build, view, limits) for limits in _LIMITS))


def _build(view: ApprovalView, limits: _Limits) -> dict[str, Any]:
    if view.replaced_by:
        return _replaced(view, limits)
    pending = view.state == "pending_approval"
    title, colour = _TITLES.get(view.state, (view.state.replace("_", " ").capitalize(), None))
    body: list[CardElement] = [heading(_(title), color=colour)]
    body += _summary(view, limits)
    if view.reasons:
        body += [section(_("Why approval is needed")), *bullets(view.reasons, limit=5)]
    if view.approvers and view.viewer_role == "requester":
        body.append(labelled(_("Who can approve"), one_line(view.approvers, 300), spacing="Small"))
    actions: list[Action] = []
    data = request_data(view.request_id, view.version)
    if not pending:
        body.append(_outcome(view, colour))
        if view.state == "rejected" and view.viewer_role == "requester":
            body.append(hint(_("Edit it and ask again: the new request needs a new approval.")))
            actions.append(execute(_("Edit and resubmit"), verbs.RESUBMIT, data, style="positive"))
    elif view.viewer_role == "approver":
        comment = TextInput(
            id="comment", label=_("Comment (optional)"), is_multiline=True, spacing="Medium"
        )
        body.append(whole_numbers(comment, max_length=COMMENT_MAX_LENGTH))
        actions += [
            execute(_("Approve"), verbs.APPROVE, data, style="positive"),
            execute(_("Reject"), verbs.REJECT, data, style="destructive"),
        ]
    elif view.viewer_role == "requester":
        body.append(
            text(_("Waiting for approval. You can cancel while it waits."), spacing="Medium")
        )
        actions.append(execute(_("Cancel request"), verbs.CANCEL, data))
    else:
        body.append(text(_("Waiting for approval."), spacing="Medium"))
    if view.viewer_role == "requester" and view.asking_approvers:
        body.append(
            text(n_("Asking {count} approver…", "Asking {count} approvers…", view.asking_approvers))
        )
    if view.viewer_role == "requester" and view.approvers_in_teams:
        got = ", ".join(view.approvers_in_teams)
        body.append(text(_("Got this card in Teams: {approvers}", approvers=got)))
    if view.viewer_role == "requester" and view.unreachable_approvers:
        body += [
            section(_("Approvers who did not get this card in Teams")),
            *bullets(view.unreachable_approvers, limit=10),
            hint(
                _(
                    "Mailroom could not open a chat with them (not allowed to install itself for "
                    "them, or they blocked it). Those emailed got a link to open the request."
                )
            ),
        ]
    if view.preview_url and is_web_url(view.preview_url):
        actions.append(OpenUrlAction(title=_("View full preview"), url=view.preview_url))
    card = AdaptiveCard(body=body, actions=actions or None, refresh=_refresh(view))
    return finish(card)


def _replaced(view: ApprovalView, limits: _Limits) -> dict[str, Any]:
    """An old request an edited one replaced: what it was and became, and nothing to click
    but its preview; the new request is decided on its own card."""
    body: list[CardElement] = [heading(_("Replaced by {reference}", reference=view.replaced_by))]
    body += _summary(view, limits)
    body.append(_outcome(view, None))
    body.append(
        text(
            _(
                "The requester edited this request and sent it again as {reference}. That "
                "request needs its own approval; this one can no longer be decided.",
                reference=view.replaced_by,
            ),
            spacing="Medium",
        )
    )
    actions: list[Action] = []
    if view.preview_url and is_web_url(view.preview_url):
        actions.append(OpenUrlAction(title=_("View full preview"), url=view.preview_url))
    return finish(AdaptiveCard(body=body, actions=actions or None, refresh=_refresh(view)))


def _summary(view: ApprovalView, limits: _Limits) -> list[CardElement]:
    sample = view.recipients_sample[: limits.recipients]
    listed = people(sample, shown=len(sample))
    more = view.recipient_count - len(sample)
    if more > 0:
        more_text = format_number(more)
        listed = (
            _("{listed} and {more} more", listed=listed, more=more_text) if listed else more_text
        )
    recipients = n_("{count} recipient", "{count} recipients", view.recipient_count)
    elements: list[CardElement] = [
        labelled(_("Requested by"), one_line(view.requester, 200), spacing="Small"),
        labelled(_("From"), one_line(view.from_line, 300), spacing="None"),
        labelled(_("To"), f"{recipients}: {listed}" if listed else recipients, spacing="None"),
    ]
    if view.external_recipients:
        elements.append(outside_warning(people(view.external_recipients, shown=limits.recipients)))
    elements.append(
        labelled(_("Subject"), one_line(view.subject, 300) or _("(no subject)"), spacing="None")
    )
    if view.reference:
        elements.append(labelled(_("Reference"), one_line(view.reference, 20), spacing="None"))
    lines = paragraphs(view.text_body, max_chars=limits.body_chars, max_lines=limits.body_lines)
    if lines:
        elements.append(Container(items=[*lines], style="emphasis", spacing="Medium"))
    return elements


def _outcome(view: ApprovalView, colour: TextColor | None) -> CardElement:
    default = _(_TITLES.get(view.state, (view.state, None))[0])
    outcome = one_line(view.outcome or default, 1200)
    return text(outcome, weight="Bolder", color=colour, spacing="Medium")


def _refresh(view: ApprovalView) -> RefreshDefinition | None:
    if not view.refresh_user_ids:
        return None
    return RefreshDefinition(
        action=ExecuteAction(
            title=_("Refresh"), verb=verbs.REFRESH, data=verbs.RequestRef(view.request_id).data()
        ),
        user_ids=list(view.refresh_user_ids[:MAX_REFRESH_USERS]),
    )
