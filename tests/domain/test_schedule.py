"""Reading a "Send later" time in the user's zone, and send windows: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.schedule import (
    ScheduleProblem,
    SendWindow,
    parse_days,
    resolve_pick,
    scheduled_time,
    zone_named,
)
from cards.verbs import QUICK_PICKS

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 2 December 2026, 10:30 in Berlin (UTC+1).
NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
MONTH = timedelta(days=30)


def when(**kwargs: str) -> datetime | ScheduleProblem:
    given = {"day": "", "at": "", "pick": ""} | kwargs
    return scheduled_time(zone=BERLIN, now=NOW, max_ahead=MONTH, **given)


def test_a_date_and_time_are_read_in_the_users_zone() -> None:
    assert when(day="2026-12-03", at="09:00") == datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def test_input_time_with_seconds_is_accepted() -> None:
    assert when(day="2026-12-03", at="09:00:00") == datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def test_tomorrow_at_nine_is_nine_on_the_users_clock() -> None:
    assert when(pick="tomorrow_0900") == datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def test_monday_at_nine_is_next_monday() -> None:
    assert when(pick="monday_0900") == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def test_on_a_monday_morning_monday_at_nine_is_today() -> None:
    early = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # Monday 07:00 in Berlin
    late = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # Monday 10:00 in Berlin
    assert resolve_pick("monday_0900", BERLIN, early) == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert resolve_pick("monday_0900", BERLIN, late) == datetime(2026, 12, 14, 8, 0, tzinfo=UTC)


def test_every_quick_pick_on_the_card_resolves() -> None:
    for key in QUICK_PICKS:
        resolved = resolve_pick(key, BERLIN, NOW)
        assert resolved is not None
        assert resolved > NOW


def test_a_time_in_the_past_is_refused_saying_so() -> None:
    problem = when(day="2026-12-02", at="10:00")
    assert isinstance(problem, ScheduleProblem)
    assert problem.field == "send_time"
    assert "has passed" in problem.message
    assert "Europe/Berlin" in problem.message


def test_a_time_too_far_ahead_is_refused_with_the_limit() -> None:
    problem = when(day="2027-02-01", at="09:00")
    assert isinstance(problem, ScheduleProblem)
    assert "at most 30 days ahead" in problem.message


@pytest.mark.parametrize(
    ("day", "at", "field"),
    [
        ("", "09:00", "send_date"),
        ("2026-13-40", "09:00", "send_date"),
        ("2026-12-03", "9h", "send_time"),
    ],
)
def test_a_missing_or_malformed_input_names_its_field(day: str, at: str, field: str) -> None:
    problem = when(day=day, at=at)
    assert isinstance(problem, ScheduleProblem)
    assert problem.field == field


def test_an_unknown_pick_is_refused() -> None:
    problem = when(pick="yesterday")
    assert isinstance(problem, ScheduleProblem)
    assert problem.field == "pick"


def test_zones_are_looked_up_and_junk_is_not() -> None:
    assert zone_named("Europe/Berlin") == BERLIN
    assert zone_named("Mars/Olympus") is None
    assert zone_named("../../etc/passwd") is None
    assert zone_named("") is None


WEEKDAYS = SendWindow(frozenset(range(5)), time(8, 0), time(18, 0), BERLIN)


def test_inside_the_window_a_send_goes_now() -> None:
    assert WEEKDAYS.is_open(NOW)
    assert WEEKDAYS.next_open(NOW) == NOW


def test_after_hours_it_waits_for_the_next_morning() -> None:
    evening = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)  # 19:00 in Berlin
    assert not WEEKDAYS.is_open(evening)
    assert WEEKDAYS.next_open(evening) == datetime(2026, 12, 3, 7, 0, tzinfo=UTC)


def test_on_a_friday_evening_it_waits_for_monday() -> None:
    friday = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)  # 18:00 in Berlin: closed
    assert WEEKDAYS.next_open(friday) == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


def test_the_window_follows_summer_time() -> None:
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # clocks go forward on Sunday 29th
    assert WEEKDAYS.next_open(saturday) == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)


def test_days_read_ranges_lists_and_wrapping_ranges() -> None:
    assert parse_days("mon-fri") == frozenset(range(5))
    assert parse_days("mon, wed,fri") == frozenset({0, 2, 4})
    assert parse_days("fri-mon") == frozenset({4, 5, 6, 0})
    assert parse_days("weekdays") is None
    assert parse_days("mon-") is None


def test_the_summary_reads_like_a_sentence() -> None:
    assert WEEKDAYS.summary() == "Mon–Fri 08:00–18:00 (Europe/Berlin)"


def test_only_bulk_sends_are_held_by_a_window() -> None:
    from dataclasses import replace

    from bot.outbox.windows import held_until
    from tests.store.helpers import draft

    evening = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
    single, _ = draft(evening)
    bulk = replace(single, is_bulk=True, message_count=3)

    assert held_until(single, WEEKDAYS, evening) is None
    assert held_until(bulk, WEEKDAYS, evening) == datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
    assert held_until(bulk, WEEKDAYS, NOW) is None
    assert held_until(bulk, None, evening) is None
