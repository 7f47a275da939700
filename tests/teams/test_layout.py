"""The Teams layer stays a thin adapter: small modules, and the core never reaches back
into it (the Teams side is wired onto the services, not the other way round)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 250


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_no_module_of_the_teams_layer_is_over_250_lines() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in (ROOT / "bot" / "teams").rglob("*.py")
    }
    assert sizes
    assert {p: n for p, n in sizes.items() if n > MAX_LINES} == {}


def test_the_services_import_nothing_from_the_teams_layer() -> None:
    core = [ROOT / "bot" / "services.py"]
    for package in ("flow", "domain", "store", "outbox"):
        core += sorted((ROOT / "bot" / package).rglob("*.py"))
    for path in core:
        teams = {m for m in imported_modules(path) if m.startswith("bot.teams")}
        assert teams == set(), (str(path.relative_to(ROOT)), teams)
