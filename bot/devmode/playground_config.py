"""Who you are in the Agents Playground, and the mock tenant file it reads.

The Playground reads ``.m365agentsplayground.yml`` (schema "0.1.1", bundled in the npm
package: ``currentUser`` plus exactly five ``users``, a personal chat, one group chat and one
team). ``mailroom dev`` writes it from the emulator's seed so that the ``aadObjectId`` and
tenant id the bot receives are the emulator's: the bot then finds the same people in Graph
and Exchange.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from pathlib import Path

from bot.errors import ConfigError
from emulator.seed import Account, Tenant

CONFIG_FILE_NAME = ".m365agentsplayground.yml"
PLAYGROUND_OTHER_USERS = 5  # the schema wants exactly five users besides the current one
BOT_NAME = "Mailroom"

_NAMESPACE = uuid.UUID("c1f1d0a4-53a3-4d6c-9a55-2f4a2f0b8d17")


def people(tenant: Tenant) -> list[Account]:
    """The seed's people (not shared or no-reply mailboxes), in seed order."""
    return [account for account in tenant.accounts if account.kind == "member"]


def first_name(account: Account) -> str:
    return account.given_name or account.display_name.split()[0]


def pick_user(tenant: Tenant, wanted: str | None) -> Account:
    """The demo user named by ``--as``: UPN, alias, first name, display name or object id
    (case-insensitive). Without ``--as``, the seed's first person with a mailbox."""
    candidates = people(tenant)
    if not candidates:
        raise ConfigError("--seed", "the seed has no users")
    if wanted is None or not wanted.strip():
        with_mailbox = [account for account in candidates if account.has_mailbox]
        return (with_mailbox or candidates)[0]
    key = wanted.strip().lower()
    matches = [
        account
        for account in candidates
        if key
        in {
            account.upn,
            account.alias,
            account.id,
            account.display_name.lower(),
            first_name(account).lower(),
        }
    ]
    if len(matches) == 1:
        return matches[0]
    choices = ", ".join(first_name(account).lower() for account in candidates)
    if not matches:
        raise ConfigError("--as", f"no demo user {wanted!r}; choose one of: {choices}")
    names = ", ".join(account.upn for account in matches)
    raise ConfigError("--as", f"{wanted!r} could be {names}; give the UPN")


def teams_user_id(account: Account) -> str:
    """The Teams channel id the bot sees in ``from.id`` (Teams ids start with ``29:``)."""
    return f"29:{account.id}"


def personal_chat_id(account: Account) -> str:
    """One personal chat per demo user, stable across restarts (the bot stores references)."""
    return f"a:mailroom-dev-{account.id}"


def bot_id(tenant: Tenant) -> str:
    return f"28:{tenant.bot_app.client_id}" if tenant.apps else "28:mailroom-dev-bot"


def other_users(tenant: Tenant, current: Account) -> list[Account]:
    others = [account for account in people(tenant) if account.id != current.id]
    if len(others) < PLAYGROUND_OTHER_USERS:
        raise ConfigError(
            "--seed",
            f"the Agents Playground needs {PLAYGROUND_OTHER_USERS + 1} users; "
            f"this seed has {len(others) + 1}",
        )
    return others[:PLAYGROUND_OTHER_USERS]


def render(tenant: Tenant, current: Account, *, source: str = "the emulator seed") -> str:
    """The YAML text. Every scalar is written JSON-quoted, which YAML reads as-is."""
    q = json.dumps
    lines = [
        f"# Written by `mailroom dev` from {source} on every start: edits are lost.",
        "# Format: the Agents Playground's config schema 0.1.1 (bundled in its npm package).",
        'version: "0.1.1"',
        f"tenantId: {q(tenant.id)}",
        "bot:",
        f"  id: {q(bot_id(tenant))}",
        f"  name: {q(BOT_NAME)}",
        "currentUser:",
        *_user_lines(current, indent="  "),
        "users:",
    ]
    for account in other_users(tenant, current):
        user = _user_lines(account, indent="    ")
        lines.append("  - " + user[0].lstrip())
        lines.extend(user[1:])
    group = f"19:mailroom-dev-group-{tenant.id}@thread.v2"
    team = f"19:mailroom-dev-general-{tenant.id}@thread.tacv2"
    channel = f"19:mailroom-dev-announcements-{tenant.id}@thread.tacv2"
    lines += [
        "personalChat:",
        f"  id: {q(personal_chat_id(current))}",
        "groupChat:",
        f"  id: {q(group)}",
        f"  name: {q(tenant.display_name + ' group chat')}",
        "team:",
        f"  id: {q(team)}",
        f"  name: {q(tenant.display_name)}",
        f"  aadGroupId: {q(str(uuid.uuid5(_NAMESPACE, tenant.id)))}",
        "  channels:",
        f"    - id: {q(channel)}",
        f"      name: {q('Announcements')}",
    ]
    return "\n".join(lines) + "\n"


def _user_lines(account: Account, *, indent: str) -> Sequence[str]:
    q = json.dumps
    surname = account.surname or " ".join(account.display_name.split()[1:])
    fields = (
        ("id", teams_user_id(account)),
        ("name", account.display_name),
        ("userPrincipleName", account.upn),  # sic: the Playground's spelling
        ("aadObjectId", account.id),
        ("givenName", first_name(account)),
        ("surname", surname),
        ("email", account.upn),
    )
    return [f"{indent}{key}: {q(value)}" for key, value in fields]


def write(path: Path, tenant: Tenant, current: Account, *, source: str) -> Path:
    path.write_text(render(tenant, current, source=source), encoding="utf-8")
    return path
