"""Times on cards: in UTC, or in the user's own zone when Teams told us it."""

from __future__ import annotations

from datetime import datetime, tzinfo

_TIME_FORMAT = "%d %b %Y, %H:%M UTC"
_LOCAL_FORMAT = "%d %b %Y, %H:%M"


def format_time(moment: datetime | None, zone: tzinfo | None = None) -> str:
    """ "26 Nov 2026, 10:00 UTC", or in the user's zone: "26 Nov 2026, 11:00 Europe/Berlin"."""
    if moment is None:
        return ""
    if zone is None:
        return moment.strftime(_TIME_FORMAT)
    local = moment.astimezone(zone)
    name = getattr(zone, "key", None) or local.strftime("UTC%z")
    return f"{local.strftime(_LOCAL_FORMAT)} {name}"
