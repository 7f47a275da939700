"""May this user send as this sender? Pure: ``decide(user, sender, facts, request)``.

Every rule that applies adds a ``Reason``; a denial reason names an explanation key
(``bot/domain/explanations.py``) that says who must do what to change it. All denial
reasons are collected, not just the first, so one card can list every fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.approvals import REASON_KEYS, reason_in_words
from bot.domain.senders import ApprovalRuleKind, Mode, Policy, RightsMode, SenderConfig, SenderKind
from bot.i18n import N_, _, format_number


class Outcome(StrEnum):
    ALLOWED = "allowed"
    NEEDS_APPROVAL = "needs_approval"
    DENIED = "denied"


class Source(StrEnum):
    """Where a fact came from, for `mailroom explain` and the audit log."""

    EXCHANGE = "exchange admin API"
    GRAPH = "Microsoft Graph"
    POLICY = "mailroom.toml"
    POLICY_RIGHTS = 'mailroom.toml (rights = "policy": Exchange is not asked)'
    NOT_ASKED = "not asked (delegated mode: Exchange checks when sending)"
    UNAVAILABLE = "could not be asked"


@dataclass(frozen=True)
class UserFacts:
    oid: str
    upn: str
    display_name: str
    has_mailbox: bool
    groups: frozenset[str] | None  # None: membership could not be read
    mail: str | None = None  # primary SMTP address

    @property
    def identities(self) -> frozenset[str]:
        """How Exchange may name this user as a trustee and still mean them: object id,
        UPN, primary SMTP address (lower-cased). Never the display name or the alias:
        two people can share those."""
        return frozenset(i.lower() for i in (self.oid, self.upn, self.mail) if i)


@dataclass(frozen=True)
class Rights:
    """The user's Exchange rights on one mailbox. ``None`` means unknown."""

    send_as: bool | None = None
    full_access: bool | None = None
    send_on_behalf: bool | None = None
    source: Source = Source.NOT_ASKED
    problem: str | None = None  # why they are unknown, when asked and failed
    app_refused: bool = False  # Exchange refused the app itself (401/403): a missing grant
    via: tuple[tuple[str, str], ...] = ()  # (right, group display name): held through a group

    @property
    def known(self) -> bool:
        return self.source is Source.EXCHANGE

    def group_for(self, right: str) -> str | None:
        """The group through which ``right`` (``send_as``, ``full_access``,
        ``send_on_behalf``) is held, when it is held through one."""
        return next((group for held, group in self.via if held == right), None)


@dataclass(frozen=True)
class RequestFacts:
    recipients: tuple[str, ...]
    template: str | None = None


@dataclass(frozen=True)
class Reason:
    """One line of the decision. ``key`` names an explanation for denials and approvals."""

    effect: str  # "grant" | "deny" | "approval" | "note"
    key: str
    text: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reasons: tuple[Reason, ...]
    verified: bool  # the Exchange rights were confirmed by Exchange

    @property
    def denials(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.effect == "deny")

    @property
    def approval_reasons(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.effect == "approval")


def decide(
    user: UserFacts,
    sender: SenderConfig,
    rights: Rights,
    policy: Policy,
    request: RequestFacts | None = None,
    *,
    group_names: Mapping[str, str] | None = None,
) -> Decision:
    """``group_names``: display names by group id, so explanations say "HR Team" (a group
    without one is named by its id)."""
    params = {"user": user.upn, "mailbox": sender.address, "sender": sender.display_name}
    reasons: list[Reason] = []
    reasons += _mailbox_reasons(user, sender, params)
    reasons += _group_reasons(user, sender, params, group_names or {})
    reasons += _rights_reasons(sender, rights, params)
    if request is not None:
        reasons += _request_reasons(user, sender, policy, request, params)
    if any(r.effect == "deny" for r in reasons):
        outcome = Outcome.DENIED
    elif any(r.effect == "approval" for r in reasons):
        outcome = Outcome.NEEDS_APPROVAL
    else:
        outcome = Outcome.ALLOWED
    verified = (
        sender.kind in (SenderKind.SELF, SenderKind.NOREPLY)
        or sender.rights is RightsMode.POLICY
        or rights.known
    )
    return Decision(outcome, tuple(reasons), verified)


def _mailbox_reasons(user: UserFacts, sender: SenderConfig, params: dict[str, str]) -> list[Reason]:
    if sender.kind is SenderKind.SELF and not user.has_mailbox:
        return [
            _deny("no_mailbox", _("{user} has no Exchange Online mailbox", user=user.upn), params)
        ]
    if sender.kind in (SenderKind.SEND_AS, SenderKind.SEND_ON_BEHALF) and not user.has_mailbox:
        # /me/sendMail needs the acting user's own mailbox.
        return [
            _deny("no_mailbox", _("{user} has no Exchange Online mailbox", user=user.upn), params)
        ]
    return []


def _group_reasons(
    user: UserFacts, sender: SenderConfig, params: dict[str, str], names: Mapping[str, str]
) -> list[Reason]:
    if not sender.allowed_groups:
        return []
    if user.groups is None:
        return [_deny("groups_unverified", _("your group membership could not be read"), params)]
    if user.groups.isdisjoint(sender.allowed_groups):
        named = [names.get(g.lower()) or names.get(g) or g for g in sender.allowed_groups]
        groups = ", ".join(named)
        return [
            _deny(
                "not_in_allowed_group",
                _(
                    "you are not in a group allowed to use {mailbox} ({groups})",
                    mailbox=sender.address,
                    groups=groups,
                ),
                {**params, "groups": groups},
            )
        ]
    return [_grant("in_allowed_group", _("you are in a group allowed to use this sender"), params)]


def _rights_reasons(sender: SenderConfig, rights: Rights, params: dict[str, str]) -> list[Reason]:
    if sender.kind in (SenderKind.SELF, SenderKind.NOREPLY):
        return []
    if sender.rights is RightsMode.POLICY:
        # The loader insists on allowed_groups here: they are the whole decision.
        return [
            Reason(
                "note",
                "rights_by_policy",
                _(
                    "Mailroom's policy decides who may use this sender (its allowed groups); "
                    "Exchange rights are not read"
                ),
                params,
            )
        ]
    if not rights.known:
        if sender.mode is Mode.APPLICATION:
            # Fail closed: with the app's token Graph would send as anyone.
            return [
                _deny(
                    "rights_app_refused" if rights.app_refused else "rights_unverified",
                    _("your rights on this mailbox could not be verified right now"),
                    {**params, "problem": rights.problem or _("Exchange did not answer")},
                )
            ]
        return [
            Reason(
                "note",
                "not_verified",
                _("allowed, not verified: Exchange checks your rights when sending"),
                params,
            )
        ]
    if sender.kind is SenderKind.SEND_AS:
        return [_need(rights, "send_as", SEND_AS, params)]
    if sender.kind is SenderKind.SEND_ON_BEHALF:
        if rights.send_on_behalf:
            return [_held(rights, "send_on_behalf", SEND_ON_BEHALF, params)]
        if rights.send_as:
            note = _(" (recipients see the mailbox)")
            return [_held(rights, "send_as", SEND_AS, params, note)]
        held = _("you do not hold {right}", right=_(SEND_ON_BEHALF))
        return [_deny("missing_send_on_behalf", held, params)]
    # shared: /users/{shared}/sendMail needs Full Access and a sending right
    reasons = [_need(rights, "full_access", FULL_ACCESS, params)]
    if rights.send_as:
        reasons.append(_held(rights, "send_as", SEND_AS, params))
    elif rights.send_on_behalf:
        reasons.append(_held(rights, "send_on_behalf", SEND_ON_BEHALF, params))
    else:
        reasons.append(
            _deny("missing_send_as", _("you hold neither Send As nor Send on Behalf"), params)
        )
    return reasons


def _request_reasons(
    user: UserFacts,
    sender: SenderConfig,
    policy: Policy,
    request: RequestFacts,
    params: dict[str, str],
) -> list[Reason]:
    reasons: list[Reason] = []
    if request.template is not None and not sender.allows_template(request.template):
        reasons.append(
            _deny(
                "template_not_allowed",
                _(
                    "the template {template!r} is not allowed for this sender",
                    template=request.template,
                ),
                {**params, "template": request.template,
                 "templates": ", ".join(sender.templates or ())},
            )
        )  # fmt: skip
    rules = sender.recipients
    count = len(request.recipients)
    if count > rules.max_recipients:
        reasons.append(
            _deny(
                "too_many_recipients",
                _(
                    "{count} recipients; this sender allows at most {max}",
                    count=format_number(count),
                    max=format_number(rules.max_recipients),
                ),
                {**params, "count": str(count), "max": str(rules.max_recipients)},
            )
        )
    external = [a for a in request.recipients if not policy.is_internal(a)]
    if external and rules.internal_only:
        reasons.append(
            _deny(
                "external_not_allowed",
                _("this sender may only write to internal recipients"),
                {**params, "external": _sample(external)},
            )
        )
    elif rules.allowed_domains:
        outside = [a for a in external if a.rsplit("@", 1)[-1].lower() not in rules.allowed_domains]
        if outside:
            reasons.append(
                _deny(
                    "domain_not_allowed",
                    _("some recipients are outside the domains this sender may write to"),
                    {**params, "external": _sample(outside),
                     "domains": ", ".join(rules.allowed_domains)},
                )
            )  # fmt: skip
    reasons += _approval_reasons(sender, count, external, params)
    return reasons


def _approval_reasons(
    sender: SenderConfig, count: int, external: Sequence[str], params: dict[str, str]
) -> list[Reason]:
    approval = sender.approval
    needed = (
        approval.rule is ApprovalRuleKind.ALWAYS
        or (approval.rule is ApprovalRuleKind.EXTERNAL and bool(external))
        or (approval.rule is ApprovalRuleKind.OVER_RECIPIENTS and count > approval.over_recipients)
    )
    if not needed:
        return []
    key = REASON_KEYS[approval.rule]
    text = reason_in_words(key, recipients=count, external=len(external), rule=approval)
    extra = {"count": str(count), "limit": str(approval.over_recipients)}
    if external:
        extra["external"] = _sample(external)
    return [Reason("approval", key, text, {**params, **extra})]


def _need(rights: Rights, right: str, label: str, params: dict[str, str]) -> Reason:
    if getattr(rights, right):
        return _held(rights, right, label, params)
    return _deny(f"missing_{right}", _("you do not hold {right}", right=_(label)), params)


def _held(rights: Rights, right: str, label: str, params: dict[str, str], note: str = "") -> Reason:
    """The grant for a right the user holds, naming the group it comes through, if any.
    ``label``: ``SEND_AS`` and the like (translated here)."""
    group = rights.group_for(right)
    if group is None:
        return _grant(f"has_{right}", _("you hold {right}", right=_(label)) + note, params)
    text = _("you hold {right} through the group {group}", right=_(label), group=group) + note
    return _grant(f"has_{right}", text, {**params, "group": group})


# Exchange's names for the rights, as its admin center shows them.
SEND_AS = N_("Send As")
SEND_ON_BEHALF = N_("Send on Behalf")
FULL_ACCESS = N_("Full Access")


def _grant(key: str, text: str, params: dict[str, str]) -> Reason:
    return Reason("grant", key, text, params)


def _deny(key: str, text: str, params: dict[str, str]) -> Reason:
    return Reason("deny", key, text, params)


def _sample(addresses: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(addresses[:limit])
    return shown if len(addresses) <= limit else f"{shown} and {len(addresses) - limit} more"
