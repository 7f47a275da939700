"""Timeouts, TLS trust and the retry policy shared by the Microsoft clients."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import trustme

from bot.netclient import RetryPolicy, Timeouts, parse_retry_after, tls_context


def test_retry_after_within_the_cap_is_waited_exactly() -> None:
    assert RetryPolicy(retry_after_cap=30).delay(1, 1.5, jitter=0.9) == 1.5


def test_retry_after_beyond_the_cap_stops_instead_of_waiting() -> None:
    assert RetryPolicy(retry_after_cap=30).delay(1, 120, jitter=0.0) is None


def test_backoff_doubles_with_equal_jitter_up_to_the_maximum() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay=0.5, max_delay=4)

    assert policy.delay(1, None, jitter=0.0) == 0.25
    assert policy.delay(1, None, jitter=1.0) == 0.5
    assert policy.delay(3, None, jitter=1.0) == 2.0
    assert policy.delay(8, None, jitter=1.0) == 4.0


def test_no_retry_after_the_last_attempt() -> None:
    assert RetryPolicy(max_attempts=2).delay(2, None, jitter=0.0) is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("1.5", 1.5), ("0", 0.0), ("  7 ", 7.0), ("soon", None), (None, None), ("nan", None)],
)
def test_retry_after_is_read_as_seconds(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value) == seconds


def test_retry_after_may_be_an_http_date() -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    seconds = parse_retry_after(format_datetime(when, usegmt=True))

    assert seconds is not None
    assert 25 < seconds <= 30


def test_attempt_timeouts_never_exceed_what_is_left_of_the_total() -> None:
    limits = Timeouts(connect=5, read=30, total=60).for_attempt(2.0)

    assert (limits.connect, limits.read, limits.write, limits.pool) == (2.0, 2.0, 2.0, 2.0)


def test_timeouts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="read"):
        Timeouts(read=0)


def test_an_extra_ca_bundle_is_trusted_on_top_of_the_system_roots(tmp_path: Path) -> None:
    system_only = tls_context(None)
    bundle = tmp_path / "extra-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(bundle))

    with_extra = tls_context(bundle)

    assert with_extra.verify_mode is ssl.CERT_REQUIRED
    assert with_extra.check_hostname
    assert with_extra.cert_store_stats()["x509_ca"] == system_only.cert_store_stats()["x509_ca"] + 1
