"""The documented request and response examples in tests/contract/examples/ (each names its
Microsoft source page), and a comparison of JSON shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).with_name("examples")


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    assert data["source"], name
    return data


def fits(ours: Any, documented: Any, where: str = "$") -> list[str]:
    """Where ``ours`` leaves the documented shape: a key the documentation doesn't have, or a
    value of another JSON type. Lists are compared item by item with the first documented."""
    if isinstance(documented, dict):
        if not isinstance(ours, dict):
            return [f"{where}: an object is documented"]
        problems = [f"{where}.{k}: not documented" for k in ours if k not in documented]
        for key in ours:
            if key in documented:
                problems += fits(ours[key], documented[key], f"{where}.{key}")
        return problems
    if isinstance(documented, list):
        if not isinstance(ours, list):
            return [f"{where}: a list is documented"]
        if not documented:
            return []
        return [
            p for i, item in enumerate(ours) for p in fits(item, documented[0], f"{where}[{i}]")
        ]
    if documented is None or ours is None:
        return []
    kinds = (bool, int | float, str)
    same = any(isinstance(ours, k) and isinstance(documented, k) for k in kinds)
    return [] if same else [f"{where}: {type(ours).__name__} where the docs have {documented!r}"]


def missing(ours: dict[str, Any], documented: dict[str, Any], keys: list[str]) -> list[str]:
    return [k for k in keys if k in documented and k not in ours]
