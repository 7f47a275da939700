"""When a message may go under Exchange's recipients per 24 hours: at once while the window
has room, else when enough of the oldest counted recipients have left it; never when the
message alone has more recipients than the limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.recipient_quota import WINDOW, fits_at, schedule, used

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_a_message_fits_while_the_window_has_room() -> None:
    counted = [(T0, 6), (T0 + HOUR, 3)]
    now = T0 + 2 * HOUR
    assert used(counted, now) == 9
    assert fits_at(counted, 1, 10, now) == now


def test_past_the_limit_it_fits_when_the_oldest_recipients_leave_the_window() -> None:
    counted = [(T0, 6), (T0 + HOUR, 3)]
    now = T0 + 2 * HOUR
    assert fits_at(counted, 2, 10, now) == T0 + WINDOW
    assert fits_at(counted, 5, 10, now) == T0 + WINDOW
    assert fits_at(counted, 8, 10, now) == T0 + HOUR + WINDOW


def test_a_message_larger_than_the_limit_never_fits() -> None:
    assert fits_at([], 11, 10, T0) is None


def test_counts_older_than_a_day_do_not_count() -> None:
    assert used([(T0, 10)], T0 + WINDOW) == 0
    assert fits_at([(T0, 10)], 10, 10, T0 + WINDOW) == T0 + WINDOW


def test_a_bulk_send_is_spread_over_the_next_windows() -> None:
    slots = schedule([], [1, 1, 1, 1, 1], 2, T0)
    assert slots == [T0, T0, T0 + WINDOW, T0 + WINDOW, T0 + 2 * WINDOW]
    assert schedule([], [1, 3, 1], 2, T0) == [T0, None, T0]
