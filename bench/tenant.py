"""The benchmark's tenant and policy, written as files for the emulator and ``mailroom serve``.

The demo tenant has eight people; a run with 100 concurrent conversations needs 100. The
bench seed is the demo seed plus ``bench-user-NNN@contoso.com`` users who hold what Adele
Vance holds (Send As and Full Access on support@, member of Support Agents and Ops
Notifiers), so every conversation is a different user with the same, realistic decision.

The bench policy is ``mailroom.example.toml`` with the no-reply sender's rate set to the
emulator's message rate for the run and without its approval rule, so a 300-recipient bulk
send goes straight from preview to the outbox.
"""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.seed import DEMO_SEED

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_POLICY = ROOT / "mailroom.example.toml"
SUPPORT = "support@contoso.com"
NOREPLY = "noreply@contoso.com"
SUPPORT_AGENTS = "a0353d9e-cdec-4617-8159-f7b503bf84c5"
OPS_NOTIFIERS = "90923460-aaee-46fb-bc99-1a4277aa90fc"
BULK_REQUESTER = "adele.vance@contoso.com"
_NAMESPACE = uuid.UUID("6f1c2a52-56a4-4bb8-9a43-6a3b1de1b0c1")


@dataclass(frozen=True)
class BenchUser:
    oid: str
    upn: str
    name: str

    def as_json(self) -> dict[str, str]:
        return {"oid": self.oid, "upn": self.upn, "name": self.name}


def bench_users(count: int) -> list[BenchUser]:
    users = []
    for n in range(count):
        upn = f"bench-user-{n:03d}@contoso.com"
        users.append(BenchUser(str(uuid.uuid5(_NAMESPACE, upn)), upn, f"Bench User {n:03d}"))
    return users


def demo_user(upn: str) -> BenchUser:
    raw = tomllib.loads(DEMO_SEED.read_text(encoding="utf-8"))
    entry = next(u for u in raw["users"] if u["upn"] == upn)
    return BenchUser(entry["id"], entry["upn"], entry["display_name"])


def write_seed(path: Path, users: list[BenchUser]) -> Path:
    raw: dict[str, Any] = tomllib.loads(DEMO_SEED.read_text(encoding="utf-8"))
    upns = [u.upn for u in users]
    for user in users:
        given, _, surname = user.name.rpartition(" ")
        raw["users"].append(
            {
                "id": user.oid,
                "upn": user.upn,
                "display_name": user.name,
                "given_name": given,
                "surname": surname,
                "job_title": "Support Agent (benchmark)",
                "department": "Customer Support",
            }
        )
    for mailbox in raw["mailboxes"]:
        if mailbox["address"] == SUPPORT:
            mailbox["send_as"] = [*mailbox.get("send_as", []), *upns]
            mailbox["full_access"] = [*mailbox.get("full_access", []), *upns]
    for group in raw["groups"]:
        if group["id"] in (SUPPORT_AGENTS, OPS_NOTIFIERS):
            group["members"] = [*group["members"], *upns]
    path.write_text(dump_toml(raw), encoding="utf-8")
    return path


def write_policy(path: Path, *, noreply_per_minute: float) -> Path:
    raw: dict[str, Any] = tomllib.loads(EXAMPLE_POLICY.read_text(encoding="utf-8"))
    for sender in raw["senders"]:
        if sender["address"] == NOREPLY:
            sender.pop("approval", None)
            sender["rate"] = {"per_minute": int(noreply_per_minute)}
    path.write_text(dump_toml(raw), encoding="utf-8")
    return path


# --- a small TOML writer for these two files (strings, numbers, booleans, lists, tables) ---


def dump_toml(data: Mapping[str, Any]) -> str:
    lines: list[str] = []
    _table(lines, data, ())
    return "\n".join(lines) + "\n"


def _table(lines: list[str], data: Mapping[str, Any], prefix: tuple[str, ...]) -> None:
    for key, value in data.items():
        if not isinstance(value, dict) and not _is_table_list(value):
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in data.items():
        name = ".".join(_key(k) for k in (*prefix, key))
        if isinstance(value, dict):
            lines += ["", f"[{name}]"]
            _table(lines, value, (*prefix, key))
        elif _is_table_list(value):
            for item in value:
                lines += ["", f"[[{name}]]"]
                _table(lines, item, (*prefix, key))


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
