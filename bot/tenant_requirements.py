"""What Mailroom needs from a tenant (``bot/tenant-requirements.toml``), for ``mailroom doctor``.

The statement is data beside this module; the emulator and the deploy guide's test read the
same file. This reader keeps only what the doctor uses.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ConfigError

STATEMENT = Path(__file__).with_name("tenant-requirements.toml")
UNFILLED = "{app_id}"
"""The app id that leaves the texts as written (the message catalogue's ids for them)."""


@dataclass(frozen=True)
class Requirement:
    id: str
    kind: str
    values: tuple[str, ...]  # the permission, role, URI, client id ... (``value`` as a list)
    what: str
    fix: str
    accepts: tuple[str, ...] = ()
    scope: str | None = None

    @property
    def value(self) -> str:
        return self.values[0]


def load_requirements(app_id: str, path: Path = STATEMENT) -> tuple[Requirement, ...]:
    """Every requirement with ``{app_id}`` filled in."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        entries = raw["requirement"]
        found = tuple(_entry(entry, app_id) for entry in entries)
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(str(path), f"the tenant requirements cannot be read: {exc}") from exc
    return found


def _entry(entry: dict[str, object], app_id: str) -> Requirement:
    def text(key: str) -> str:
        value = entry[key]
        if not isinstance(value, str):
            raise TypeError(f"{entry.get('id')}: {key} must be a string")
        return value.replace("{app_id}", app_id)

    raw_value = entry["value"]
    values = [raw_value] if isinstance(raw_value, str) else raw_value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"{entry.get('id')}: value must be a string or a list of strings")
    accepts = entry.get("accepts", [])
    scope = entry.get("scope")
    return Requirement(
        id=text("id"),
        kind=text("kind"),
        values=tuple(v.replace("{app_id}", app_id) for v in values),
        what=text("what"),
        fix=text("fix"),
        accepts=tuple(str(a) for a in accepts) if isinstance(accepts, list) else (),
        scope=scope if isinstance(scope, str) else None,
    )


def of_kind(requirements: Sequence[Requirement], *kinds: str) -> list[Requirement]:
    return [r for r in requirements if r.kind in kinds]
