"""Injected faults and the latency model.

A fault matches a method (or ``*``) and a path pattern (shell-style, ``*`` also crosses ``/``,
case-insensitive, matched against the path without the query) and applies to the next
``count`` matching requests. Kinds:

* ``error``: answer ``status`` (default 503) with error ``code`` (default ``ErrorServerBusy``);
* ``delay``: wait ``delay`` seconds, then handle the request normally — also when the client
  gave up meanwhile (a late acceptance: Graph does not stop because its client left);
* ``throttle``: answer 429 with ``Retry-After: retry_after`` (default 1);
* ``drop_after_accept``: handle the request (a send IS accepted), then abort the TCP connection
  without writing any response: the client cannot know whether it worked (httpx
  ``RemoteProtocolError``);
* ``error_after_accept``: handle the request (a send IS accepted), then answer ``status``
  (default 503) with ``code`` (default ``ErrorServerBusy``) instead of its real answer — Graph
  does not document that a 503 means "not accepted";
* ``drop_before_accept``: read the request line and headers, then reset the connection without
  handling the request (nothing is delivered). The client has already written the request, so
  it sees exactly what ``drop_after_accept`` shows: a "maybe sent" that is in fact not sent;
* ``close_before_read``: connection level: the next ``count`` *new* TLS connections are closed
  during the handshake, before a byte of any request is read (method and path are not matched;
  arming it closes the server's other idle keep-alive connections so the client's next request
  needs a new one). The client sees a connect error (httpx ``ConnectError``): certainly not
  sent. Connections of the control client (``EmulatorControl``) are never affected.
"""

from __future__ import annotations

import fnmatch
import itertools
import random
from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

FaultKind = Literal[
    "error",
    "delay",
    "throttle",
    "drop_after_accept",
    "error_after_accept",
    "drop_before_accept",
    "close_before_read",
]
CONNECTION_FAULTS = ("close_before_read",)
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)


def path_matches(pattern: str, path: str) -> bool:
    return fnmatch.fnmatchcase(path.lower(), pattern.lower())


@dataclass
class Fault:
    id: int
    method: str
    path_pattern: str
    kind: FaultKind
    remaining: int
    status: int | None = None
    code: str | None = None
    message: str | None = None
    delay: float | None = None
    retry_after: float | None = None

    def matches(self, method: str, path: str) -> bool:
        method_ok = self.method == "*" or self.method.upper() == method.upper()
        return method_ok and path_matches(self.path_pattern, path)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultTable:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(
        self,
        *,
        method: str,
        path_pattern: str,
        kind: FaultKind,
        count: int = 1,
        status: int | None = None,
        code: str | None = None,
        message: str | None = None,
        delay: float | None = None,
        retry_after: float | None = None,
    ) -> Fault:
        fault = Fault(
            id=next(self._ids),
            method=method,
            path_pattern=path_pattern,
            kind=kind,
            remaining=count,
            status=status,
            code=code,
            message=message,
            delay=delay,
            retry_after=retry_after,
        )
        self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first armed fault matching this request, consuming one of its uses."""
        for fault in self._faults:
            if (
                fault.kind not in CONNECTION_FAULTS
                and fault.remaining > 0
                and fault.matches(method, path)
            ):
                fault.remaining -= 1
                return fault
        return None

    def take_connection(self) -> Fault | None:
        """An armed connection-level fault for a new connection, consuming one use."""
        for fault in self._faults:
            if fault.kind in CONNECTION_FAULTS and fault.remaining > 0:
                fault.remaining -= 1
                return fault
        return None

    def clear(self) -> None:
        self._faults.clear()

    def listing(self) -> list[dict[str, Any]]:
        return [f.as_dict() for f in self._faults if f.remaining > 0]


@dataclass(frozen=True)
class LatencyRule:
    fixed_ms: float
    jitter_ms: float
    path_pattern: str | None


class LatencyModel:
    """Fixed + uniform jitter delay per request; the latest rule whose pattern matches wins,
    a rule without pattern applies to every path no other rule matches."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rules: list[LatencyRule] = []
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security

    def set(self, fixed_ms: float, jitter_ms: float, path_pattern: str | None) -> None:
        self._rules = [r for r in self._rules if r.path_pattern != path_pattern]
        if fixed_ms > 0 or jitter_ms > 0:
            self._rules.append(LatencyRule(fixed_ms, jitter_ms, path_pattern))

    def clear(self) -> None:
        self._rules.clear()

    def delay_for(self, path: str) -> float:
        chosen: LatencyRule | None = None
        for rule in reversed(self._rules):
            if rule.path_pattern is not None and path_matches(rule.path_pattern, path):
                chosen = rule
                break
        if chosen is None:
            chosen = next((r for r in reversed(self._rules) if r.path_pattern is None), None)
        if chosen is None:
            return 0.0
        return (chosen.fixed_ms + self._rng.uniform(0, chosen.jitter_ms)) / 1000.0

    def listing(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self._rules]
