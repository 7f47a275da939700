"""Rights are matched by identity and held through groups: the decision's side of it, and
the matcher against a fake rights source and a Graph stand-in (httpx.MockTransport)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.domain.permissions import Outcome, Rights, Source, UserFacts, decide
from bot.domain.senders import Mode, Policy, SenderConfig, SenderKind
from bot.exchange.source import Recipient, Right, Trustees
from bot.flow.trustees import TrusteeMatcher
from bot.graph import GraphClient, MailboxLimiter
from bot.netclient import RetryPolicy
from tests.clients.helpers import GRAPH, FixedTokens

JORDAN = UserFacts(
    oid="a1111111-1111-4111-8111-111111111111",
    upn="jordan.lee@fabrikam.com",
    display_name="Jordan Lee",
    has_mailbox=True,
    groups=frozenset(),
    mail="jordan.lee@fabrikam.com",
)
NAMESAKE = UserFacts(
    oid="a2222222-2222-4222-8222-222222222222",
    upn="jordan.lee2@fabrikam.com",
    display_name="Jordan Lee",
    has_mailbox=True,
    groups=frozenset(),
    mail="jordan.lee2@fabrikam.com",
)
TEAM = Recipient("Escalations Team", "c1111111-1111-4111-8111-111111111111",
                 "escalations-team@fabrikam.com", "Escalations Team", is_group=True)  # fmt: skip
OLD_NAME = Recipient("Jordan Lee", JORDAN.oid, JORDAN.mail, "Jordan Lee", is_group=False)
SHARED = SenderConfig("escalations@fabrikam.com", "Escalations", SenderKind.SHARED,
                      Mode.APPLICATION)  # fmt: skip
POLICY = Policy(senders=(SHARED,), internal_domains=("fabrikam.com",))


def test_a_user_is_named_by_object_id_upn_and_address_never_by_display_name() -> None:
    assert JORDAN.identities == {JORDAN.oid, "jordan.lee@fabrikam.com"}
    assert "jordan lee" not in JORDAN.identities
    assert "jordan.lee" not in JORDAN.identities  # the alias can be someone else's Name


def test_a_right_held_through_a_group_names_the_group() -> None:
    team = "Escalations Team"
    rights = Rights(send_as=True, full_access=True, send_on_behalf=False, source=Source.EXCHANGE,
                    via=(("send_as", team), ("full_access", team)))  # fmt: skip

    decision = decide(JORDAN, SHARED, rights, POLICY)

    assert decision.outcome is Outcome.ALLOWED
    texts = [r.text for r in decision.reasons]
    assert "you hold Full Access through the group Escalations Team" in texts
    assert "you hold Send As through the group Escalations Team" in texts


class FakeSource:
    """Exchange as the tests want it: names → recipients; counts what was resolved."""

    def __init__(self, recipients: dict[str, Recipient]) -> None:
        self.recipients = recipients
        self.asked: list[str] = []

    async def trustees(self, mailbox: str, right: Right) -> Trustees:
        raise AssertionError("not used here")

    async def recipient(self, name: str) -> Recipient | None:
        self.asked.append(name)
        return self.recipients.get(name)

    async def mailboxes_user_can_send_as(self, user: str) -> frozenset[str]:
        return frozenset()


@pytest.fixture
async def graph() -> AsyncIterator[tuple[GraphClient, list[str]]]:
    """Graph's checkMemberGroups: Jordan is in the Escalations Team (transitively)."""
    asked: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        user = request.url.path.split("/")[-2]
        asked.append(user)
        wanted = json.loads(request.content)["groupIds"]
        member = [g for g in wanted if user == JORDAN.oid and g == TEAM.object_id]
        return httpx.Response(200, json={"value": member})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = GraphClient(
            http, FixedTokens(), GRAPH, limiter=MailboxLimiter(), retry=RetryPolicy(max_attempts=1)
        )
        yield client, asked


def matcher(source: FakeSource, graph: GraphClient, clock: list[float]) -> TrusteeMatcher:
    return TrusteeMatcher(source, graph, ttl=300, clock=lambda: clock[0])


async def test_an_older_recipient_name_counts_only_for_the_person_it_resolves_to(
    graph: tuple[GraphClient, list[str]],
) -> None:
    source = FakeSource({"jordan lee": OLD_NAME})
    trustees = Trustees(allowed=frozenset({"jordan lee"}))  # Exchange's GrantSendOnBehalfTo
    match = matcher(source, graph[0], [0.0])

    assert (await match.holding(JORDAN, trustees, fresh=False)).held
    assert not (await match.holding(NAMESAKE, trustees, fresh=False)).held


async def test_a_group_trustee_counts_for_members_and_is_cached_until_fresh(
    graph: tuple[GraphClient, list[str]],
) -> None:
    client, graph_calls = graph
    source = FakeSource({"escalations team": TEAM})
    trustees = Trustees(allowed=frozenset({"escalations team"}))
    clock = [0.0]
    match = matcher(source, client, clock)

    member = await match.holding(JORDAN, trustees, fresh=False)
    other = await match.holding(NAMESAKE, trustees, fresh=False)
    again = await match.holding(JORDAN, trustees, fresh=False)
    asked_before_fresh = (len(source.asked), len(graph_calls))
    fresh = await match.holding(JORDAN, trustees, fresh=True)

    assert (member.held, member.via_group) == (True, "Escalations Team")
    assert not other.held
    assert again == member
    assert asked_before_fresh == (1, 2)  # one name resolved; one membership check each
    assert fresh == member
    assert (len(source.asked), len(graph_calls)) == (2, 3)  # fresh asked both again


async def test_a_deny_wins_over_an_allow_however_either_is_reached(
    graph: tuple[GraphClient, list[str]],
) -> None:
    source = FakeSource({"escalations team": TEAM})
    match = matcher(source, graph[0], [0.0])
    denied_through_group = Trustees(
        allowed=frozenset({JORDAN.upn}), denied=frozenset({"escalations team"})
    )
    denied_directly = Trustees(
        allowed=frozenset({"escalations team"}), denied=frozenset({JORDAN.oid})
    )

    assert not (await match.holding(JORDAN, denied_through_group, fresh=False)).held
    assert not (await match.holding(JORDAN, denied_directly, fresh=False)).held


async def test_a_direct_match_asks_nobody(graph: tuple[GraphClient, list[str]]) -> None:
    client, graph_calls = graph
    source = FakeSource({})
    match = matcher(source, client, [0.0])

    held = await match.holding(
        JORDAN, Trustees(allowed=frozenset({JORDAN.upn, "someone.else@fabrikam.com"})), fresh=True
    )

    assert held.held
    assert (source.asked, graph_calls) == ([], [])
