"""What the outbox worker shows on a request's cards as it goes (``CardRenderer``): the
request card (``request_card``) for the card's viewer, with the worker's progress."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.approvals import Viewer
from bot.outbox.progress import RequestProgress
from bot.store.records import CardRef, CardRole
from bot.teams.request_card import Shown, request_card


def render_card(progress: RequestProgress, card: CardRef | None) -> Mapping[str, Any] | None:
    viewer: Viewer = (
        "approver" if card is not None and card.role is CardRole.APPROVER else ("requester")
    )
    return request_card(Shown(progress.request, progress=progress), viewer)
