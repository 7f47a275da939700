"""The permission decision over the demo tenant: every demo user x every configured sender.

Rights and groups are read from the demo seed (emulator/seeds/demo.toml), the same data
the emulator serves; the policy is mailroom.example.toml.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from bot.domain.permissions import Outcome, RequestFacts, Rights, Source, UserFacts, decide
from bot.domain.senders import Mode, RightsMode, SenderConfig
from bot.policy.loader import load_policy

ROOT = Path(__file__).resolve().parents[2]
SEED = tomllib.loads((ROOT / "emulator/seeds/demo.toml").read_text(encoding="utf-8"))
POLICY = load_policy(ROOT / "mailroom.example.toml")
USERS = {u["upn"].split(".")[0]: u for u in SEED["users"]}


def groups_of(upn: str) -> frozenset[str]:
    """Transitive membership, as Graph's transitiveMemberOf reports it."""
    direct = {g["id"] for g in SEED["groups"] if upn in g.get("members", [])}
    changed = True
    while changed:
        nested = {g["id"] for g in SEED["groups"] if direct & set(g.get("members", []))}
        changed = not nested <= direct
        direct |= nested
    return frozenset(direct)


def rights_on(upn: str, mailbox: str) -> Rights:
    for box in SEED.get("mailboxes", []):
        if box["address"] == mailbox:
            return Rights(
                send_as=upn in box.get("send_as", []),
                full_access=upn in box.get("full_access", []),
                send_on_behalf=upn in box.get("send_on_behalf", []),
                source=Source.EXCHANGE,
            )
    for user in SEED["users"]:
        if user["upn"] == mailbox:
            return Rights(
                send_as=upn in user.get("send_as", []),
                full_access=upn in user.get("full_access", []),
                send_on_behalf=upn in user.get("send_on_behalf", []),
                source=Source.EXCHANGE,
            )
    raise AssertionError(f"no mailbox {mailbox} in the seed")


def user(name: str) -> UserFacts:
    raw = USERS[name]
    return UserFacts(
        oid=raw["id"],
        upn=raw["upn"],
        display_name=raw["display_name"],
        has_mailbox=raw.get("mailbox", True),
        groups=groups_of(raw["upn"]),
    )


def sender(key: str) -> SenderConfig:
    found = POLICY.sender(key)
    assert found is not None
    return found


ALLOWED, APPROVAL, DENIED = Outcome.ALLOWED, Outcome.NEEDS_APPROVAL, Outcome.DENIED

# user x sender → outcome and the denial keys (for one internal recipient)
MATRIX = [
    ("adele", "support", ALLOWED, set()),
    ("alex", "support", ALLOWED, set()),
    ("grady", "support", DENIED, {"missing_full_access"}),  # Send As, no Full Access
    (
        "diego",
        "support",
        DENIED,
        {"not_in_allowed_group", "missing_full_access", "missing_send_as"},
    ),
    (
        "megan",
        "support",
        DENIED,
        {"not_in_allowed_group", "missing_full_access", "missing_send_as"},
    ),
    (
        "lynne",
        "support",
        DENIED,
        {"not_in_allowed_group", "missing_full_access", "missing_send_as"},
    ),
    (
        "johanna",
        "support",
        DENIED,
        {"not_in_allowed_group", "missing_full_access", "missing_send_as"},
    ),
    (
        "patti",
        "support",
        DENIED,
        {"not_in_allowed_group", "missing_full_access", "missing_send_as"},
    ),
    ("diego", "hr", ALLOWED, set()),
    ("adele", "hr", DENIED, {"not_in_allowed_group", "missing_full_access", "missing_send_as"}),
    ("johanna", "hr", DENIED, {"not_in_allowed_group", "missing_full_access", "missing_send_as"}),
    ("megan", "events", ALLOWED, set()),  # Send As, no Full Access: the /me form
    ("lynne", "events", ALLOWED, set()),
    ("adele", "events", DENIED, {"missing_send_as"}),
    ("lynne", "megan.bowen", ALLOWED, set()),  # the assistant with Send on Behalf only
    ("adele", "megan.bowen", DENIED, {"missing_send_on_behalf"}),
    ("johanna", "megan.bowen", DENIED, {"missing_send_on_behalf"}),
    ("patti", "megan.bowen", DENIED, {"no_mailbox", "missing_send_on_behalf"}),
    ("adele", "noreply", ALLOWED, set()),
    ("megan", "noreply", ALLOWED, set()),
    ("alex", "noreply", DENIED, {"not_in_allowed_group"}),  # outside the allowed groups
    ("johanna", "noreply", DENIED, {"not_in_allowed_group"}),
]


@pytest.mark.parametrize(("who", "key", "outcome", "denials"), MATRIX)
def test_demo_user_by_sender(who: str, key: str, outcome: Outcome, denials: set[str]) -> None:
    configured = sender(key)
    decision = decide(
        user(who),
        configured,
        rights_on(USERS[who]["upn"], configured.address),
        POLICY,
        RequestFacts(recipients=("someone@contoso.com",)),
    )
    assert decision.outcome is outcome, decision.reasons
    assert {r.key for r in decision.denials} == denials


def test_self_is_allowed_for_a_user_with_a_mailbox_and_denied_without() -> None:
    for who, expected in (("johanna", ALLOWED), ("patti", DENIED)):
        facts = user(who)
        decision = decide(
            facts, POLICY.self_sender(facts.upn, facts.display_name), Rights(), POLICY
        )
        assert decision.outcome is expected
    patti = user("patti")
    denied = decide(patti, POLICY.self_sender(patti.upn, patti.display_name), Rights(), POLICY)
    assert [r.key for r in denied.denials] == ["no_mailbox"]


def test_application_mode_without_verified_rights_fails_closed() -> None:
    unavailable = Rights(source=Source.UNAVAILABLE, problem="503 from Exchange")
    decision = decide(user("adele"), sender("support"), unavailable, POLICY)
    assert decision.outcome is DENIED
    assert [r.key for r in decision.denials] == ["rights_unverified"]
    assert not decision.verified


def test_delegated_mode_without_the_exchange_api_is_allowed_but_marked_unverified() -> None:
    delegated = SenderConfig(
        address="support@contoso.com",
        display_name="Contoso Support",
        kind=sender("support").kind,
        mode=Mode.DELEGATED,
    )
    decision = decide(user("johanna"), delegated, Rights(), POLICY)
    assert decision.outcome is ALLOWED
    assert not decision.verified
    assert [r.key for r in decision.reasons] == ["not_verified"]


def test_unreadable_group_membership_denies_a_group_limited_sender() -> None:
    unknown = UserFacts("x", "adele.vance@contoso.com", "Adele", True, groups=None)
    decision = decide(unknown, sender("noreply"), Rights(), POLICY)
    assert [r.key for r in decision.denials] == ["groups_unverified"]


def test_600_recipients_exceed_the_default_limit() -> None:
    recipients = tuple(f"user{i}@contoso.com" for i in range(600))
    decision = decide(
        user("adele"),
        sender("support"),
        rights_on("adele.vance@contoso.com", "support@contoso.com"),
        POLICY,
        RequestFacts(recipients=recipients, template="ticket-reply"),
    )
    assert decision.outcome is DENIED
    (denial,) = decision.denials
    assert denial.key == "too_many_recipients"
    assert denial.params["count"] == "600"


def test_an_external_recipient_on_an_internal_only_sender_is_denied() -> None:
    internal_only = SenderConfig(
        address="hr@contoso.com",
        display_name="Contoso HR",
        kind=sender("hr").kind,
        mode=Mode.APPLICATION,
        recipients=type(sender("hr").recipients)(internal_only=True),
    )
    decision = decide(
        user("diego"),
        internal_only,
        rights_on("diego.siciliani@contoso.com", "hr@contoso.com"),
        POLICY,
        RequestFacts(recipients=("ann@contoso.com", "bob@fabrikam.com")),
    )
    assert [r.key for r in decision.denials] == ["external_not_allowed"]
    assert "bob@fabrikam.com" in decision.denials[0].params["external"]


def test_hr_to_an_external_recipient_needs_approval() -> None:
    decision = decide(
        user("diego"),
        sender("hr"),
        rights_on("diego.siciliani@contoso.com", "hr@contoso.com"),
        POLICY,
        RequestFacts(recipients=("candidate@fabrikam.com",), template="hr-announcement"),
    )
    assert decision.outcome is APPROVAL
    assert [r.key for r in decision.approval_reasons] == ["approval_external"]


def test_noreply_over_20_recipients_needs_approval_and_a_wrong_template_is_denied() -> None:
    many = tuple(f"c{i}@fabrikam.com" for i in range(21))
    approval = decide(
        user("adele"), sender("noreply"), Rights(), POLICY, RequestFacts(many, "outage-notice")
    )
    assert approval.outcome is APPROVAL
    wrong = decide(
        user("adele"), sender("noreply"), Rights(), POLICY, RequestFacts(many[:1], "ticket-reply")
    )
    assert [r.key for r in wrong.denials] == ["template_not_allowed"]


def test_a_policy_decided_sender_needs_only_the_allowed_groups_and_counts_as_verified() -> None:
    hr = POLICY.sender("hr@contoso.com")
    assert hr is not None
    by_policy = replace(hr, rights=RightsMode.POLICY)
    unasked = Rights(source=Source.POLICY_RIGHTS)

    member = decide(user("diego"), by_policy, unasked, POLICY)
    outsider = decide(user("johanna"), by_policy, unasked, POLICY)

    assert member.outcome is Outcome.ALLOWED
    assert member.verified
    assert "rights_by_policy" in [r.key for r in member.reasons]
    assert outsider.outcome is Outcome.DENIED
    assert [r.key for r in outsider.denials] == ["not_in_allowed_group"]


def test_a_group_denial_names_the_groups_by_display_name_when_known() -> None:
    hr = sender("hr")
    named = decide(user("adele"), hr, rights_on(USERS["adele"]["upn"], hr.address), POLICY,
                   group_names={g.lower(): "HR Team" for g in hr.allowed_groups})  # fmt: skip
    unnamed = decide(user("adele"), hr, rights_on(USERS["adele"]["upn"], hr.address), POLICY)
    (by_name,) = [r for r in named.denials if r.key == "not_in_allowed_group"]
    (by_id,) = [r for r in unnamed.denials if r.key == "not_in_allowed_group"]
    assert by_name.params["groups"] == "HR Team"
    assert "HR Team" in by_name.text
    assert by_id.params["groups"] == ", ".join(hr.allowed_groups)  # no name: the id, not nothing
