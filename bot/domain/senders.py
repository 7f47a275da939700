"""Senders and the policy around them: the data the permission decision reads.

Pure data, no I/O. ``bot/policy/loader.py`` builds these from ``mailroom.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.schedule import SendWindow


class SenderKind(StrEnum):
    SELF = "self"
    SEND_AS = "send_as"
    SEND_ON_BEHALF = "send_on_behalf"
    SHARED = "shared"
    NOREPLY = "noreply"


class Mode(StrEnum):
    DELEGATED = "delegated"  # the user's own Graph token; Exchange enforces rights
    APPLICATION = "application"  # the app's token; Mailroom must verify rights first


class RightsMode(StrEnum):
    """Who says whether a user may use a sender beyond the policy's rules."""

    EXCHANGE = "exchange"  # the user's Exchange rights, read through the admin API
    POLICY = "policy"  # only Mailroom's allowed_groups; the app's RBAC scope is the fence


class ApprovalRuleKind(StrEnum):
    NEVER = "never"
    ALWAYS = "always"
    EXTERNAL = "external"
    OVER_RECIPIENTS = "over_recipients"


DEFAULT_FOOTER = "This message was sent from an unmonitored mailbox. Please do not reply to it."
DEFAULT_MAX_RECIPIENTS = 500


@dataclass(frozen=True)
class RecipientRules:
    internal_only: bool = False
    allowed_domains: tuple[str, ...] = ()  # empty = any (subject to internal_only)
    max_recipients: int = DEFAULT_MAX_RECIPIENTS


@dataclass(frozen=True)
class ApprovalRule:
    rule: ApprovalRuleKind = ApprovalRuleKind.NEVER
    over_recipients: int = 0  # with OVER_RECIPIENTS: approval when more than this
    approvers_group: str | None = None
    allow_self_approval: bool = False


@dataclass(frozen=True)
class RateLimits:
    per_minute: int = 30  # Exchange's default message rate per mailbox
    per_user_per_minute: int | None = None


@dataclass(frozen=True)
class SenderConfig:
    address: str  # lower-case SMTP address
    display_name: str
    kind: SenderKind
    mode: Mode
    allowed_groups: tuple[str, ...] = ()  # empty = anyone holding the Exchange right
    templates: tuple[str, ...] | None = None  # None = every template
    recipients: RecipientRules = field(default_factory=RecipientRules)
    reply_to: str | None = None
    footer_text: str | None = None
    help_contact: str | None = None
    approval: ApprovalRule = field(default_factory=ApprovalRule)
    rate: RateLimits = field(default_factory=RateLimits)
    discovered: bool = False  # listed because Exchange said so, not configured
    rights: RightsMode = RightsMode.EXCHANGE
    window: SendWindow | None = None
    """When its bulk sends may go out; ``None``: any time."""

    @property
    def key(self) -> str:
        """The short name users type (`/send from:support`)."""
        return self.address.split("@", 1)[0]

    @property
    def can_send_later(self) -> bool:
        """A delegated sender sends with the user's own token, which Mailroom holds only in
        memory for a while after they signed in: a send hours later (or after a restart)
        could not get it. Only senders Mailroom sends for itself may schedule a send."""
        return self.mode is Mode.APPLICATION

    def allows_template(self, name: str) -> bool:
        return self.templates is None or name in self.templates


@dataclass(frozen=True)
class Policy:
    senders: tuple[SenderConfig, ...]
    internal_domains: tuple[str, ...]
    self_mode: Mode = Mode.DELEGATED
    self_recipients: RecipientRules = field(default_factory=RecipientRules)
    discover: bool = False
    decision_cache_seconds: int = 300
    approval_expiry_hours: int = 72
    approval_reminder_hours: int = 24  # one reminder to the approvers after this; 0: none
    retention_days: int = 30
    schedule_max_days: int = 30
    """How far ahead "Send later" may schedule a send."""

    def sender(self, address_or_key: str) -> SenderConfig | None:
        wanted = address_or_key.strip().lower()
        for sender in self.senders:
            if wanted in (sender.address, sender.key):
                return sender
        return None

    def self_sender(self, address: str, display_name: str) -> SenderConfig:
        """The implicit `self` sender of a user with a mailbox."""
        return SenderConfig(
            address=address.lower(),
            display_name=display_name,
            kind=SenderKind.SELF,
            mode=self.self_mode,
            recipients=self.self_recipients,
        )

    def is_internal(self, address: str) -> bool:
        domain = address.rsplit("@", 1)[-1].lower()
        return any(domain == d or domain.endswith("." + d) for d in self.internal_domains)
