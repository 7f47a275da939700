"""Times on cards: in UTC, or in the user's own zone when Teams told us it, written the way the
user's language writes dates (bot/i18n)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from bot.i18n import format_datetime


def format_time(moment: datetime | None, zone: tzinfo | None = None) -> str:
    """ "26 Nov 2026, 10:00 UTC", or in the user's zone: "26 Nov 2026, 11:00 Europe/Berlin";
    in German "26.11.2026, 10:00 UTC"."""
    if moment is None:
        return ""
    if zone is None:
        return f"{format_datetime(moment.astimezone(UTC))} UTC"
    local = moment.astimezone(zone)
    name = getattr(zone, "key", None) or local.strftime("UTC%z")
    return f"{format_datetime(local)} {name}"
