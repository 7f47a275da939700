"""Read and validate ``mailroom.toml`` into a ``Policy``.

Every problem is a ``ConfigError`` naming the key, its line, and for a misspelt key the
nearest known one ("alowed_groups" → did you mean "allowed_groups"?). The same code
backs startup and ``mailroom config check``.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any, TypeVar

from email_validator import EmailNotValidError, validate_email

from bot.domain.schedule import SendWindow, parse_days, read_clock_time, zone_named
from bot.domain.senders import (
    DEFAULT_FOOTER,
    ApprovalRule,
    ApprovalRuleKind,
    Mode,
    Policy,
    RateLimits,
    RecipientRules,
    RightsMode,
    SenderConfig,
    SenderKind,
)
from bot.errors import ConfigError

_TOP_KEYS = {
    "internal_domains", "discover", "decision_cache_seconds", "approval_expiry_hours",
    "approval_reminder_hours",
    "retention_days", "schedule_max_days", "self", "senders",
}  # fmt: skip
_SELF_KEYS = {"mode", "recipients"}
_SENDER_KEYS = {
    "address", "display_name", "kind", "mode", "allowed_groups", "templates", "recipients",
    "reply_to", "footer_text", "help_contact", "approval", "rate", "rights", "window",
}  # fmt: skip
_RECIPIENT_KEYS = {"internal_only", "allowed_domains", "max_recipients"}
_APPROVAL_KEYS = {"rule", "over_recipients", "approvers_group", "allow_self_approval"}
_RATE_KEYS = {"per_minute", "per_user_per_minute"}
_WINDOW_KEYS = {"days", "from", "to", "zone"}
_E = TypeVar("_E", SenderKind, Mode, ApprovalRuleKind, RightsMode)
_MAX_RECIPIENTS_CEILING = 1000  # Exchange's highest admin-configurable limit


@dataclass(frozen=True)
class _Source:
    path: str
    text: str

    def line_of(self, key: str, after_line: int = 0) -> int | None:
        """The first line at or after ``after_line`` where ``key`` is assigned."""
        pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
        for number, line in enumerate(self.text.splitlines(), start=1):
            if number >= after_line and pattern.match(line):
                return number
        return None

    def sender_lines(self) -> list[int]:
        return [
            number
            for number, line in enumerate(self.text.splitlines(), start=1)
            if re.match(r"^\s*\[\[\s*senders\s*\]\]", line)
        ]


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("MAILROOM_CONFIG", f"policy file not found: {path}") from None
    return parse_policy(text, str(path))


def parse_policy(text: str, path: str = "mailroom.toml") -> Policy:
    source = _Source(path, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None)
        raise ConfigError(path, f"not valid TOML: {error}", line=line) from None

    _check_keys(data, _TOP_KEYS, "", source, 0)
    internal = tuple(_domains(data.get("internal_domains", []), "internal_domains", source, 0))
    self_table = _table(data.get("self", {}), "self", source, 0)
    _check_keys(self_table, _SELF_KEYS, "self.", source, 0)
    self_mode = _enum(Mode, self_table.get("mode", "delegated"), "self.mode", source, 0)
    self_recipients = _recipients(self_table.get("recipients", {}), "self.", source, 0)

    raw_senders = data.get("senders", [])
    if not isinstance(raw_senders, list):
        raise ConfigError("senders", "must be an array of tables ([[senders]])")
    starts = source.sender_lines()
    senders: list[SenderConfig] = []
    for index, raw in enumerate(raw_senders):
        start = starts[index] if index < len(starts) else 0
        senders.append(_sender(raw, f"senders[{index}].", source, start))
    _check_unique(senders, source)

    return Policy(
        senders=tuple(senders),
        internal_domains=internal,
        self_mode=self_mode,
        self_recipients=self_recipients,
        discover=_bool(data.get("discover", False), "discover", source, 0),
        decision_cache_seconds=_int(
            data.get("decision_cache_seconds", 300), "decision_cache_seconds", source, 0, lo=0
        ),
        approval_expiry_hours=_int(
            data.get("approval_expiry_hours", 72), "approval_expiry_hours", source, 0, lo=1
        ),
        approval_reminder_hours=_int(
            data.get("approval_reminder_hours", 24), "approval_reminder_hours", source, 0, lo=0
        ),
        retention_days=_int(data.get("retention_days", 30), "retention_days", source, 0, lo=1),
        schedule_max_days=_int(
            data.get("schedule_max_days", 30), "schedule_max_days", source, 0, lo=1, hi=365
        ),
    )


def _sender(raw: Any, prefix: str, source: _Source, start: int) -> SenderConfig:
    table = _table(raw, prefix.rstrip("."), source, start)
    _check_keys(table, _SENDER_KEYS, prefix, source, start)
    for required in ("address", "kind"):
        if required not in table:
            raise ConfigError(f"{prefix}{required}", "is required", line=start or None)
    address = _email(table["address"], f"{prefix}address", source, start)
    kind = _enum(SenderKind, table["kind"], f"{prefix}kind", source, start)
    if kind is SenderKind.SELF:
        raise ConfigError(
            f"{prefix}kind", "'self' is implicit for every user; configure it under [self]"
        )
    default_mode = "application" if kind is SenderKind.NOREPLY else "delegated"
    mode = _enum(Mode, table.get("mode", default_mode), f"{prefix}mode", source, start)
    if kind is SenderKind.NOREPLY and mode is not Mode.APPLICATION:
        raise ConfigError(
            f"{prefix}mode",
            "a noreply sender always sends in application mode",
            line=source.line_of("mode", start),
        )
    raw_groups = _list(table.get("allowed_groups", []), f"{prefix}allowed_groups", source, start)
    groups = tuple(_guid(g, f"{prefix}allowed_groups", source, start) for g in raw_groups)
    if kind is SenderKind.NOREPLY and not groups:
        raise ConfigError(
            f"{prefix}allowed_groups",
            "a noreply sender needs allowed_groups: Exchange rights do not limit it, so "
            "Mailroom's policy must",
            line=start or None,
        )
    rights = _rights(table, prefix, source, start, kind=kind, mode=mode, groups=groups)
    templates_raw = table.get("templates")
    templates = (
        None
        if templates_raw is None
        else tuple(str(t) for t in _list(templates_raw, f"{prefix}templates", source, start))
    )
    reply_to = table.get("reply_to")
    approval = _approval(table.get("approval", {}), prefix, source, start)
    footer = table.get("footer_text")
    if footer is not None and kind is not SenderKind.NOREPLY:
        raise ConfigError(
            f"{prefix}footer_text",
            "only noreply senders carry the do-not-reply footer",
            line=source.line_of("footer_text", start),
        )
    return SenderConfig(
        address=address,
        display_name=str(table.get("display_name", address)),
        kind=kind,
        mode=mode,
        allowed_groups=groups,
        templates=templates,
        recipients=_recipients(table.get("recipients", {}), prefix, source, start),
        reply_to=None if reply_to is None else _email(reply_to, f"{prefix}reply_to", source, start),
        footer_text=(str(footer) if footer is not None else DEFAULT_FOOTER)
        if kind is SenderKind.NOREPLY
        else None,
        help_contact=str(table["help_contact"]) if "help_contact" in table else None,
        approval=approval,
        rate=_rate(table.get("rate", {}), prefix, source, start),
        rights=rights,
        window=None if "window" not in table else _window(table["window"], prefix, source, start),
    )


def _rights(
    table: dict[str, Any],
    prefix: str,
    source: _Source,
    start: int,
    *,
    kind: SenderKind,
    mode: Mode,
    groups: tuple[str, ...],
) -> RightsMode:
    """``rights = "policy"``: Mailroom's allowed_groups alone decide who may use the sender
    (for organisations that grant the app no Exchange role); only in application mode,
    where Mailroom is the one deciding, and never without groups."""
    if kind is SenderKind.NOREPLY:
        if table.get("rights", "policy") != "policy":
            raise ConfigError(
                f"{prefix}rights",
                'a noreply sender is always decided by Mailroom\'s policy (rights = "policy")',
                line=source.line_of("rights", start),
            )
        return RightsMode.POLICY
    rights = _enum(RightsMode, table.get("rights", "exchange"), f"{prefix}rights", source, start)
    if rights is not RightsMode.POLICY:
        return rights
    if mode is not Mode.APPLICATION:
        raise ConfigError(
            f"{prefix}rights",
            'rights = "policy" needs mode = "application": with the user\'s own token '
            "Exchange checks the user's rights whatever Mailroom decides",
            line=source.line_of("rights", start),
        )
    if not groups:
        raise ConfigError(
            f"{prefix}allowed_groups",
            'rights = "policy" needs allowed_groups: Exchange rights are not read, so the '
            "policy's groups are the only thing deciding who may use this sender",
            line=start or None,
        )
    return rights


def _recipients(raw: Any, prefix: str, source: _Source, start: int) -> RecipientRules:
    table = _table(raw, f"{prefix}recipients", source, start)
    _check_keys(table, _RECIPIENT_KEYS, f"{prefix}recipients.", source, start)
    return RecipientRules(
        internal_only=_bool(
            table.get("internal_only", False), f"{prefix}recipients.internal_only", source, start
        ),
        allowed_domains=tuple(
            _domains(
                table.get("allowed_domains", []),
                f"{prefix}recipients.allowed_domains",
                source,
                start,
            )
        ),
        max_recipients=_int(
            table.get("max_recipients", 500),
            f"{prefix}recipients.max_recipients",
            source,
            start,
            lo=1,
            hi=_MAX_RECIPIENTS_CEILING,
        ),
    )


def _approval(raw: Any, prefix: str, source: _Source, start: int) -> ApprovalRule:
    table = _table(raw, f"{prefix}approval", source, start)
    _check_keys(table, _APPROVAL_KEYS, f"{prefix}approval.", source, start)
    rule = _enum(
        ApprovalRuleKind, table.get("rule", "never"), f"{prefix}approval.rule", source, start
    )
    over = _int(
        table.get("over_recipients", 0), f"{prefix}approval.over_recipients", source, start, lo=0
    )
    if rule is ApprovalRuleKind.OVER_RECIPIENTS and over < 1:
        raise ConfigError(
            f"{prefix}approval.over_recipients",
            "is required (a positive number) with rule = 'over_recipients'",
            line=start or None,
        )
    group = table.get("approvers_group")
    if rule is not ApprovalRuleKind.NEVER and group is None:
        raise ConfigError(
            f"{prefix}approval.approvers_group",
            "is required when approval can be needed",
            line=start or None,
        )
    return ApprovalRule(
        rule=rule,
        over_recipients=over,
        approvers_group=None
        if group is None
        else _guid(group, f"{prefix}approval.approvers_group", source, start),
        allow_self_approval=_bool(
            table.get("allow_self_approval", False),
            f"{prefix}approval.allow_self_approval",
            source,
            start,
        ),
    )


def _rate(raw: Any, prefix: str, source: _Source, start: int) -> RateLimits:
    table = _table(raw, f"{prefix}rate", source, start)
    _check_keys(table, _RATE_KEYS, f"{prefix}rate.", source, start)
    per_user = table.get("per_user_per_minute")
    return RateLimits(
        per_minute=_int(
            table.get("per_minute", 30), f"{prefix}rate.per_minute", source, start, lo=1, hi=10_000
        ),
        per_user_per_minute=None
        if per_user is None
        else _int(per_user, f"{prefix}rate.per_user_per_minute", source, start, lo=1),
    )


def _window(raw: Any, prefix: str, source: _Source, start: int) -> SendWindow:
    """``[senders.window]``: ``days = "mon-fri"``, ``from = "08:00"``, ``to = "18:00"``,
    ``zone = "Europe/Berlin"`` — all four required, ``from`` before ``to``."""
    name = f"{prefix}window"
    table = _table(raw, name, source, start)
    _check_keys(table, _WINDOW_KEYS, f"{name}.", source, start)
    for required in ("days", "from", "to", "zone"):
        if required not in table:
            raise ConfigError(f"{name}.{required}", "is required", line=start or None)
    days = parse_days(table["days"]) if isinstance(table["days"], str) else None
    if days is None:
        raise ConfigError(
            f"{name}.days",
            'must be days like "mon-fri", "sat-sun" or "mon,wed,fri"',
            line=source.line_of("days", start),
        )
    opens = _clock_time(table["from"], f"{name}.from", source, start)
    closes = _clock_time(table["to"], f"{name}.to", source, start)
    if opens >= closes:
        raise ConfigError(
            f"{name}.to",
            "must be later than from (a window cannot run across midnight)",
            line=source.line_of("to", start),
        )
    zone = zone_named(table["zone"]) if isinstance(table["zone"], str) else None
    if zone is None:
        raise ConfigError(
            f"{name}.zone",
            f'not a known time zone: {table["zone"]!r} (an IANA name like "Europe/Berlin")',
            line=source.line_of("zone", start),
        )
    return SendWindow(days, opens, closes, zone)


def _clock_time(raw: Any, name: str, source: _Source, start: int) -> time:
    found = read_clock_time(raw) if isinstance(raw, str) else None
    if found is None:
        raise ConfigError(
            name, 'must be a time of day like "08:00"', line=_line(name, source, start)
        )
    return found


def _check_unique(senders: list[SenderConfig], source: _Source) -> None:
    seen: dict[str, str] = {}
    for sender in senders:
        for name in (sender.address, sender.key):
            if name in seen and seen[name] != sender.address:
                raise ConfigError("senders", f"two senders are both called {name!r}")
        if sender.address in seen:
            raise ConfigError(
                "senders", f"{sender.address} is configured twice", line=source.line_of("address")
            )
        seen[sender.address] = sender.address
        seen[sender.key] = sender.address


# --- small typed readers ---------------------------------------------------------------


def _check_keys(
    table: Mapping[str, Any], known: set[str], prefix: str, source: _Source, start: int
) -> None:
    for key in table:
        if key in known:
            continue
        close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
        hint = (
            f"; did you mean {close[0]!r}?"
            if close
            else f"; known keys: {', '.join(sorted(known))}"
        )
        raise ConfigError(f"{prefix}{key}", f"unknown key{hint}", line=source.line_of(key, start))


def _table(raw: Any, name: str, source: _Source, start: int) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(name, "must be a table", line=_line(name, source, start))
    return raw


def _list(raw: Any, name: str, source: _Source, start: int) -> list[Any]:
    if not isinstance(raw, list):
        raise ConfigError(name, "must be a list", line=_line(name, source, start))
    return raw


def _bool(raw: Any, name: str, source: _Source, start: int) -> bool:
    if not isinstance(raw, bool):
        raise ConfigError(name, "must be true or false", line=_line(name, source, start))
    return raw


def _int(
    raw: Any, name: str, source: _Source, start: int, *, lo: int = 0, hi: int | None = None
) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < lo or (hi and raw > hi):
        bound = f"from {lo} to {hi}" if hi else f"of at least {lo}"
        raise ConfigError(name, f"must be a whole number {bound}", line=_line(name, source, start))
    return raw


def _enum(kind: type[_E], raw: Any, name: str, source: _Source, start: int) -> _E:
    options = [member.value for member in kind]
    if not isinstance(raw, str) or raw not in options:
        close = difflib.get_close_matches(str(raw), options, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            name, f"must be one of {', '.join(options)}{hint}", line=_line(name, source, start)
        )
    return kind(raw)


def _email(raw: Any, name: str, source: _Source, start: int) -> str:
    try:
        return validate_email(str(raw), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ConfigError(
            name, f"not an email address: {error}", line=_line(name, source, start)
        ) from None


def _guid(raw: Any, name: str, source: _Source, start: int) -> str:
    try:
        return str(uuid.UUID(str(raw)))
    except ValueError:
        raise ConfigError(
            name,
            f"must be an Entra group object id (a GUID), got {raw!r}",
            line=_line(name, source, start),
        ) from None


def _domains(raw: Any, name: str, source: _Source, start: int) -> list[str]:
    domains = []
    for item in _list(raw, name, source, start):
        value = str(item).strip().lower().lstrip("@")
        if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", value):
            raise ConfigError(name, f"not a domain: {item!r}", line=_line(name, source, start))
        domains.append(value)
    return domains


def _line(name: str, source: _Source, start: int) -> int | None:
    return source.line_of(name.rsplit(".", 1)[-1].split("[", maxsplit=1)[0], start)
