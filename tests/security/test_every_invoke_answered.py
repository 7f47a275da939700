"""Every card action gets a Universal Actions answer, whatever it carries: no user id, an
unknown verb, a malformed value, data that does not fit its verb — a 400 error body (or a
card) in HTTP 200, never a 5xx, never a traceback in the log, and nothing changes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import create_app
from bot.errors import StoreUnavailable
from bot.services import Services
from bot.settings import Settings
from cards import verbs
from emulator.testing import RunningEmulator
from tests.reliability.figures import Figures
from tests.security.helpers import (
    ADELE,
    JOHANNA,
    invoke_for,
    mail_submissions,
    post,
    preview,
)
from tests.support.activities import card_action
from tests.support.botapp import BotHarness, action, running_bot, settings_for, text_of
from tests.support.servers import serve

ERROR_TYPE = "application/vnd.microsoft.error"
CARD_VERBS = sorted(
    value for name, value in vars(verbs).items() if name.isupper() and isinstance(value, str)
)
# Data that fits each verb, with Adele's real ids filled in by the test.
NEEDS_NOTHING = {verbs.HELP, verbs.SEND_START}


@pytest.fixture
async def bot(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(settings_for(emulator, tmp_path), emulator) as harness:
        yield harness


def is_error(body: dict[str, Any], status: int = 400) -> bool:
    value = body.get("value")
    return (
        body.get("statusCode") == status
        and body.get("type") == ERROR_TYPE
        and isinstance(value, dict)
        and bool(value.get("message"))
    )


async def fitting_data(bot: BotHarness) -> dict[str, dict[str, Any]]:
    """For each verb, data of the shape its cards send, naming one of Adele's requests."""
    adele = bot.person(ADELE)
    card = await preview(bot, adele, "support@contoso.com", "ticket-reply", JOHANNA)
    request = action(card, verbs.SEND)["data"]
    draft = {"draft": "0" * 32, "version": 1}
    return {
        verbs.HELP: {},
        verbs.SEND_START: {},
        verbs.PICK_SENDER: {"sender": "support@contoso.com"},
        verbs.WHY: {"sender": "support@contoso.com"},
        verbs.PICK_TEMPLATE: {**draft, "template": "ticket-reply"},
        verbs.PREVIEW: {**draft, "to": JOHANNA},
        verbs.COMPOSE_CANCEL: draft,
        verbs.REMOVE_FILE: {**draft, "sha256": "0" * 64},
        verbs.SEND: request,
        verbs.SEND_LATER: {**request, "pick": "tomorrow_0900"},
        verbs.EDIT: request,
        verbs.REQUEST_APPROVAL: request,
        verbs.TO_BCC: request,
        verbs.ONE_EACH: request,
        verbs.CANCEL: request,
        verbs.RETRY: request,
        verbs.RETRY_FAILED: request,
        verbs.REFRESH: request,
        verbs.STATUS: request,
        verbs.RESUBMIT: request,
        verbs.APPROVE: {**request, "comment": "ok"},
        verbs.REJECT: {**request, "comment": "no"},
        verbs.PREVIEW_ROW: {**request, "row": 2},
        verbs.SEND_AGAIN: request,
        verbs.RESUME_DRAFT: draft,
        verbs.DISCARD_DRAFT: draft,
    }


async def test_a_card_action_without_a_user_id_gets_a_400_for_every_verb(
    bot: BotHarness, figures: Figures
) -> None:
    data = await fitting_data(bot)
    assert sorted(data) == CARD_VERBS
    adele = bot.person(ADELE)
    request_id = data[verbs.SEND]["request"]
    before = await bot.services.store.get_request(request_id)
    sends = len(mail_submissions(bot.emulator))
    for verb in CARD_VERBS:
        activity = invoke_for(bot, adele, verb, data[verb])
        del activity["from"]["aadObjectId"]
        response = await post(bot, activity)
        assert response.status_code == 200, (verb, response.text)
        body = response.json()
        answered = body.get("statusCode") == 200 if verb == verbs.HELP else is_error(body)
        figures.bad_input("card action without a user", answered=answered)
        assert answered, (verb, body)
    after = await bot.services.store.get_request(request_id)
    assert (after.state, after.version) == (before.state, before.version)
    assert len(mail_submissions(bot.emulator)) == sends


MALFORMED_VALUES: list[Any] = [
    None,
    "send",
    [],
    {},
    {"action": None},
    {"action": {"type": "Action.Submit", "verb": verbs.SEND}},
    {"action": {"type": "Action.Execute"}},
    {"action": {"type": "Action.Execute", "verb": ""}},
    {"action": {"type": "Action.Execute", "verb": ["list"]}},
    {"action": {"type": "Action.Execute", "verb": "x" * 65}},
]


@pytest.mark.parametrize("value", MALFORMED_VALUES, ids=repr)
async def test_a_malformed_invoke_value_gets_a_400(
    bot: BotHarness, figures: Figures, value: Any
) -> None:
    activity = invoke_for(bot, bot.person(ADELE), verbs.SEND, {})
    activity["value"] = value
    response = await post(bot, activity)
    assert response.status_code == 200, response.text
    figures.bad_input("malformed invoke value", answered=is_error(response.json()))
    assert is_error(response.json()), response.json()


async def test_data_that_does_not_fit_its_verb_gets_a_400_for_every_verb(
    bot: BotHarness, figures: Figures
) -> None:
    adele = bot.person(ADELE)
    for verb in CARD_VERBS:
        for data in (
            {"request": {"nested": "object"}, "draft": [1], "sender": {"a": 1}},  # not text
            {"request": "../../etc", "draft": "../..", "version": "²", "sender": "x" * 400},
        ):
            response = await post(bot, invoke_for(bot, adele, verb, data))
            assert response.status_code == 200, (verb, response.text)
            body = response.json()
            answered = is_error(body) or (verb in NEEDS_NOTHING and body["statusCode"] == 200)
            figures.bad_input("card data", answered=answered)
            assert answered, (verb, data, body)
    assert mail_submissions(bot.emulator) == []


async def test_each_verb_without_its_ids_is_refused_and_the_rest_get_a_card(
    bot: BotHarness, figures: Figures
) -> None:
    adele = bot.person(ADELE)
    for verb in CARD_VERBS:
        body = (await post(bot, invoke_for(bot, adele, verb, {}))).json()
        needs_ids = verbs.payload_type(verb) not in (verbs.NoData, verbs.SenderChoice)
        answered = is_error(body) if needs_ids else body["statusCode"] == 200
        figures.bad_input("card data", answered=answered)
        assert answered, (verb, body)
        if needs_ids:
            assert "not valid" in body["value"]["message"]


async def test_an_unknown_verb_gets_a_400_naming_it(bot: BotHarness) -> None:
    response = await post(bot, invoke_for(bot, bot.person(ADELE), "send.everything", {}))
    body = response.json()
    assert is_error(body)
    assert body["value"]["code"] == "UnknownVerb"
    assert "send.everything" in body["value"]["message"]


# --- before the services are up ----------------------------------------------------------


@asynccontextmanager
async def database_down() -> AsyncIterator[Services]:
    raise StoreUnavailable("connection refused")
    yield  # pragma: no cover - never reached


async def test_before_the_database_answers_a_card_action_says_so_and_the_log_says_what_is_missing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(Settings(host="127.0.0.1"), services=database_down, startup_retry_seconds=3600)
    caplog.set_level(logging.WARNING, logger="bot.teams.dispatch")
    async with serve(app) as url, httpx.AsyncClient() as http:
        answer = (await http.post(f"{url}/api/messages",
                                  json=card_action(verbs.SEND_START, url))).json()  # fmt: skip
        helped = (await http.post(f"{url}/api/messages",
                                  json=card_action(verbs.HELP, url))).json()  # fmt: skip
    assert answer["statusCode"] == 200
    assert "Mailroom is temporarily unavailable" in text_of(answer["value"])
    assert "the database" in text_of(answer["value"])
    assert helped["statusCode"] == 200  # help needs nothing
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.teams.dispatch"]
    assert any(verbs.SEND_START in line and "waiting for database" in line for line in lines)
