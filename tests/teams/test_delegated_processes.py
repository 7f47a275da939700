"""Delegated mode across processes: two ``mailroom serve`` processes on one PostgreSQL
database with the same token cache key. A user signs in (Teams SSO, exchanged through the
emulated Bot Framework token service) through one process; the next Send lands on the other
process — as a load balancer may route it — and goes out as them with no new sign-in, even
once the token service has forgotten them: only the sealed cache in the database can help."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from cards import verbs
from emulator.testing import RunningEmulator
from tests.store.conftest import database_url  # noqa: F401 - the shared database fixture
from tests.support.botapp import BotHarness, Json
from tests.support.serve_process import ServeProcess
from tests.teams.sso_steps import ALEX, JOHANNA, delivered, previewed

LOGIN_REQUEST = "application/vnd.microsoft.activity.loginRequest"


@pytest.fixture
def bots(
    emulator: RunningEmulator,
    tmp_path: Path,
    database_url: str,  # noqa: F811 - the imported fixture
) -> Iterator[tuple[ServeProcess, ServeProcess]]:
    shared = {
        "MAILROOM_DATABASE_URL": database_url,
        "MAILROOM_OAUTH_CONNECTION": "sso",
        "MAILROOM_TOKEN_SERVICE_URL": emulator.base_url,
        "MAILROOM_TOKEN_CACHE_KEY": Fernet.generate_key().decode(),
    }
    one = ServeProcess(emulator, tmp_path, shared, name="bot-1")
    two = ServeProcess(emulator, tmp_path, shared, name="bot-2")
    yield one, two
    for bot in (one, two):
        bot.stop()


def delegated_sends(emulator: RunningEmulator) -> list[Json]:
    """Graph sends Exchange accepted with Johanna's own (delegated) token."""
    return [
        e for e in emulator.control.request_log()
        if e["method"] == "POST" and e["status"] == 202 and e["subject"] == JOHANNA
        and (e["path"].endswith("/send") or e["path"].endswith("/sendMail"))
    ]  # fmt: skip


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_user_signed_in_through_one_process_sends_through_the_other(
    emulator: RunningEmulator, bots: tuple[ServeProcess, ServeProcess]
) -> None:
    one, two = bots
    await one.ready()
    await two.ready()
    teams = BotHarness(one.url, emulator, app=None)  # type: ignore[arg-type]
    try:
        johanna = teams.person(JOHANNA)
        # Through process 1: the first Send asks to sign in; Teams re-sends it with the SSO
        # token, which process 1 exchanges (token service, then on-behalf-of) and sends with.
        send = await previewed(teams, johanna)
        asked = await teams.act(johanna, verbs.SEND, send)
        assert asked["statusCode"] == 401
        assert asked["type"] == LOGIN_REQUEST
        sso = emulator.control.mint_user_token(JOHANNA)
        signed_in = await teams.act(johanna, verbs.SEND, send, authentication={"token": sso})
        assert signed_in["statusCode"] == 200, signed_in
        assert await delivered(emulator) == 1
        # Still through process 1: a new preview.
        send = await previewed(teams, johanna)
        emulator.control.clear_token_service()
        emulator.control.clear_log()

        teams.url = two.url  # its Send reaches process 2
        answer = await teams.act(johanna, verbs.SEND, send)

        assert answer["statusCode"] == 200, (answer, two.output()[-3000:])
        assert answer["type"] != LOGIN_REQUEST
        assert answer["value"]["type"] == "AdaptiveCard"
        assert await delivered(emulator, 2) == 2
        sends = delegated_sends(emulator)
        assert len(sends) == 1, sends
        assert sends[0]["oid"] == johanna.oid
        assert not [e for e in emulator.control.request_log() if "/api/usertoken/" in e["path"]]
    finally:
        await teams.close()
    assert len(emulator.control.mailbox(ALEX, "inbox")) == 2
