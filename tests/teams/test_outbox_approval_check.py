"""The outbox's last check before an application-mode send asks the approval rule too: a
request whose stored approval the rule would not have allowed is not sent."""

from __future__ import annotations

from bot.domain.send_request import SendRequest, SendState
from bot.domain.senders import (
    ApprovalRule,
    ApprovalRuleKind,
    Mode,
    Policy,
    SenderConfig,
    SenderKind,
)
from bot.flow.approvals import ApprovedOnly
from bot.outbox.guard import GuardResult
from bot.store import ApprovalDecision, Store
from tests.store.conftest import clock, database_url, open_another, store  # noqa: F401
from tests.store.helpers import Clock, draft

NOREPLY = SenderConfig(
    address="noreply@contoso.com",
    display_name="Contoso Notices",
    kind=SenderKind.NOREPLY,
    mode=Mode.APPLICATION,
    approval=ApprovalRule(ApprovalRuleKind.ALWAYS, approvers_group="group-approvers"),
)
POLICY = Policy(senders=(NOREPLY,), internal_domains=("contoso.com",))


class Allow:
    def __init__(self) -> None:
        self.asked = 0

    async def check(self, request: SendRequest) -> GuardResult:
        self.asked += 1
        return GuardResult(True)


async def decided(db: Store, now: Clock, approver: str, decision: ApprovalDecision) -> str:
    request, messages = draft(now.now, sender="noreply@contoso.com", requester_oid="oid-adele")
    await db.create_request(request, messages)
    await db.transition(request.id, 1, SendState.PENDING_APPROVAL)
    await db.decide_approval(request.id, approver, decision)
    return request.id


async def test_an_approval_by_someone_the_rule_allows_goes_on_to_the_permission_check(
    store: Store,  # noqa: F811 - the imported fixture
    clock: Clock,  # noqa: F811
) -> None:
    inner = Allow()
    request_id = await decided(store, clock, "oid-megan", ApprovalDecision.APPROVED)
    result = await ApprovedOnly(inner, store, POLICY).check(await store.get_request(request_id))
    assert result.allowed
    assert inner.asked == 1


async def test_a_self_approval_the_sender_does_not_allow_is_not_sent(
    store: Store,  # noqa: F811
    clock: Clock,  # noqa: F811
) -> None:
    inner = Allow()
    request_id = await decided(store, clock, "OID-ADELE", ApprovalDecision.APPROVED)
    result = await ApprovedOnly(inner, store, POLICY).check(await store.get_request(request_id))
    assert not result.allowed
    assert result.explanation_key == "not_an_approver"
    assert inner.asked == 0


async def test_a_request_without_an_approval_is_left_to_the_permission_check(
    store: Store,  # noqa: F811
    clock: Clock,  # noqa: F811
) -> None:
    inner = Allow()
    request, messages = draft(clock.now, sender="noreply@contoso.com")
    await store.create_request(request, messages)
    assert (await ApprovedOnly(inner, store, POLICY).check(request)).allowed
    assert inner.asked == 1
