"""The seed format and the demo tenant's promises to other tests."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.seed import DEMO_SEED, SeedError, load_seed, parse_seed


def test_demo_tenant_has_the_people_other_tests_rely_on() -> None:
    tenant = load_seed(DEMO_SEED)

    people = {a.upn for a in tenant.accounts if a.kind == "member"}
    assert {
        "adele.vance@contoso.com",
        "alex.wilber@contoso.com",
        "grady.archie@contoso.com",
        "diego.siciliani@contoso.com",
        "megan.bowen@contoso.com",
        "lynne.robbins@contoso.com",
        "johanna.lorenz@contoso.com",
        "patti.fernandez@contoso.com",
    } <= people
    support = tenant.account("support@contoso.com")
    assert support is not None
    assert support.kind == "shared"
    grady = tenant.account("grady.archie@contoso.com")
    assert grady is not None
    assert grady.id in support.send_as
    assert grady.id not in support.full_access
    patti = tenant.account("patti.fernandez@contoso.com")
    assert patti is not None
    assert not patti.has_mailbox
    assert {g.display_name for g in tenant.groups} >= {
        "Support Agents",
        "HR Team",
        "Ops Notifiers",
        "Notice Approvers",
    }
    assert tenant.bot_app.secret == "demo-secret-not-for-production"


def _minimal(**extra: Any) -> dict[str, Any]:
    seed: dict[str, Any] = {
        "tenant": {"id": "00000000-0000-4000-8000-000000000001", "domain": "example.com"},
        "users": [
            {
                "id": "00000000-0000-4000-8000-000000000002",
                "upn": "a@example.com",
                "display_name": "A",
            }
        ],
        "apps": [
            {
                "client_id": "00000000-0000-4000-8000-000000000003",
                "display_name": "App",
                "secret": "s",
            }
        ],
    }
    seed.update(extra)
    return seed


def test_minimal_seed_loads() -> None:
    tenant = parse_seed(_minimal())

    assert tenant.account("A@Example.com") is not None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {
                "mailboxes": [
                    {
                        "id": "00000000-0000-4000-8000-000000000009",
                        "address": "s@example.com",
                        "display_name": "S",
                        "send_as": ["nobody@example.com"],
                    }
                ]
            },
            "nobody@example.com",
        ),
        (
            {
                "groups": [
                    {
                        "id": "00000000-0000-4000-8000-000000000009",
                        "display_name": "G",
                        "members": ["ghost@example.com"],
                    }
                ]
            },
            "ghost@example.com",
        ),
        (
            {"users": [{"id": "not-a-guid", "upn": "a@example.com", "display_name": "A"}]},
            "not a GUID",
        ),
        (
            {
                "users": [
                    {
                        "id": "00000000-0000-4000-8000-000000000002",
                        "upn": "a@example.com",
                        "display_name": "A",
                        "sendas": [],
                    }
                ]
            },
            "unknown key",
        ),
        ({"apps": []}, "at least one"),
    ],
)
def test_bad_seeds_name_the_problem(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SeedError, match=message):
        parse_seed(_minimal(**change))
