"""One line per request for lists (/history, /approvals, /status with several matches)."""

from __future__ import annotations

from datetime import tzinfo

from bot.domain.references import reference_of
from bot.domain.schedule import describe, zone_named
from bot.domain.send_request import SendRequest, SendState
from bot.i18n import _
from bot.teams.times import format_time
from cards.views import RequestSummary


def summary(
    request: SendRequest, zone: tzinfo | None = None, preview_url: str | None = None
) -> RequestSummary:
    everyone = request.recipients.all()
    shown = everyone[0] if everyone else _("nobody")
    if len(everyone) > 1:
        shown = _("{listed} and {more} more", listed=shown, more=len(everyone) - 1)
    return RequestSummary(
        request_id=request.id,
        short_id=reference_of(request.id),
        state=request.state.value,
        from_line=request.sender_address,
        subject=request.subject,
        recipients=shown,
        when=_when(request, zone),
        preview_url=preview_url,
    )


def _when(request: SendRequest, zone: tzinfo | None) -> str:
    """When it last moved — or, for a scheduled send still waiting, when it will go."""
    if request.send_at is not None and request.state is SendState.QUEUED:
        when = describe(request.send_at, zone_named(request.send_zone))
        return _("goes out {when}", when=when)
    return format_time(request.updated_at, zone)
