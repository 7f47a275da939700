"""The figures docs/reliability.md quotes, counted while the security and reliability suites
run, and the session-wide log collector the secrets check reads.

``install(config)`` (called from the ``pytest_configure`` of tests/security/conftest.py and
tests/reliability/conftest.py; idempotent) registers one ``ReportPlugin`` that

* attaches a handler to the root logger for the whole session, so every log record any
  test produces is kept (formatted with its exception text and extra fields);
* at the end of the session scans them all for secrets (JWTs, client secrets, passwords,
  email-body markers registered by tests) and fails the run if one is found;
* writes ``build/reliability.json`` and prints a summary, so the doc quotes what a command
  printed.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "build" / "reliability.json"

JWT = re.compile(r"eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*")
# Never expected in a log line, whatever the test: the demo tenant's client secrets.
KNOWN_SECRETS = ("demo-secret-not-for-production", "reporting-secret-not-for-production")
# The emulator stands in for Microsoft: its own log lines are not Mailroom's.
NOT_OURS = ("emulator",)

_STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


def render(record: logging.LogRecord) -> str:
    """Everything a formatter could print of ``record``: message, exception, extra fields."""
    parts = [f"{record.levelname} {record.name} {record.getMessage()}"]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        parts.append(record.stack_info)
    extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
    if extras:
        parts.append(json.dumps(extras, default=str, ensure_ascii=False))
    return "\n".join(parts)


@dataclass
class Line:
    test: str
    logger: str
    level: int
    text: str
    has_traceback: bool


@dataclass
class Figures:
    attacks: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    inputs: Counter[str] = field(default_factory=Counter)
    answered: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    messages_queued: int = 0
    messages_delivered: int = 0
    messages_lost: int = 0
    duplicates: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    """Final states of the requests the outbox suites sent, and how many told the truth."""
    truthful: int = 0
    recoveries: Counter[str] = field(default_factory=Counter)
    load: dict[str, Any] = field(default_factory=dict)
    log_lines_checked: int = 0
    unhandled: int = 0

    def attack(self, category: str, *, refused: bool) -> None:
        self.attacks[category] += 1
        if refused:
            self.refused[category] += 1

    def bad_input(self, kind: str, *, answered: bool) -> None:
        self.inputs[kind] += 1
        if answered:
            self.answered[kind] += 1

    def fault(self, name: str, count: int = 1) -> None:
        self.faults[name] += count

    def outcome(self, state: str, *, truthful: bool) -> None:
        """A request of an outbox suite ended ``state``; ``truthful``: every message's final
        state agrees with what recipients received."""
        self.outcomes[state] += 1
        self.truthful += truthful

    def mail(self, *, queued: int, delivered: int, lost: int, duplicates: int) -> None:
        self.messages_queued += queued
        self.messages_delivered += delivered
        self.messages_lost += lost
        self.duplicates += duplicates


class LogCollector(logging.Handler):
    """Keeps every record that reaches the root logger, rendered, with the running test."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[Line] = []
        self.current_test = "(outside a test)"
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = render(record)
        except Exception:  # noqa: BLE001 - a handler must never raise; an unrenderable record is itself worth seeing
            text = f"{record.levelname} {record.name} <unrenderable: {record.msg!r}>"
        line = Line(self.current_test, record.name, record.levelno, text, bool(record.exc_info))
        with self._guard:
            self.lines.append(line)

    def since(self, mark: int) -> list[Line]:
        with self._guard:
            return self.lines[mark:]

    def add_external(self, test: str, source: str, text: str) -> None:
        """Lines another process wrote (``mailroom serve``'s stderr)."""
        with self._guard:
            for raw in text.splitlines():
                level = logging.ERROR if " ERROR " in raw or '"level": "error"' in raw else 0
                self.lines.append(Line(test, source, level, raw, "Traceback" in raw))


class ReportPlugin:
    name = "mailroom-reliability-report"

    def __init__(self) -> None:
        self.figures = Figures()
        self.collector = LogCollector()
        self.secrets: set[str] = set(KNOWN_SECRETS)
        self.leaks: list[tuple[Line, str]] = []

    # --- secrets ------------------------------------------------------------------------

    def marker(self, kind: str = "body") -> str:
        """A unique string a test puts into an email body (or a password); it must never
        appear in a log line."""
        value = f"{kind.upper()}-MARKER-{uuid.uuid4().hex}"
        self.secrets.add(value)
        return value

    def register_secret(self, value: str) -> None:
        if value:
            self.secrets.add(value)

    def leaks_in(self, lines: list[Line]) -> list[tuple[Line, str]]:
        found = []
        for line in lines:
            if line.logger.startswith(NOT_OURS):
                continue
            if JWT.search(line.text):
                found.append((line, "a JWT"))
                continue
            for secret in self.secrets:
                if secret in line.text:
                    found.append((line, f"secret {secret[:12]}…"))
                    break
        return found

    # --- hooks --------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.collector.current_test = item.nodeid

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.leaks = self.leaks_in(self.collector.lines)
        if self.leaks and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if self._ran_anything():
            REPORT.parent.mkdir(parents=True, exist_ok=True)
            REPORT.write_text(json.dumps(self.summary(), indent=2) + "\n")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self._ran_anything():
            return
        tr = terminalreporter
        tr.section("reliability figures")
        for line in summary_lines(self.summary()):
            tr.write_line(line)
        for line, what in self.leaks[:20]:
            tr.write_line(f"SECRET IN LOG ({what}) during {line.test}: {line.logger}")

    def _ran_anything(self) -> bool:
        f = self.figures
        return bool(f.attacks or f.inputs or f.faults or f.load or f.recoveries)

    def summary(self) -> dict[str, Any]:
        f = self.figures
        ours = [line for line in self.collector.lines if not line.logger.startswith(NOT_OURS)]
        return {
            "attacks": {"tried": dict(f.attacks), "refused": dict(f.refused)},
            "bad_input": {"tried": dict(f.inputs), "answered": dict(f.answered)},
            "faults_injected": dict(f.faults),
            "recoveries": dict(f.recoveries),
            "messages": {
                "queued": f.messages_queued,
                "delivered": f.messages_delivered,
                "lost": f.messages_lost,
                "duplicates": f.duplicates,
            },
            "requests": {"final": dict(f.outcomes), "truthful": f.truthful},
            "load": f.load,
            "logs": {
                "lines_scanned": len(ours),
                "secrets_found": len(self.leaks),
                "lines_checked_for_unhandled_exceptions": f.log_lines_checked,
                "unhandled_exceptions": f.unhandled,
            },
        }


def summary_lines(summary: dict[str, Any]) -> list[str]:
    attacks = summary["attacks"]
    inputs = summary["bad_input"]
    messages = summary["messages"]
    logs = summary["logs"]
    lines = [
        f"attacks tried {sum(attacks['tried'].values())}, refused "
        f"{sum(attacks['refused'].values())}: "
        + ", ".join(
            f"{k} {attacks['refused'].get(k, 0)}/{v}" for k, v in sorted(attacks["tried"].items())
        ),
        f"bad inputs {sum(inputs['tried'].values())}, answered clearly "
        f"{sum(inputs['answered'].values())}: "
        + ", ".join(
            f"{k} {inputs['answered'].get(k, 0)}/{v}" for k, v in sorted(inputs["tried"].items())
        ),
        f"faults injected {sum(summary['faults_injected'].values())}: "
        + ", ".join(f"{k} {v}" for k, v in sorted(summary["faults_injected"].items())),
        "recoveries without a restart: "
        + ", ".join(f"{k} {v}" for k, v in sorted(summary["recoveries"].items())),
        f"messages queued {messages['queued']}, delivered {messages['delivered']}, "
        f"lost {messages['lost']}, duplicates {messages['duplicates']}",
    ]
    requests = summary.get("requests") or {}
    if requests.get("final"):
        final = requests["final"]
        lines.append(
            f"requests final {sum(final.values())}, telling the truth {requests['truthful']}: "
            + ", ".join(f"{k} {v}" for k, v in sorted(final.items()))
        )
    if summary["load"]:
        lines.append("load: " + ", ".join(f"{k} {v}" for k, v in summary["load"].items()))
    lines.append(
        f"log lines scanned for secrets {logs['lines_scanned']}, secrets found "
        f"{logs['secrets_found']}; lines checked for unhandled exceptions "
        f"{logs['lines_checked_for_unhandled_exceptions']}, found {logs['unhandled_exceptions']}"
    )
    return lines


def install(config: pytest.Config) -> ReportPlugin:
    existing = config.pluginmanager.get_plugin(ReportPlugin.name)
    if isinstance(existing, ReportPlugin):
        return existing
    plugin = ReportPlugin()
    config.pluginmanager.register(plugin, ReportPlugin.name)
    logging.getLogger().addHandler(plugin.collector)
    return plugin


def plugin_of(config: pytest.Config) -> ReportPlugin:
    found = config.pluginmanager.get_plugin(ReportPlugin.name)
    assert isinstance(found, ReportPlugin), "tests/reliability/figures.install was not called"
    return found
