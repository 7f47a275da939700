"""The tenant seed: a TOML file describing one Microsoft 365 tenant, loaded into frozen data.

The format is documented in ``emulator/README.md``. Loading resolves every reference (a trustee
or a group member named by UPN, address or object id) to an object id and stops with a
``SeedError`` naming the offending entry when something does not resolve.

Exchange RBAC for Applications is seeded as ``[[management_scopes]]`` (a name and a recipient
filter; only ``CustomAttributeN -eq 'value'`` is parsed) and, per app,
``exchange_role_assignments = [{ role = "Application Mail.Send", scope = "..." }]`` (no scope:
the whole organisation). ``emulator/rbac.py`` says what they grant.
"""

from __future__ import annotations

import re
import tomllib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from emulator import requirements as statement

AccountKind = Literal["member", "shared", "noreply"]

DEMO_SEED = Path(__file__).with_name("seeds") / "demo.toml"

_SP_NAMESPACE = uuid.UUID("5b0c8b57-8a41-4d55-9a8e-0f2f5d0b3a11")


class SeedError(ValueError):
    """The seed file is malformed; the message names the entry."""


@dataclass(frozen=True)
class Account:
    """A directory user object: a person, or the account behind a shared / no-reply mailbox."""

    id: str
    upn: str
    display_name: str
    kind: AccountKind
    has_mailbox: bool
    given_name: str | None = None
    surname: str | None = None
    job_title: str | None = None
    department: str | None = None
    send_as: tuple[str, ...] = ()  # trustees: object ids of users, mailboxes or groups
    full_access: tuple[str, ...] = ()
    send_on_behalf: tuple[str, ...] = ()
    # Exchange's CustomAttribute1..15 (extensionAttribute1..15 in Entra), as set on the mailbox.
    custom_attributes: tuple[tuple[int, str], ...] = ()
    name: str | None = None  # Exchange's recipient Name; None: the object id (see below)

    def custom_attribute(self, number: int) -> str | None:
        return dict(self.custom_attributes).get(number)

    @property
    def mail(self) -> str | None:
        return self.upn if self.has_mailbox else None

    @property
    def recipient_name(self) -> str:
        """Exchange's ``Name`` (and ``Identity``): since 2022 Exchange Online names new
        recipients by their Entra object id, so that is the default; a seed may give an
        older, free-form name (often the display name)."""
        return self.name or self.id

    @property
    def alias(self) -> str:
        return self.upn.split("@", 1)[0]


@dataclass(frozen=True)
class Group:
    id: str
    display_name: str
    mail_nickname: str
    description: str
    member_users: tuple[str, ...]
    member_groups: tuple[str, ...]
    mail: str | None = None  # set: a mail-enabled security group (may hold mailbox rights)
    name: str | None = None  # Exchange's recipient Name; None: the display name

    @property
    def recipient_name(self) -> str:
        return self.name or self.display_name


_SCOPE_FILTER = re.compile(r"^\s*CustomAttribute(\d{1,2})\s+-eq\s+'([^']*)'\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ManagementScope:
    """An Exchange management scope (``New-ManagementScope -RecipientRestrictionFilter``);
    only ``CustomAttributeN -eq 'value'`` filters are understood."""

    name: str
    recipient_filter: str
    attribute: int
    value: str

    def contains(self, account: Account) -> bool:
        found = account.custom_attribute(self.attribute)
        return account.has_mailbox and found is not None and found.lower() == self.value.lower()


@dataclass(frozen=True)
class RoleAssignment:
    """An RBAC for Applications role assignment (``New-ManagementRoleAssignment -App``);
    ``scope`` None is the whole organization."""

    role: str
    scope: str | None


@dataclass(frozen=True)
class AppRegistration:
    client_id: str
    display_name: str
    secret: str
    # Entra grants: application permissions (→ ``roles``) and consented delegated ones.
    application_permissions: frozenset[str]
    """Granted in Entra ID (the token's ``roles``): tenant-wide."""
    delegated_permissions: frozenset[str]
    is_bot: bool
    # Exchange grants: RBAC for Applications assignments, and the Entra directory roles.
    exchange_role_assignments: tuple[RoleAssignment, ...] = ()
    directory_roles: frozenset[str] = frozenset()
    # Expose an API: Application ID URIs, delegated scopes, pre-authorised client app ids.
    identifier_uris: tuple[str, ...] = ()
    exposed_scopes: frozenset[str] = frozenset()
    pre_authorized_clients: frozenset[str] = frozenset()
    # The Azure Bot's OAuth connection: the scopes its token service asks Entra for.
    oauth_connection_scopes: tuple[str, ...] = ()

    @property
    def service_principal_id(self) -> str:
        return str(uuid.uuid5(_SP_NAMESPACE, self.client_id))


@dataclass(frozen=True)
class Tenant:
    id: str
    domain: str
    display_name: str
    accounts: tuple[Account, ...]
    groups: tuple[Group, ...]
    apps: tuple[AppRegistration, ...]
    management_scopes: tuple[ManagementScope, ...] = ()
    _by_key: Mapping[str, Account] = field(default_factory=dict, repr=False, compare=False)

    def account(self, key: str) -> Account | None:
        """An account by object id, UPN or mail address (case-insensitive)."""
        return self._by_key.get(key.strip().lower())

    def with_account(self, changed: Account) -> Tenant:
        """This tenant with ``changed`` in place of the account of the same id."""
        accounts = tuple(changed if a.id == changed.id else a for a in self.accounts)
        keys = {k: changed if v.id == changed.id else v for k, v in self._by_key.items()}
        return replace(self, accounts=accounts, _by_key=keys)

    def group(self, group_id: str) -> Group | None:
        for group in self.groups:
            if group.id.lower() == group_id.lower():
                return group
        return None

    def management_scope(self, name: str) -> ManagementScope | None:
        for scope in self.management_scopes:
            if scope.name.lower() == name.lower():
                return scope
        return None

    def recipient_group(self, key: str) -> Group | None:
        """A mail-enabled group as Exchange finds it: object id, address or Name."""
        wanted = key.strip().lower()
        for group in self.groups:
            if group.mail is not None and wanted in (
                group.id.lower(),
                group.mail.lower(),
                group.recipient_name.lower(),
            ):
                return group
        return None

    def app(self, client_id: str) -> AppRegistration | None:
        for app in self.apps:
            if app.client_id.lower() == client_id.lower():
                return app
        return None

    @property
    def bot_app(self) -> AppRegistration:
        for app in self.apps:
            if app.is_bot:
                return app
        return self.apps[0]

    def is_internal_address(self, address: str) -> bool:
        return address.rsplit("@", 1)[-1].lower() == self.domain.lower()

    def holds(self, account_id: str, trustees: Iterable[str]) -> bool:
        """Exchange's view of a right: held directly, or through a (nested) group."""
        listed = set(trustees)
        if account_id in listed:
            return True
        return any(g.id in listed for g in self.transitive_groups(account_id))

    def transitive_groups(self, account_id: str) -> list[Group]:
        """Every group the account belongs to, directly or through nested groups."""
        direct = [g for g in self.groups if account_id in g.member_users]
        found: dict[str, Group] = {g.id: g for g in direct}
        frontier = list(direct)
        while frontier:
            inner = frontier.pop()
            for outer in self.groups:
                if inner.id in outer.member_groups and outer.id not in found:
                    found[outer.id] = outer
                    frontier.append(outer)
        return list(found.values())


def load_seed(path: Path) -> Tenant:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SeedError(f"{path}: {exc}") from exc
    return parse_seed(raw, source=str(path), base=path.parent)


def _str(entry: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str) or not value:
        raise SeedError(f"{where}: '{key}' must be a non-empty string")
    return value


def _opt_str(entry: Mapping[str, Any], key: str, where: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise SeedError(f"{where}: '{key}' must be a string")
    return value


def _str_list(entry: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SeedError(f"{where}: '{key}' must be a list of strings")
    return list(value)


def _guid(value: str, where: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise SeedError(f"{where}: '{value}' is not a GUID") from exc


def _check_keys(entry: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    unknown = sorted(set(entry) - set(allowed))
    if unknown:
        raise SeedError(f"{where}: unknown key(s) {', '.join(unknown)}")


_RIGHT_KEYS = ("send_as", "full_access", "send_on_behalf")
_USER_KEYS = (
    "id",
    "upn",
    "display_name",
    "mailbox",
    "given_name",
    "surname",
    "job_title",
    "department",
    "custom_attributes",
    "name",
    *_RIGHT_KEYS,
)
_MAILBOX_KEYS = (
    "id",
    "address",
    "display_name",
    "kind",
    "custom_attributes",
    "name",
    *_RIGHT_KEYS,
)


def _custom_attributes(entry: Mapping[str, Any], where: str) -> tuple[tuple[int, str], ...]:
    raw = entry.get("custom_attributes", {})
    if not isinstance(raw, dict):
        raise SeedError(f"{where}: 'custom_attributes' must be a table like {{ 15 = \"...\" }}")
    found: list[tuple[int, str]] = []
    for key, value in raw.items():
        if not str(key).isdigit() or not 1 <= int(key) <= 15 or not isinstance(value, str):
            raise SeedError(f"{where}: custom attribute {key!r} must be 1-15 with a string value")
        found.append((int(key), value))
    return tuple(sorted(found))


Pending = list[tuple[Account, Mapping[str, Any], str]]


def _bool(entry: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
    value = entry.get(key, default)
    if not isinstance(value, bool):
        raise SeedError(f"{where}: '{key}' must be true or false")
    return value


def _people(raw: Mapping[str, Any], source: str) -> Pending:
    pending: Pending = []
    for index, entry in enumerate(raw.get("users", [])):
        where = f"{source} users[{index}]"
        _check_keys(entry, _USER_KEYS, where)
        account = Account(
            id=_guid(_str(entry, "id", where), where),
            upn=_str(entry, "upn", where).lower(),
            display_name=_str(entry, "display_name", where),
            kind="member",
            has_mailbox=_bool(entry, "mailbox", where, default=True),
            given_name=_opt_str(entry, "given_name", where),
            surname=_opt_str(entry, "surname", where),
            job_title=_opt_str(entry, "job_title", where),
            department=_opt_str(entry, "department", where),
            custom_attributes=_custom_attributes(entry, where),
            name=_opt_str(entry, "name", where),
        )
        pending.append((account, entry, where))
    for index, entry in enumerate(raw.get("mailboxes", [])):
        where = f"{source} mailboxes[{index}]"
        _check_keys(entry, _MAILBOX_KEYS, where)
        kind = entry.get("kind", "shared")
        if kind not in ("shared", "noreply"):
            raise SeedError(f"{where}: 'kind' must be 'shared' or 'noreply'")
        account = Account(
            id=_guid(_str(entry, "id", where), where),
            upn=_str(entry, "address", where).lower(),
            display_name=_str(entry, "display_name", where),
            kind=kind,
            has_mailbox=True,
            custom_attributes=_custom_attributes(entry, where),
            name=_opt_str(entry, "name", where),
        )
        pending.append((account, entry, where))
    return pending


class _Resolver:
    def __init__(self, pending: Pending) -> None:
        self.by_key: dict[str, Account] = {}
        for account, _entry, where in pending:
            for key in (account.id, account.upn):
                if key in self.by_key:
                    raise SeedError(f"{where}: '{key}' is used twice")
                self.by_key[key] = account

    def __call__(self, ref: str, where: str) -> str:
        found = self.by_key.get(ref.strip().lower())
        if found is None:
            raise SeedError(f"{where}: '{ref}' is not a user or mailbox of this seed")
        return found.id


def _with_rights(
    pending: Pending, resolve: _Resolver, groups: Mapping[str, Group] | None = None
) -> list[Account]:
    """Trustees are users, mailboxes or (named by id, display name or address) mail-enabled
    security groups: only those can hold Send As or Full Access in Exchange."""
    by_group = groups or {}

    def trustee(ref: str, where: str) -> str:
        group = by_group.get(ref.strip().lower())
        if group is None:
            return resolve(ref, where)
        if group.mail is None:
            raise SeedError(
                f"{where}: group '{ref}' is not mail-enabled (give it a 'mail' address): "
                "Exchange grants mailbox rights only to mail-enabled security groups"
            )
        return group.id

    accounts: list[Account] = []
    for account, entry, where in pending:
        rights = {
            key: tuple(trustee(ref, f"{where} {key}") for ref in _str_list(entry, key, where))
            for key in _RIGHT_KEYS
        }
        if any(rights.values()) and not account.has_mailbox:
            raise SeedError(f"{where}: rights given on an account without a mailbox")
        accounts.append(
            replace(
                account,
                send_as=rights["send_as"],
                full_access=rights["full_access"],
                send_on_behalf=rights["send_on_behalf"],
            )
        )
    return accounts


_GROUP_KEYS = ("id", "display_name", "mail_nickname", "description", "members", "mail", "name")


def _groups(raw: Mapping[str, Any], source: str, resolve: _Resolver) -> list[Group]:
    entries = raw.get("groups", [])
    group_ids: dict[str, str] = {}
    for index, entry in enumerate(entries):
        where = f"{source} groups[{index}]"
        gid = _guid(_str(entry, "id", where), where)
        group_ids[gid] = gid
        group_ids[_str(entry, "display_name", where).lower()] = gid
    groups: list[Group] = []
    for index, entry in enumerate(entries):
        where = f"{source} groups[{index}]"
        _check_keys(entry, _GROUP_KEYS, where)
        users: list[str] = []
        nested: list[str] = []
        for ref in _str_list(entry, "members", where):
            key = ref.strip().lower()
            if key in resolve.by_key:
                users.append(resolve.by_key[key].id)
            elif key in group_ids:
                nested.append(group_ids[key])
            else:
                raise SeedError(f"{where} members: '{ref}' is not a user or group of this seed")
        name = _str(entry, "display_name", where)
        groups.append(
            Group(
                id=_guid(_str(entry, "id", where), where),
                display_name=name,
                mail_nickname=_opt_str(entry, "mail_nickname", where)
                or name.lower().replace(" ", "-"),
                description=_opt_str(entry, "description", where) or "",
                member_users=tuple(users),
                member_groups=tuple(nested),
                mail=(_opt_str(entry, "mail", where) or "").lower() or None,
                name=_opt_str(entry, "name", where),
            )
        )
    return groups


def _group_keys(groups: Iterable[Group]) -> dict[str, Group]:
    keys: dict[str, Group] = {}
    for group in groups:
        for key in (group.id, group.display_name, group.mail):
            if key:
                keys[key.lower()] = group
    return keys


def _check_recipient_names(accounts: Iterable[Account], groups: Iterable[Group]) -> None:
    """Exchange keeps recipient Names unique in the organisation."""
    seen: set[str] = set()
    names = [a.recipient_name for a in accounts if a.has_mailbox]
    names += [g.recipient_name for g in groups if g.mail is not None]
    for name in names:
        if name.lower() in seen:
            raise SeedError(f"recipient name '{name}' is used twice (Exchange keeps Names unique)")
        seen.add(name.lower())


_APP_KEYS = (
    "client_id",
    "display_name",
    "secret",
    "bot",
    "requirements",
    "skipped_requirements",
    *statement.GRANT_KEYS,
)


def _statement_path(value: Any, base: Path | None, where: str) -> Path:
    """``requirements = "mailroom"`` is the project's own statement; else a path (relative
    to the seed file)."""
    if not isinstance(value, str) or not value:
        raise SeedError(f"{where}: 'requirements' must be \"mailroom\" or a path")
    if value == "mailroom":
        return statement.STATEMENT
    path = Path(value)
    return path if path.is_absolute() or base is None else base / path


def _granted(entry: Mapping[str, Any], base: Path | None, where: str) -> Mapping[str, Any]:
    """The entry, with its grants taken from a requirements statement when it names one."""
    if "requirements" not in entry:
        return entry
    listed = sorted(k for k in statement.GRANT_KEYS if k in entry)
    if listed:
        raise SeedError(
            f"{where}: an app built from its requirements lists no grants of its own "
            f"({', '.join(listed)})"
        )
    path = _statement_path(entry["requirements"], base, where)
    try:
        found = statement.load_statement(path)
    except statement.StatementError as exc:
        raise SeedError(f"{where}: {exc}") from exc
    client_id = _guid(_str(entry, "client_id", where), where)
    skipped = _skipped(entry, found, where)
    return {**entry, **statement.app_grants(found, client_id, without=skipped)}


def _skipped(
    entry: Mapping[str, Any], found: Iterable[statement.Requirement], where: str
) -> list[str]:
    """``skipped_requirements``: ids of statement entries the admin did not do (tests)."""
    skipped = _str_list(entry, "skipped_requirements", where)
    unknown = sorted(set(skipped) - {r.id for r in found})
    if unknown:
        raise SeedError(f"{where}: no requirement {', '.join(unknown)} in the statement")
    return skipped


def _assignments(
    entry: Mapping[str, Any], where: str, scopes: Mapping[str, ManagementScope]
) -> tuple[RoleAssignment, ...]:
    # An admin who skipped the scope step left assignments naming a scope that holds nothing.
    skipped_scope = bool(entry.get("skipped_requirements"))
    raw = entry.get("exchange_role_assignments", [])
    if not isinstance(raw, list):
        raise SeedError(f"{where}: 'exchange_role_assignments' must be a list of tables")
    found: list[RoleAssignment] = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("role"), str):
            raise SeedError(f"{where}: each role assignment needs a 'role'")
        _check_keys(item, ("role", "scope"), f"{where} exchange_role_assignments")
        scope = item.get("scope")
        if scope is not None and str(scope).lower() not in scopes and not skipped_scope:
            raise SeedError(f"{where}: management scope {scope!r} is not defined")
        found.append(RoleAssignment(item["role"], str(scope) if scope is not None else None))
    return tuple(found)


def _apps(
    raw: Mapping[str, Any], source: str, base: Path | None, scopes: Mapping[str, ManagementScope]
) -> list[AppRegistration]:
    apps: list[AppRegistration] = []
    for index, listed in enumerate(raw.get("apps", [])):
        where = f"{source} apps[{index}]"
        _check_keys(listed, _APP_KEYS, where)
        entry = _granted(listed, base, where)
        apps.append(
            AppRegistration(
                client_id=_guid(_str(entry, "client_id", where), where),
                display_name=_str(entry, "display_name", where),
                secret=_str(entry, "secret", where),
                application_permissions=frozenset(
                    _str_list(entry, "application_permissions", where)
                ),
                delegated_permissions=frozenset(_str_list(entry, "delegated_permissions", where)),
                is_bot=_bool(entry, "bot", where, default=False),
                exchange_role_assignments=_assignments(entry, where, scopes),
                directory_roles=frozenset(_str_list(entry, "directory_roles", where)),
                identifier_uris=tuple(_str_list(entry, "identifier_uris", where)),
                exposed_scopes=frozenset(_str_list(entry, "exposed_scopes", where)),
                pre_authorized_clients=frozenset(_str_list(entry, "pre_authorized_clients", where)),
                oauth_connection_scopes=tuple(_str_list(entry, "oauth_connection_scopes", where)),
            )
        )
    if not apps:
        raise SeedError(f"{source}: at least one [[apps]] entry is required")
    return apps


def _management_scopes(
    raw: Mapping[str, Any], source: str, base: Path | None
) -> dict[str, ManagementScope]:
    """The seed's ``[[management_scopes]]`` plus those of the requirements statements its apps
    name (a statement defines the scopes its role assignments use)."""
    entries = list(raw.get("management_scopes", []))
    named: dict[str, str] = {}
    for index, app in enumerate(raw.get("apps", [])):
        if "requirements" not in app:
            continue
        where = f"{source} apps[{index}]"
        path = _statement_path(app["requirements"], base, where)
        try:
            found = statement.load_statement(path)
        except statement.StatementError as exc:
            raise SeedError(f"{where}: {exc}") from exc
        for scope in statement.management_scopes(found, without=_skipped(app, found, where)):
            named.setdefault(scope["name"].lower(), scope["recipient_filter"])
    entries.extend({"name": n, "recipient_filter": f} for n, f in named.items())
    scopes: dict[str, ManagementScope] = {}
    for index, entry in enumerate(entries):
        where = f"{source} management_scopes[{index}]"
        _check_keys(entry, ("name", "recipient_filter"), where)
        name = _str(entry, "name", where)
        text = _str(entry, "recipient_filter", where)
        match = _SCOPE_FILTER.match(text)
        if match is None or not 1 <= int(match.group(1)) <= 15:
            raise SeedError(
                f"{where}: only \"CustomAttributeN -eq 'value'\" filters are understood"
            )
        if name.lower() in scopes:
            raise SeedError(f"{where}: management scope {name!r} is defined twice")
        scopes[name.lower()] = ManagementScope(name, text, int(match.group(1)), match.group(2))
    return scopes


def parse_seed(raw: Mapping[str, Any], *, source: str = "seed", base: Path | None = None) -> Tenant:
    """``base`` is the folder relative ``requirements`` paths of ``[[apps]]`` start from."""
    _check_keys(
        raw, ("tenant", "users", "mailboxes", "groups", "apps", "management_scopes"), source
    )
    tenant_raw = raw.get("tenant")
    if not isinstance(tenant_raw, dict):
        raise SeedError(f"{source}: a [tenant] table is required")
    _check_keys(tenant_raw, ("id", "domain", "display_name"), f"{source} [tenant]")
    domain = _str(tenant_raw, "domain", "[tenant]").lower()
    pending = _people(raw, source)
    resolve = _Resolver(pending)
    groups = _groups(raw, source, resolve)
    accounts = _with_rights(pending, resolve, _group_keys(groups))
    _check_recipient_names(accounts, groups)
    by_id = {a.id: a for a in accounts}
    scopes = _management_scopes(raw, source, base)
    return Tenant(
        id=_guid(_str(tenant_raw, "id", "[tenant]"), "[tenant] id"),
        domain=domain,
        display_name=_str(tenant_raw, "display_name", "[tenant]", default=domain),
        accounts=tuple(accounts),
        groups=tuple(groups),
        apps=tuple(_apps(raw, source, base, scopes)),
        management_scopes=tuple(scopes.values()),
        _by_key={k: by_id[v.id] for k, v in resolve.by_key.items()},
    )
