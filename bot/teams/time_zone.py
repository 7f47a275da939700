"""The user's time zone, as Teams tells it with each activity.

Teams puts the client's IANA zone in the activity's ``clientInfo`` entity (``timezone``,
e.g. ``Europe/Berlin``; the Agents SDK's ``ClientInfo`` entity: locale, country, platform,
timezone) and in ``localTimezone``; ``localTimestamp`` carries the client's clock with its
UTC offset (docs/platform.md, "The user's time zone"). The first of these that names a
zone wins: a zone name through ``zoneinfo`` (daylight saving included), else the fixed
offset of ``localTimestamp``. A name ``zoneinfo`` does not know is ignored, never guessed.
Nothing at all: None, and times are UTC.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from microsoft_agents.activity import Activity

_MAX_NAME = 64
_MAX_OFFSET = timedelta(hours=14)


def user_zone(activity: Activity) -> tzinfo | None:
    for name in (*_client_info_zones(activity), activity.local_timezone):
        zone = _named(name)
        if zone is not None:
            return zone
    return _offset_of(activity.local_timestamp)


def _client_info_zones(activity: Activity) -> list[Any]:
    found = []
    for entity in activity.entities or []:
        data = entity.model_dump() if hasattr(entity, "model_dump") else entity
        if isinstance(data, dict) and data.get("type") == "clientInfo":
            found.append(data.get("timezone"))
    return found


def _named(name: object) -> tzinfo | None:
    if not isinstance(name, str) or not name or len(name) > _MAX_NAME:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # ValueError: a path-like name
        return None


def _offset_of(moment: object) -> tzinfo | None:
    if not isinstance(moment, datetime):
        return None
    offset = moment.utcoffset()
    if offset is None or abs(offset) > _MAX_OFFSET:
        return None
    return timezone(offset)
