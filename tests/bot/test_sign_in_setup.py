"""Which Entra refusals mean the tenant's sign-in setup is wrong, and the memory of login
requests that makes a second click explain instead of ask again."""

from __future__ import annotations

from bot.errors import ConsentRequired
from bot.identity.sign_in_setup import SETUP_ERRORS, LoginRequests, from_refusal, not_set_up
from bot.tenant_requirements import load_requirements


def test_each_setup_error_names_requirements_of_the_statement() -> None:
    ids = {r.id for r in load_requirements("app")}
    for requirements in SETUP_ERRORS.values():
        assert set(requirements) <= ids


def test_refusals_that_signing_in_again_can_fix_are_not_setup_errors() -> None:
    expired = ConsentRequired("invalid_grant", "expired", codes=(500133,))
    assert from_refusal(expired) is None
    assert not_set_up([None]) is None
    revoked = ConsentRequired("invalid_grant", "revoked", codes=(50173,))
    assert from_refusal(revoked) is None
    audience = ConsentRequired("invalid_grant", "not for the app", codes=(50013,))
    setup = from_refusal(audience)
    assert setup is not None
    assert setup.requirements == ("oauth-connection-scope",)


def test_a_second_click_explains_and_the_third_asks_again() -> None:
    now = [0.0]
    logins = LoginRequests(within=600, clock=lambda: now[0])
    assert not logins.asked_before("u", "r")  # login request
    assert logins.asked_before("u", "r")  # no sign-in since: explain
    assert not logins.asked_before("u", "r")  # asked again
    assert not logins.asked_before("u", "other")  # another request is its own
    logins.signed_in("u", "r")
    assert not logins.asked_before("u", "r")  # signed in since: a fresh login request
    now[0] = 601
    assert not logins.asked_before("u", "r")  # too long ago: a fresh login request
