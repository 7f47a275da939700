"""Fixtures shared by tests/security and tests/reliability (imported into both conftests).

``log_watch`` (autouse): during each test the root logger runs at DEBUG, with the levels
production sets for the SDK, msal and httpx (bot/logs.py ``configure_logging``), so every
line Mailroom could write is produced; when the test ends, its lines must hold no secret
and no unhandled exception (an ERROR record with a traceback).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.reliability.figures import Figures, Line, ReportPlugin, plugin_of

# What configure_logging keeps at WARNING whatever the level (the SDK logs payloads at debug).
PRODUCTION_QUIET = ("microsoft_agents", "msal", "httpx")
# Transport chatter with nothing of Mailroom's in it; kept at INFO so the suite stays fast.
NOISY = ("httpcore", "hpack", "asyncio", "psycopg.pool", "aiohttp.access")


@dataclass
class LogWatch:
    plugin: ReportPlugin
    mark: int
    expected_errors: set[str] = field(default_factory=set)

    def expect_error(self, logger_prefix: str) -> None:
        """An ERROR with a traceback from this logger is what the test provokes on purpose."""
        self.expected_errors.add(logger_prefix)

    def lines(self) -> list[Line]:
        return self.plugin.collector.since(self.mark)

    def unhandled(self) -> list[Line]:
        return [
            line
            for line in self.lines()
            if line.level >= logging.ERROR
            and line.has_traceback
            and not line.logger.startswith(("emulator", *self.expected_errors))
        ]


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    return plugin_of(request.config).figures


@pytest.fixture
def report(request: pytest.FixtureRequest) -> ReportPlugin:
    return plugin_of(request.config)


@pytest.fixture(autouse=True)
def log_watch(request: pytest.FixtureRequest) -> Iterator[LogWatch]:
    plugin = plugin_of(request.config)
    root = logging.getLogger()
    saved = {name: logging.getLogger(name).level for name in ("", *PRODUCTION_QUIET, *NOISY)}
    root.setLevel(logging.DEBUG)
    for name in PRODUCTION_QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.INFO)
    watch = LogWatch(plugin, len(plugin.collector.lines))
    try:
        yield watch
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
    lines = watch.lines()
    leaks = plugin.leaks_in(lines)
    unhandled = watch.unhandled()
    plugin.figures.log_lines_checked += len(lines)
    plugin.figures.unhandled += len(unhandled)
    assert not leaks, "secret in a log line: " + "; ".join(
        f"{what} from {line.logger}" for line, what in leaks[:5]
    )
    assert not unhandled, "unhandled exception logged:\n" + "\n\n".join(
        line.text[-2000:] for line in unhandled[:3]
    )
