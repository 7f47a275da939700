"""Who may decide a request that needs approval — the one rule every caller asks."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain.approvals import decided_by_an_approver, is_asked, may_decide, viewer
from bot.domain.senders import ApprovalRule, ApprovalRuleKind, Mode, SenderConfig, SenderKind

GROUP = "B24C3E6B-01B6-4CBF-97F5-38261EBE40D6"
NOREPLY = SenderConfig(
    address="noreply@contoso.com",
    display_name="Contoso Notices",
    kind=SenderKind.NOREPLY,
    mode=Mode.APPLICATION,
    approval=ApprovalRule(ApprovalRuleKind.ALWAYS, approvers_group=GROUP),
)
SELF_OK = replace(NOREPLY, approval=replace(NOREPLY.approval, allow_self_approval=True))
NO_GROUP = replace(NOREPLY, approval=ApprovalRule(ApprovalRuleKind.ALWAYS))
APPROVER, REQUESTER = "oid-megan", "oid-adele"


@pytest.mark.parametrize(
    ("sender", "user", "groups", "expected"),
    [
        (NOREPLY, APPROVER, {GROUP.lower()}, None),  # group ids compare without case
        (NOREPLY, APPROVER, set(), "not_an_approver"),
        (NOREPLY, REQUESTER, {GROUP}, "self_approval"),
        (NOREPLY, REQUESTER.upper(), {GROUP}, "self_approval"),  # object ids: any case
        (SELF_OK, REQUESTER, {GROUP}, None),
        (NO_GROUP, APPROVER, {GROUP}, "not_an_approver"),
        (None, APPROVER, {GROUP}, "not_an_approver"),  # a sender no longer configured
    ],
)
def test_who_may_decide(
    sender: SenderConfig | None, user: str, groups: set[str], expected: str | None
) -> None:
    assert (
        may_decide(sender, user_oid=user, requester_oid=REQUESTER, user_groups=groups) == expected
    )


def test_the_requester_is_asked_to_approve_only_when_self_approval_is_allowed() -> None:
    assert is_asked(NOREPLY, member_oid=APPROVER, requester_oid=REQUESTER)
    assert not is_asked(NOREPLY, member_oid=REQUESTER, requester_oid=REQUESTER)
    assert is_asked(SELF_OK, member_oid=REQUESTER, requester_oid=REQUESTER)


def test_each_person_gets_their_own_view() -> None:
    def seen(user: str, groups: set[str], *, needed: bool = True) -> str:
        return viewer(
            NOREPLY, user_oid=user, requester_oid=REQUESTER, user_groups=groups,
            needed_approval=needed,
        )  # fmt: skip

    assert seen(REQUESTER, {GROUP}) == "requester"  # even when also an approver
    assert seen(APPROVER, {GROUP}) == "approver"
    assert seen(APPROVER, set()) == "other"
    assert seen(APPROVER, {GROUP}, needed=False) == "other"  # nothing to decide: not theirs


def test_the_outbox_sends_an_approved_request_only_if_the_approver_could_decide_it() -> None:
    assert decided_by_an_approver(NOREPLY, approver_oid=APPROVER, requester_oid=REQUESTER)
    assert not decided_by_an_approver(NOREPLY, approver_oid=REQUESTER, requester_oid=REQUESTER)
    assert decided_by_an_approver(SELF_OK, approver_oid=REQUESTER, requester_oid=REQUESTER)
    assert not decided_by_an_approver(NO_GROUP, approver_oid=APPROVER, requester_oid=REQUESTER)
    assert not decided_by_an_approver(NOREPLY, approver_oid=None, requester_oid=REQUESTER)


def test_the_reason_for_approval_is_said_in_words_not_by_the_rule_name() -> None:
    from bot.domain.approvals import approvers_in_words, reason_in_words
    from bot.domain.senders import ApprovalRule, ApprovalRuleKind

    rule = ApprovalRule(ApprovalRuleKind.OVER_RECIPIENTS, over_recipients=20)
    words = reason_in_words("approval_over_recipients", recipients=21, external=21, rule=rule)
    assert words == "more than 20 recipients (this send has 21)"
    gone = reason_in_words("approval_over_recipients", recipients=21, external=0, rule=None)
    assert "over_recipients" not in gone
    assert "over recipients" not in gone
    assert reason_in_words("approval_external", recipients=3, external=1, rule=None) == (
        "1 recipient is outside the organisation"
    )
    assert approvers_in_words("Notice Approvers", 2) == "Notice Approvers (2 people)"
