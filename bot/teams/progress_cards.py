"""What the outbox worker shows on a request's cards as it goes (``CardRenderer``): the
request card (``request_card``) for the card's viewer, with the worker's progress."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.approvals import Viewer
from bot.flow.preview_links import PreviewLinks
from bot.outbox.progress import CardRenderer, RequestProgress
from bot.store.records import CardRef, CardRole
from bot.teams.request_card import Shown, request_card


def card_renderer(links: PreviewLinks | None) -> CardRenderer:
    """The renderer, with ``links`` to sign a finished bulk request's results link."""

    def render(progress: RequestProgress, card: CardRef | None) -> Mapping[str, Any] | None:
        return render_card(progress, card, links)

    return render


def render_card(
    progress: RequestProgress, card: CardRef | None, links: PreviewLinks | None = None
) -> Mapping[str, Any] | None:
    viewer: Viewer = (
        "approver" if card is not None and card.role is CardRole.APPROVER else ("requester")
    )
    url = links.results_url(progress.request.id) if links and progress.results else None
    return request_card(Shown(progress.request, progress=progress, results_url=url), viewer)
