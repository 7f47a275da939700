"""Shared pytest setup. Fixtures that start the local tenant live in emulator.pytest_plugin.

Every test gets one of the markers ``unit``, ``integration`` or ``e2e`` from its folder, so
``-m unit`` and ``scripts/test --fast`` select by kind without a marker in every file.
``slow`` is set by a test itself, or here for the modules in ``SLOW_MODULES``: those that
start processes (``mailroom serve``, Node.js), fuzz the bot over HTTP or inject every fault,
and spend more than ten seconds each. ``postgres`` is set by the tests (and for every
PostgreSQL case of the two-store fixtures).

The full run spreads tests over the CPUs (``pytest -n``). The tests that start whole bot
processes or keep to Exchange's real 60-second rate window each need the machine's time to
themselves, so they share one ``xdist_group`` (one worker runs them one after another) and get
a longer timeout; the browser tests share another.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from hypothesis import settings

pytest_plugins = ["emulator.pytest_plugin"]

# Property tests try Hypothesis's default 100 examples each in the full run; the inner loop
# (``scripts/test --fast`` passes ``--hypothesis-profile=fast``) tries 25 of them, enough
# to catch most breaks while one works. A test that sets its own max_examples keeps it.
settings.register_profile("fast", max_examples=25)

_TESTS = Path(__file__).resolve().parent
# Pure logic: no emulator, no bot process, no database server.
UNIT_FOLDERS = frozenset({"cards", "domain", "rendering"})
UNIT_FILES = frozenset(
    {
        "test_command_parser.py",
        "test_template_commands.py",
        "test_error_tree.py",
        "test_exchange_unit.py",
        "test_graph_client_unit.py",
        "test_graph_envelope.py",
        "test_graph_limiter.py",
        "test_graph_message.py",
        "test_logs.py",
        "test_routing.py",
        "test_settings.py",
    }
)


SLOW_MODULES = frozenset(
    {
        "bench/test_bench_smoke.py",
        "bot/test_admin_commands.py",
        "bot/test_cli.py",
        "bot/test_doctor.py",
        "bot/test_first_run.py",
        "outbox/test_cli.py",
        "packaging/test_package_command.py",
        "packaging/test_toolkit_project.py",
        "security/test_authorisation.py",
        "security/test_bad_input.py",
        "security/test_callers.py",
        "teams/test_approvals.py",
        "teams/test_missing_requirements.py",
        "teams/test_send_safety.py",
    }
)


# Whole-process and real-time tests: one after another on one worker, with room to finish.
PROCESS_MODULES = frozenset(
    {
        "bench/test_bench_smoke.py",
        "bench/test_scale_smoke.py",
        "outbox/test_bot_processes.py",
        "outbox/test_crash_recovery.py",
        "outbox/test_pacing.py",
        "reliability/test_load.py",
        "teams/test_delegated_processes.py",
    }
)
PROCESS_TIMEOUT_SECONDS = 300


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection imported lives as long as the run: frozen out of the garbage
    collector's way, so its full collections during the tests do not walk it each time."""
    gc.collect()
    gc.freeze()


def kind_of(path: Path) -> str:
    folder = path.relative_to(_TESTS).parts[0]
    if folder == "e2e":
        return "e2e"
    if folder in UNIT_FOLDERS or path.name in UNIT_FILES:
        return "unit"
    return "integration"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.path))
        item.add_marker(kind_of(path))
        relative = path.relative_to(_TESTS)
        if relative.parts[0] == "reliability" or relative.as_posix() in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
        if relative.as_posix() in PROCESS_MODULES:
            item.add_marker(pytest.mark.xdist_group("processes"))
            item.add_marker(pytest.mark.timeout(PROCESS_TIMEOUT_SECONDS))
        elif relative.parts[0] == "e2e":
            item.add_marker(pytest.mark.xdist_group("browser"))
