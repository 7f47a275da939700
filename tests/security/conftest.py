"""The hostile-input suite: authentication, authorisation, bad input and secrets in logs.

Every test here runs with the log watch of tests/reliability/watch.py (no secret, no
unhandled exception in its log lines) and counts what it tried in the session figures
(build/reliability.json, docs/reliability.md).
"""

from __future__ import annotations

import pytest

from tests.reliability.figures import install
from tests.reliability.watch import figures, log_watch, report

__all__ = ["figures", "log_watch", "report"]


def pytest_configure(config: pytest.Config) -> None:
    install(config)
