"""Shared pytest setup. Fixtures that start the local tenant live in emulator.pytest_plugin.

Every test gets one of the markers ``unit``, ``integration`` or ``e2e`` from its folder, so
``-m unit`` and ``scripts/test --fast`` select by kind without a marker in every file.
``slow`` and ``postgres`` are set by the tests themselves (and ``postgres`` also for every
PostgreSQL case of the two-store fixtures).
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["emulator.pytest_plugin"]

_TESTS = Path(__file__).resolve().parent
# Pure logic: no emulator, no bot process, no database server.
UNIT_FOLDERS = frozenset({"cards", "domain", "rendering"})
UNIT_FILES = frozenset(
    {
        "test_command_parser.py",
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


def kind_of(path: Path) -> str:
    folder = path.relative_to(_TESTS).parts[0]
    if folder == "e2e":
        return "e2e"
    if folder in UNIT_FOLDERS or path.name in UNIT_FILES:
        return "unit"
    return "integration"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(kind_of(Path(str(item.path))))
