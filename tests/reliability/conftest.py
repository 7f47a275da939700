"""The failure suite: dependencies down or slow, the database gone, load.

Every test here runs with the log watch of tests/reliability/watch.py and adds to the
session figures (build/reliability.json, docs/reliability.md).
"""

from __future__ import annotations

import pytest

from tests.reliability.figures import install
from tests.reliability.watch import figures, log_watch, report

__all__ = ["figures", "log_watch", "report"]


def pytest_configure(config: pytest.Config) -> None:
    install(config)
