"""The card for each result of a flow step: compose, preview, a refusal, an out-of-date
card, or a request (``RequestViews`` → ``request_card``)."""

from __future__ import annotations

from typing import Any

from bot.domain.approvals import Viewer
from bot.domain.send_request import SendRequest
from bot.domain.senders import Policy
from bot.flow.preview_links import PreviewLinks
from bot.flow.send_flow import Compose, Preview, Refused, Stale
from bot.rendering import TemplateCatalog
from bot.teams.request_views import RequestViews
from bot.teams.views import compose_view, explanation_view, preview_view
from cards import compose as compose_card
from cards import explanation as explanation_card
from cards import notice as notice_card
from cards import preview as preview_card
from cards import verbs

Card = dict[str, Any]
Step = Compose | Preview | Refused | Stale | SendRequest


class StepCards:
    def __init__(
        self,
        catalog: TemplateCatalog,
        policy: Policy,
        links: PreviewLinks,
        requests: RequestViews,
    ) -> None:
        self._catalog = catalog
        self._policy = policy
        self._links = links
        self.requests = requests

    async def of(self, step: Step, viewer: Viewer = "requester") -> Card:
        """``viewer``: whose view a request gets (the approver's, after a decision)."""
        if isinstance(step, Compose):
            return self.compose(step)
        if isinstance(step, Preview):
            url = self._links.url(step.request.id)
            return preview_card.build(preview_view(step, self._policy, url))
        if isinstance(step, Refused):
            return self.refused(step)
        if isinstance(step, Stale):
            if step.request is not None:
                return await self.requests.card(step.request, viewer)
            return notice_card.build(
                "This card is out of date", "Start again with /send.", retry_verb=verbs.SEND_START
            )
        return await self.requests.card(step, viewer)

    def compose(self, step: Compose) -> Card:
        return compose_card.build(compose_view(step, self._catalog))

    @staticmethod
    def refused(refused: Refused) -> Card:
        return explanation_card.build(explanation_view(refused))
