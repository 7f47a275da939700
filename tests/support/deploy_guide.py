"""What docs/deploy.md tells an admin to grant, read from the guide itself."""

from __future__ import annotations

from pathlib import Path

GUIDE_PATH = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


def permission_rows(guide: str | None = None) -> set[tuple[str, str, str]]:
    """(API, type, permission) of every row of step 2's API permissions table."""
    text = guide if guide is not None else GUIDE_PATH.read_text(encoding="utf-8")
    section = text.split("## 2. API permissions", 1)[1].split("\n## ", 1)[0]
    rows = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 4 and cells[2].startswith("`"):
            api = cells[0].split(" (", 1)[0]
            rows.add((api, cells[1], cells[2].strip("`")))
    return rows
