"""The result card: the email went out — when, from whom, to whom, what, and the ids an
admin needs to trace it; for the requester, "Send again" (a new request from this one) and
"View" (the message as it was sent)."""

from __future__ import annotations

from typing import Any

from microsoft_teams.cards import Action, AdaptiveCard, CardElement, OpenUrlAction

from bot.i18n import _, n_
from cards import verbs
from cards._parts import execute, finish, heading, is_web_url, labelled, text
from cards.blocks import one_line, people
from cards.views import ResultView

_SHOWN_RECIPIENTS = 10


def build(view: ResultView) -> dict[str, Any]:
    title = (
        _("Sent")
        if view.message_count <= 1
        else n_("Sent {count} message", "Sent {count} messages", view.message_count)
    )
    body: list[CardElement] = [
        heading(title, color="Good"),
        labelled(_("Sent at"), one_line(view.sent_at, 80), spacing="Small"),
        labelled(_("From"), one_line(view.from_line, 300), spacing="None"),
        labelled(_("To"), people(view.to, shown=_SHOWN_RECIPIENTS) or _("nobody"), spacing="None"),
        labelled(_("Subject"), one_line(view.subject, 400) or _("(no subject)"), spacing="None"),
    ]
    if view.reference:
        body.append(labelled(_("Reference"), one_line(view.reference, 20), spacing="None"))
    if view.approval:
        body.append(text(one_line(view.approval, 1200), spacing="Small"))
    ids = _("Mailroom request {id}", id=one_line(view.request_id, 80))
    if view.graph_request_id:
        graph_id = _("Graph request id {id}", id=one_line(view.graph_request_id, 80))
        ids += f" · {graph_id}"
    body.append(text(ids, size="Small", subtle=True, spacing="Medium"))
    actions: list[Action] = []
    if view.can_send_again:
        ref = verbs.RequestRef(view.request_id).data()
        actions.append(execute(_("Send again"), verbs.SEND_AGAIN, ref))
    if view.preview_url and is_web_url(view.preview_url):
        actions.append(OpenUrlAction(title=_("View"), url=view.preview_url))
    return finish(AdaptiveCard(body=body, actions=actions))
