"""Who may decide a send request that needs approval: the one rule, pure.

Approvers are the members of the sender's ``approvers_group`` (a group object id; the
caller asks Graph who is in it, fresh when a decision depends on it). Nobody decides their
own request unless the sender allows self-approval. Everyone else only looks:

=================================  ============================================
who                                may
=================================  ============================================
in the approvers group, not self   decide (``may_decide`` → None); asked to
in the group, own request          decide only with ``allow_self_approval``
the requester                      see their request, cancel it while it waits
anyone else                        nothing (``Viewer`` "other")
=================================  ============================================

Why a send needs approval is said in words (``reason_in_words``) wherever it shows: the
preview before asking, every approval card, and after a decision (the stored request keeps
only the reason's key).

The flow (``bot/flow/approvals.py``), the Teams handlers, ``/approvals`` and the outbox's
last check all ask these functions; none of them writes the rule again.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from bot.domain.senders import ApprovalRule, ApprovalRuleKind, SenderConfig
from bot.i18n import _, format_number, n_

Viewer = Literal["requester", "approver", "other"]
Refusal = Literal["not_an_approver", "self_approval"]
"""Why a decision is refused: keys of the explanation catalogue."""


def approvers_group(sender: SenderConfig | None) -> str | None:
    """The group whose members approve sends from ``sender`` (None: nobody can)."""
    return sender.approval.approvers_group if sender is not None else None


def in_group(group: str | None, groups: Collection[str]) -> bool:
    """Group ids compare without case (Graph returns them in any case)."""
    return group is not None and group.lower() in {g.lower() for g in groups}


def same_person(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def may_decide(
    sender: SenderConfig | None, *, user_oid: str, requester_oid: str, user_groups: Collection[str]
) -> Refusal | None:
    """None when ``user_oid`` (member of ``user_groups``) may approve or reject a request of
    ``requester_oid`` from ``sender``; otherwise why not."""
    if not in_group(approvers_group(sender), user_groups):
        return "not_an_approver"
    assert sender is not None  # in_group is False without a sender
    if same_person(user_oid, requester_oid) and not sender.approval.allow_self_approval:
        return "self_approval"
    return None


def is_asked(sender: SenderConfig, *, member_oid: str, requester_oid: str) -> bool:
    """Whether a member of the approvers group is asked to decide this requester's request
    (the requester is left out unless self-approval is allowed)."""
    return sender.approval.allow_self_approval or not same_person(member_oid, requester_oid)


def viewer(
    sender: SenderConfig | None,
    *,
    user_oid: str,
    requester_oid: str,
    user_groups: Collection[str],
    needed_approval: bool,
) -> Viewer:
    """Whose view of the request ``user_oid`` gets: the requester's own (even when they may
    approve it themselves: their approver card reaches them separately), an approver's for
    a request that needed approval, or nothing."""
    if same_person(user_oid, requester_oid):
        return "requester"
    if needed_approval and in_group(approvers_group(sender), user_groups):
        return "approver"
    return "other"


def decided_by_an_approver(
    sender: SenderConfig | None, *, approver_oid: str | None, requester_oid: str
) -> bool:
    """The outbox's last look at an approved request: someone other than the requester
    (unless self-approval is allowed) approved it, for a sender that has approvers. Group
    membership was checked fresh when they decided."""
    if approver_oid is None or approvers_group(sender) is None:
        return False
    assert sender is not None
    return is_asked(sender, member_oid=approver_oid, requester_oid=requester_oid)


REASON_KEYS = {
    ApprovalRuleKind.ALWAYS: "approval_always",
    ApprovalRuleKind.EXTERNAL: "approval_external",
    ApprovalRuleKind.OVER_RECIPIENTS: "approval_over_recipients",
}


def reason_in_words(key: str, *, recipients: int, external: int, rule: ApprovalRule | None) -> str:
    """Why a send needs approval, as a person would say it: "more than 20 recipients (this
    send has 21)". ``rule`` is the sender's approval rule (None: the sender is no longer
    configured, so its limit is unknown)."""
    match key:
        case "approval_always":
            return _("every send from this sender is approved first")
        case "approval_external":
            return n_(
                "{count} recipient is outside the organisation",
                "{count} recipients are outside the organisation",
                external,
            )
        case "approval_over_recipients" if rule is not None and rule.over_recipients:
            return _(
                "more than {limit} recipients (this send has {count})",
                limit=format_number(rule.over_recipients),
                count=format_number(recipients),
            )
        case "approval_over_recipients":
            return _(
                "more recipients than this sender may write to without approval ({count})",
                count=format_number(recipients),
            )
    return _("the sender's policy asks for an approval")


def approvers_in_words(group_name: str | None, members: int) -> str:
    """Who can approve: the approvers group by name, and how many people it asks."""
    people = n_("{count} person", "{count} people", members)
    return f"{group_name or _('the approvers group')} ({people})"
