"""Mailroom's tenant requirements statement as seed data.

The statement is ``bot/tenant-requirements.toml``, read here as a file (never imported).

The demo tenant's Mailroom app is built from the statement and nothing more: a seed ``[[apps]]``
entry with ``requirements = "<path>"`` gets its grants (``application_permissions``,
``delegated_permissions``, ``exchange_role_assignments``, ``directory_roles``) and its Teams
single sign-on settings from here, and the statement's management scopes join the seed's
``[[management_scopes]]``. ``without`` leaves chosen requirements out, so a test can build the
tenant an admin gets by skipping one step.

Reads TOML only; imports nothing from ``bot``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATEMENT = Path(__file__).resolve().parent.parent / "bot" / "tenant-requirements.toml"

KINDS = (
    "graph_application",
    "exchange_application",
    "graph_delegated",
    "directory_role",
    "management_scope",
    "exchange_role_assignment",
    "sso_identifier_uri",
    "sso_scope",
    "sso_preauthorized_client",
    "oauth_connection",
)
_TEXT_KEYS = ("what", "why", "fix", "check")


class StatementError(ValueError):
    """The statement is malformed; the message names the entry."""


@dataclass(frozen=True)
class Requirement:
    id: str
    kind: str
    value: str | tuple[str, ...]
    what: str
    why: str
    fix: str
    check: str
    sources: tuple[str, ...]
    accepts: tuple[str, ...] = ()
    scope: str | None = None
    filter: str | None = None

    def text(self, app_id: str) -> Requirement:
        """The entry with ``{app_id}`` filled in everywhere."""

        def fill(value: str) -> str:
            return value.replace("{app_id}", app_id)

        value = fill(self.value) if isinstance(self.value, str) else tuple(map(fill, self.value))
        return Requirement(
            self.id, self.kind, value, fill(self.what), fill(self.why), fill(self.fix),
            fill(self.check), self.sources, self.accepts, self.scope, self.filter,
        )  # fmt: skip

    @property
    def single(self) -> str:
        if not isinstance(self.value, str):
            raise StatementError(f"{self.id}: 'value' is a list")
        return self.value


def _entry(raw: Mapping[str, Any], index: int) -> Requirement:
    where = f"requirement[{index}]"
    ident = raw.get("id")
    if not isinstance(ident, str) or not ident:
        raise StatementError(f"{where}: 'id' must be a non-empty string")
    where = f"requirement {ident}"
    kind = raw.get("kind")
    if kind not in KINDS:
        raise StatementError(f"{where}: 'kind' must be one of {', '.join(KINDS)}")
    value = raw.get("value")
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        value = tuple(value)
    elif not isinstance(value, str) or not value:
        raise StatementError(f"{where}: 'value' must be a string or a list of strings")
    texts = {key: raw.get(key) for key in _TEXT_KEYS}
    for key, text in texts.items():
        if not isinstance(text, str) or not text.strip():
            raise StatementError(f"{where}: '{key}' must be a non-empty string")
    sources = raw.get("sources")
    if not isinstance(sources, list) or not sources:
        raise StatementError(f"{where}: 'sources' must name at least one page")
    scope = raw.get("scope")
    if kind == "exchange_role_assignment" and not isinstance(scope, str):
        raise StatementError(f"{where}: a role assignment needs its 'scope'")
    filter_ = raw.get("filter")
    if kind == "management_scope" and not isinstance(filter_, str):
        raise StatementError(f"{where}: a management scope needs its 'filter'")
    return Requirement(
        id=ident,
        kind=kind,
        value=value,
        what=str(texts["what"]),
        why=str(texts["why"]),
        fix=str(texts["fix"]),
        check=str(texts["check"]),
        sources=tuple(str(s) for s in sources),
        accepts=tuple(str(a) for a in raw.get("accepts", [])),
        scope=scope if isinstance(scope, str) else None,
        filter=filter_ if isinstance(filter_, str) else None,
    )


def load_statement(path: Path = STATEMENT) -> tuple[Requirement, ...]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise StatementError(f"{path}: {exc}") from exc
    entries = raw.get("requirement")
    if not isinstance(entries, list) or not entries:
        raise StatementError(f"{path}: no [[requirement]] entries")
    found = tuple(_entry(entry, index) for index, entry in enumerate(entries))
    ids = [r.id for r in found]
    if len(set(ids)) != len(ids):
        raise StatementError(f"{path}: an id is used twice")
    scopes = {r.single for r in found if r.kind == "management_scope"}
    for r in found:
        if r.kind == "exchange_role_assignment" and r.scope not in scopes:
            raise StatementError(f"requirement {r.id}: scope {r.scope!r} is not defined")
    return found


# The seed keys an app entry built from the statement gets (and may not list itself).
GRANT_KEYS = (
    "application_permissions",
    "delegated_permissions",
    "exchange_role_assignments",
    "directory_roles",
    "identifier_uris",
    "exposed_scopes",
    "pre_authorized_clients",
    "oauth_connection_scopes",
)


def app_grants(
    requirements: Collection[Requirement], app_id: str, without: Collection[str] = ()
) -> dict[str, Any]:
    """The seed ``[[apps]]`` keys (``GRANT_KEYS``) that grant Mailroom's app ``app_id``
    exactly what the statement lists, minus the requirements named in ``without``."""
    grants: dict[str, list[Any]] = {key: [] for key in GRANT_KEYS}
    kept = [r.text(app_id) for r in requirements if r.id not in without]
    for r in kept:
        if r.kind in ("graph_application", "exchange_application"):
            grants["application_permissions"].append(r.single)
        elif r.kind == "graph_delegated":
            grants["delegated_permissions"].append(r.single)
        elif r.kind == "directory_role":
            grants["directory_roles"].append(r.single)
        elif r.kind == "exchange_role_assignment":
            grants["exchange_role_assignments"].append({"role": r.single, "scope": r.scope})
        elif r.kind == "sso_identifier_uri":
            grants["identifier_uris"].append(r.single)
        elif r.kind == "sso_scope":
            grants["exposed_scopes"].append(r.single)
        elif r.kind == "sso_preauthorized_client":
            grants["pre_authorized_clients"].append(r.single)
        elif r.kind == "oauth_connection":
            value = r.value
            grants["oauth_connection_scopes"].extend([value] if isinstance(value, str) else value)
    return grants


def management_scopes(
    requirements: Collection[Requirement], without: Collection[str] = ()
) -> list[dict[str, str]]:
    """The seed ``[[management_scopes]]`` entries the statement defines."""
    return [
        {"name": r.single, "recipient_filter": str(r.filter)}
        for r in requirements
        if r.kind == "management_scope" and r.id not in without
    ]
