"""Outbound HTTP plumbing shared by the Microsoft clients: timeouts, TLS trust, retry policy.

Trust is the system's CA store **plus** an optional extra bundle (the emulator's CA in
development, a corporate TLS-inspection CA in some deployments). Adding a bundle never
removes the system roots.
"""

from __future__ import annotations

import email.utils
import functools
import math
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx


@dataclass(frozen=True)
class Timeouts:
    """Seconds allowed for one call: to connect, between bytes read, and for the whole call
    (including waits for a concurrency slot and every retry)."""

    connect: float = 5.0
    read: float = 30.0
    total: float = 60.0

    def __post_init__(self) -> None:
        for name in ("connect", "read", "total"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Timeouts.{name} must be positive")

    def for_attempt(self, remaining: float) -> httpx.Timeout:
        """httpx timeouts for one attempt that has ``remaining`` seconds of the total left."""
        cap = max(remaining, 0.001)
        return httpx.Timeout(
            connect=min(self.connect, cap),
            read=min(self.read, cap),
            write=min(self.read, cap),
            pool=min(self.connect, cap),
        )


def tls_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """A verifying client context: system CAs, plus ``ca_bundle`` when given. The clients of
    a process share one context per bundle as it is on disk (a changed file gets a new one):
    building one reads the whole system store, about a tenth of a second each time."""
    if ca_bundle is None:
        return _shared_context(None, None)
    stat = ca_bundle.stat()
    return _shared_context(str(ca_bundle.resolve()), (stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=16)
def _shared_context(ca_bundle: str | None, _version: tuple[int, int] | None) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if ca_bundle is not None:
        context.load_verify_locations(cafile=ca_bundle)
    return context


def build_http_client(
    ca_bundle: Path | None,
    timeouts: Timeouts,
    *,
    max_connections: int = 100,
    max_keepalive_connections: int = 20,
    proxy: str | None = None,
) -> httpx.AsyncClient:
    """The pooled async client the Graph and Exchange clients share. HTTP/2 stays off: Graph
    limits concurrency per mailbox, not per connection, so multiplexing buys nothing here.

    Redirects are not followed (Graph answers requests where they are sent). Environment
    proxy variables are ignored so an inherited ``HTTPS_PROXY`` cannot silently reroute mail;
    a deployment that needs an egress proxy passes ``proxy`` explicitly.
    """
    return httpx.AsyncClient(
        verify=tls_context(ca_bundle),
        timeout=timeouts.for_attempt(timeouts.total),
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
        ),
        http2=False,
        follow_redirects=False,
        trust_env=False,
        proxy=proxy,
    )


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before trying again.

    ``Retry-After`` from the service is honoured as given when it is at most
    ``retry_after_cap`` seconds; a longer one is not waited out in-process (the caller gets
    the throttling error with its ``retry_after`` and reschedules). Without ``Retry-After``
    the wait is exponential from ``base_delay`` up to ``max_delay`` with "equal jitter"
    (between half and all of the step), so a burst of clients does not retry in lockstep.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    retry_after_cap: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")

    def delay(self, attempt: int, retry_after: float | None, jitter: float) -> float | None:
        """Seconds to wait after failed attempt number ``attempt`` (1-based), or ``None`` when
        the policy says stop. ``jitter`` is a number in [0, 1)."""
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None and retry_after > 0:
            return retry_after if retry_after <= self.retry_after_cap else None
        step = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return step * (0.5 + jitter / 2)


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a (possibly fractional) number or an HTTP date."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)
