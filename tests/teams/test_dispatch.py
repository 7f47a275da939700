"""``respond``: what a handler's failure becomes. A dependency that is down is a card the
user can wait out; a bug is logged with its traceback before anything friendly is shown."""

from __future__ import annotations

import logging

import pytest

from bot.errors import GraphTransportError, StoreUnavailable
from bot.teams.dispatch import Reply
from bot.teams.respond import respond
from tests.support.botapp import text_of


async def test_a_bug_is_logged_with_its_traceback_and_never_shown_as_still_starting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken() -> Reply:
        return {}["missing"]  # a KeyError, once hidden as "Mailroom is still starting"

    with caplog.at_level(logging.WARNING, logger="bot.teams.dispatch"):
        card = await respond("send.start", broken)
    shown = text_of(card)
    assert "could not finish this step" in shown
    assert "starting" not in shown
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None
    assert "send.start failed" in errors[0].getMessage()


@pytest.mark.parametrize(
    ("error", "named"),
    [
        (StoreUnavailable("locked"), "the database"),
        (GraphTransportError("not", "connect failed"), "Microsoft Graph"),
    ],
)
async def test_a_dependency_that_is_down_is_a_card_naming_it_and_one_warning(
    caplog: pytest.LogCaptureFixture, error: Exception, named: str
) -> None:
    async def down() -> Reply:
        raise error

    with caplog.at_level(logging.WARNING, logger="bot.teams.dispatch"):
        card = await respond("/history", down)
    assert "Mailroom is temporarily unavailable" in text_of(card)
    assert named in text_of(card)
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
