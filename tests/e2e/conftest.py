"""Fixtures for the Agents Playground tests: the one-time ``npm ci`` in tools/node, a running
``mailroom dev`` per module, and the processes' logs attached to every failure report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.devmode import node as nodejs
from tests.e2e.devrun import TOOLS, DevRun, PlaygroundRun, running_dev
from tests.support.node_tools import install_once

# What the Playground tests need installed under tools/node/node_modules (npm ci installs
# all of package-lock.json; these are the ones checked before deciding to run it).
NEEDED_PACKAGES = ("playwright-core",)


@pytest.fixture(scope="session")
def playground_installed() -> None:
    """Node.js 20+ and npm, and tools/node installed from its lock file (skip without Node)."""
    setup = nodejs.find_node()
    if setup.problem is not None:
        pytest.skip(f"the Agents Playground needs Node.js 20+ and npm: {setup.problem}")

    def installed() -> bool:
        missing = [p for p in NEEDED_PACKAGES if not (TOOLS / "node_modules" / p).is_dir()]
        return not missing and not nodejs.needs_install(TOOLS)

    install_once(str(setup.npm), TOOLS, installed)


@pytest.fixture(scope="module")
def mailroom_dev(
    playground_installed: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DevRun]:
    """``mailroom dev`` as Adele Vance (the default demo user: a support agent, in Ops
    Notifiers), shared by a module's tests; each test sends to its own recipients."""
    with running_dev(tmp_path_factory.mktemp("mailroom-dev"), ["--as", "adele"]) as run:
        yield run


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed test that used ``mailroom dev`` (or a second Playground) gets every process's
    output in its report."""
    report = yield
    if report.failed:
        funcargs = getattr(item, "funcargs", {})
        for value in funcargs.values():
            if isinstance(value, DevRun | PlaygroundRun):
                report.sections.append((f"logs ({type(value).__name__})", value.logs()))
    return report
