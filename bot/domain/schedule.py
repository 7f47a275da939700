"""When a message may go: a time the user picked ("Send later") and a sender's send window.

Both are pure: a time the user typed is read in the user's own time zone and checked against
now and the furthest ahead a send may be scheduled; a ``SendWindow`` answers whether a moment
is inside it and, if not, when it next opens. Times leave here as aware UTC datetimes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.i18n import _, format_clock, format_weekday, format_weekday_datetime

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2})?$")


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA zone ``name`` ("Europe/Berlin"), or ``None`` when it is missing or unknown."""
    if not name or len(name) > 64 or ".." in name or name.startswith("/"):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def read_clock_time(raw: str) -> time | None:
    """``"08:00"`` (or ``"08:00:00"``, what Input.Time sends) → ``time``; ``None`` if not one."""
    found = _TIME.match(raw.strip())
    if found is None:
        return None
    hour, minute = int(found.group(1)), int(found.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


# --- "Send later" ------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleProblem:
    """Why a picked time cannot be used: the card input it belongs to, and the message."""

    field: str
    message: str


def _local(zone: ZoneInfo, day: date, at: time) -> datetime:
    # A wall time in a DST gap or fold resolves as zoneinfo does (fold=0); either way it is
    # a real instant, shown back to the user before anything is sent.
    return datetime.combine(day, at, tzinfo=zone)


def resolve_pick(pick: str, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The moment a quick pick means now, in ``zone``; ``None`` for an unknown pick."""
    local = now.astimezone(zone)
    nine = time(9, 0)
    if pick == "in_1h":
        return (now + timedelta(hours=1)).astimezone(UTC)
    if pick == "tomorrow_0900":
        return _local(zone, local.date() + timedelta(days=1), nine).astimezone(UTC)
    if pick == "monday_0900":  # the coming Monday: today, on a Monday before nine
        ahead = (7 - local.weekday()) % 7
        if ahead == 0 and local.time() >= nine:
            ahead = 7
        return _local(zone, local.date() + timedelta(days=ahead), nine).astimezone(UTC)
    return None


def scheduled_time(
    *,
    day: str,
    at: str,
    pick: str,
    zone: ZoneInfo,
    now: datetime,
    max_ahead: timedelta,
) -> datetime | ScheduleProblem:
    """The send time the user asked for, in UTC, or what is wrong with it. A quick pick
    wins over the date and time inputs; a time must be in the future (a minute of slack
    for the click) and no further ahead than ``max_ahead``."""
    if pick:
        when = resolve_pick(pick, zone, now)
        if when is None:
            return ScheduleProblem("pick", _("Pick one of the offered times."))
    else:
        if not _DATE.match(day.strip()):
            return ScheduleProblem("send_date", _("Choose a date."))
        try:
            picked_day = date.fromisoformat(day.strip())
        except ValueError:
            return ScheduleProblem("send_date", _("That is not a date."))
        picked_time = read_clock_time(at)
        if picked_time is None:
            return ScheduleProblem("send_time", _("Choose a time (hours and minutes)."))
        when = _local(zone, picked_day, picked_time).astimezone(UTC)
    if when <= now + timedelta(minutes=1):
        return ScheduleProblem(
            "send_time",
            _("That time has passed ({when}). Pick a later one.", when=describe(when, zone)),
        )
    if when > now + max_ahead:
        days = max_ahead.days or 1
        return ScheduleProblem(
            "send_date", _("A send can be scheduled at most {days} days ahead.", days=days)
        )
    return when


def describe(moment: datetime, zone: ZoneInfo | None) -> str:
    """``"Thu 3 Dec 2026, 09:00 (Europe/Berlin)"``; in UTC without a zone; in the reader's
    language (bot/i18n)."""
    local = moment.astimezone(zone or UTC)
    name = zone.key if zone is not None else "UTC"
    return f"{format_weekday_datetime(local)} ({name})"


# --- send windows ------------------------------------------------------------------------


@dataclass(frozen=True)
class SendWindow:
    """The hours a sender's bulk sends may go out: on ``days`` (0 = Monday) from ``start``
    up to ``end``, wall-clock time in ``zone``. ``start < end`` (no window across midnight)."""

    days: frozenset[int]
    start: time
    end: time
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if not self.days or not self.days <= set(range(7)):
            raise ValueError("a send window needs days from 0 (Monday) to 6")
        if self.start >= self.end:
            raise ValueError("a send window starts before it ends")

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def next_open(self, moment: datetime) -> datetime:
        """``moment`` itself when inside the window, else when the window next opens (UTC)."""
        if self.is_open(moment):
            return moment
        local = moment.astimezone(self.zone)
        for ahead in range(8):
            day = local.date() + timedelta(days=ahead)
            if day.weekday() not in self.days:
                continue
            opens = _local(self.zone, day, self.start)
            if opens > moment:
                return opens.astimezone(UTC)
        raise AssertionError("a window with at least one day opens within a week")

    def summary(self) -> str:
        """``"Mon–Fri 08:00–18:00 (Europe/Berlin)"``; day names and times in the reader's
        language (``"Mo.–Fr. 08:00–18:00 (Europe/Berlin)"``)."""
        hours = f"{format_clock(self.start)}–{format_clock(self.end)}"
        return f"{_days_text(self.days)} {hours} ({self.zone.key})"


def parse_days(raw: str) -> frozenset[int] | None:
    """``"mon-fri"``, ``"mon,wed,fri"``, ``"sat-sun"``, ``"fri-mon"`` (wraps) → weekdays;
    ``None`` when any part is not a day or a range of days."""
    days: set[int] = set()
    for part in raw.lower().replace(" ", "").split(","):
        ends = part.split("-")
        if not part or len(ends) > 2 or any(e not in DAY_NAMES for e in ends):
            return None
        first, last = DAY_NAMES.index(ends[0]), DAY_NAMES.index(ends[-1])
        span = (last - first) % 7
        days.update((first + k) % 7 for k in range(span + 1))
    return frozenset(days)


def _days_text(days: frozenset[int]) -> str:
    ordered = sorted(days)
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{format_weekday(ordered[0])}–{format_weekday(ordered[-1])}"
    return ", ".join(format_weekday(d) for d in ordered)
