"""Who you are in the Agents Playground, and the mock-tenant file written for it."""

from __future__ import annotations

import json
import uuid

import pytest

from bot.devmode import playground_config
from bot.errors import ConfigError
from emulator.seed import DEMO_SEED, Tenant, load_seed, parse_seed

DEMO = load_seed(DEMO_SEED)


def _tenant(names: list[str]) -> Tenant:
    users = [
        {"id": str(uuid.uuid4()), "upn": f"user{i}@example.org", "display_name": name}
        for i, name in enumerate(names)
    ]
    return parse_seed(
        {
            "tenant": {"id": str(uuid.uuid4()), "domain": "example.org", "display_name": "Ex"},
            "users": users,
            "apps": [
                {"client_id": str(uuid.uuid4()), "display_name": "Bot", "secret": "s", "bot": True}
            ],
        }
    )


def _scalar(text: str, key: str) -> str:
    """The JSON-quoted value of the first ``key:`` line."""
    for line in text.splitlines():
        name, _, value = line.strip().removeprefix("- ").partition(": ")
        if name == key:
            decoded: str = json.loads(value)
            return decoded
    raise AssertionError(f"no {key} in:\n{text}")


@pytest.mark.parametrize(
    "wanted", ["megan", "Megan", "megan.bowen@contoso.com", "MEGAN.BOWEN", "Megan Bowen"]
)
def test_as_picks_the_demo_user_by_first_name_upn_alias_or_name(wanted: str) -> None:
    assert playground_config.pick_user(DEMO, wanted).upn == "megan.bowen@contoso.com"


def test_without_as_you_are_the_seeds_first_person_with_a_mailbox() -> None:
    assert playground_config.pick_user(DEMO, None).upn == "adele.vance@contoso.com"


def test_an_unknown_demo_user_is_refused_with_the_choices() -> None:
    with pytest.raises(ConfigError) as caught:
        playground_config.pick_user(DEMO, "mallory")
    assert caught.value.setting == "--as"
    assert "megan" in caught.value.problem
    assert "adele" in caught.value.problem


def test_an_ambiguous_first_name_asks_for_the_upn() -> None:
    tenant = _tenant(["Sam One", "Sam Two", "C", "D", "E", "F"])
    with pytest.raises(ConfigError, match="give the UPN"):
        playground_config.pick_user(tenant, "sam")


def test_shared_mailboxes_are_not_people_you_can_be() -> None:
    with pytest.raises(ConfigError):
        playground_config.pick_user(DEMO, "support@contoso.com")


def test_config_names_the_emulated_tenant_and_your_object_id() -> None:
    megan = playground_config.pick_user(DEMO, "megan")
    text = playground_config.render(DEMO, megan)
    assert _scalar(text, "tenantId") == DEMO.id
    current = text.split("currentUser:")[1].split("users:")[0]
    assert _scalar(current, "aadObjectId") == megan.id
    assert _scalar(current, "id") == f"29:{megan.id}"
    assert _scalar(current, "userPrincipleName") == "megan.bowen@contoso.com"
    assert _scalar(text.split("bot:")[1], "id") == f"28:{DEMO.bot_app.client_id}"
    assert _scalar(text.split("personalChat:")[1], "id") == f"a:mailroom-dev-{megan.id}"


def test_config_lists_exactly_five_other_demo_users() -> None:
    adele = playground_config.pick_user(DEMO, None)
    users = playground_config.render(DEMO, adele).split("users:")[1].split("personalChat:")[0]
    ids = [
        json.loads(line.split(": ", 1)[1]) for line in users.splitlines() if "aadObjectId" in line
    ]
    assert len(ids) == 5
    assert adele.id not in ids
    assert set(ids) <= {account.id for account in DEMO.accounts}


def test_a_seed_with_too_few_people_is_refused() -> None:
    tenant = _tenant(["A B", "C D", "E F"])
    with pytest.raises(ConfigError, match="needs 6 users"):
        playground_config.render(tenant, playground_config.pick_user(tenant, None))


def test_names_with_quotes_colons_and_accents_stay_intact() -> None:
    odd = 'Zoë "Ops" O\'Brien: #1'
    tenant = _tenant([odd, "B b", "C c", "D d", "E e", "F f"])
    text = playground_config.render(tenant, playground_config.pick_user(tenant, None))
    assert _scalar(text.split("currentUser:")[1], "name") == odd
    assert _scalar(text.split("currentUser:")[1], "givenName") == "Zoë"
