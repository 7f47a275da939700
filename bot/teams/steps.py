"""The card for each result of a flow step: compose, preview, a refusal, an out-of-date
card, or a request (``RequestViews`` → ``request_card``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.domain.approvals import Viewer
from bot.domain.references import reference_of
from bot.domain.send_request import SendRequest, SendState
from bot.domain.senders import Policy
from bot.flow.preview_links import PreviewLinks
from bot.flow.send_flow import Compose, NotCancelled, Preview, Refused, Stale
from bot.i18n import N_, _
from bot.rendering import TemplateCatalog
from bot.teams.request_views import RequestViews
from bot.teams.views import compose_view, explanation_view, preview_view
from cards import compose as compose_card
from cards import explanation as explanation_card
from cards import notice as notice_card
from cards import preview as preview_card
from cards import verbs

Card = dict[str, Any]
Step = Compose | Preview | Refused | Stale | SendRequest | NotCancelled


class StepCards:
    def __init__(
        self,
        catalog: TemplateCatalog,
        policy: Policy,
        links: PreviewLinks,
        requests: RequestViews,
        *,
        privacy_threshold: int = 10,
    ) -> None:
        self._catalog = catalog
        self._privacy_threshold = privacy_threshold
        self._policy = policy
        self._links = links
        self.requests = requests

    @property
    def catalog(self) -> TemplateCatalog:
        return self._catalog

    @property
    def links(self) -> PreviewLinks:
        return self._links

    async def of(self, step: Step, viewer: Viewer = "requester") -> Card:
        """``viewer``: whose view a request gets (the approver's, after a decision)."""
        if isinstance(step, Compose):
            return self.compose(step)
        if isinstance(step, Preview):
            url = self._links.url(step.request.id)
            view = preview_view(step, self._policy, url, self._privacy_threshold)
            if view.needs_approval:
                view = replace(view, approvers=await self.requests.who_approves(step.request))
            return preview_card.build(view)
        if isinstance(step, Refused):
            return self.refused(step)
        if isinstance(step, NotCancelled):
            return not_cancelled_card(step.request)
        if isinstance(step, Stale):
            if step.request is not None:
                return await self.requests.card(step.request, viewer)
            return notice_card.build(
                _("This card is out of date"),
                _("Start again with /send."),
                retry_verb=verbs.SEND_START,
            )
        return await self.requests.card(step, viewer)

    def compose(self, step: Compose) -> Card:
        return compose_card.build(compose_view(step, self._catalog))

    @staticmethod
    def refused(refused: Refused) -> Card:
        return explanation_card.build(explanation_view(refused))


# Why a request could not be cancelled, by the state it had already reached.
_TOO_LATE: dict[SendState, tuple[str, str]] = {
    SendState.SENT: (
        N_("Already sent: nothing was cancelled"),
        N_("This request had already been sent. A sent email can't be called back from Mailroom."),
    ),
    SendState.SENDING: (
        N_("Already being sent: nothing was cancelled"),
        N_(
            "Mailroom had already started sending it; what Exchange has accepted can't be called "
            "back. Its card shows how far it got."
        ),
    ),
    SendState.FAILED: (
        N_("Already finished: nothing was cancelled"),
        N_(
            "This request had already ended with failures; nothing more will be sent unless you "
            "retry it."
        ),
    ),
    SendState.UNKNOWN: (
        N_("Already handed to Exchange: nothing was cancelled"),
        N_("Mailroom could not confirm whether it went out; it will not send it again."),
    ),
    SendState.CANCELLED: (
        N_("Already cancelled"),
        N_("It was cancelled before; nothing was sent."),
    ),
    SendState.REJECTED: (N_("Already rejected"), N_("An approver rejected it; nothing was sent.")),
    SendState.EXPIRED: (N_("Already expired"), N_("Nobody approved it in time; nothing was sent.")),
}


def not_cancelled_card(request: SendRequest) -> Card:
    title, why = _TOO_LATE.get(
        request.state, (N_("Nothing was cancelled"), N_("This request can no longer be cancelled."))
    )
    subject = request.subject if len(request.subject) <= 120 else request.subject[:117] + "..."
    return notice_card.build(
        _(title),
        f"“{subject}” ({reference_of(request.id)}).\n{_(why)}",
        retry_verb=verbs.STATUS,
        data={"request": request.id},
        action_title=_("Show its status"),
    )
