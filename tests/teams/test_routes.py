"""Every verb a card can send has one handler, found by its name, and one typed payload;
every command has a handler. Read from the routes the running bot bound at startup."""

from __future__ import annotations

from functools import partial
from typing import Any

from bot.app import AGENT
from bot.teams.commands import COMMANDS
from bot.teams.dispatch import Route
from cards import verbs
from tests.support.botapp import BotHarness

CARD_VERBS = sorted(
    value for name, value in vars(verbs).items() if name.isupper() and isinstance(value, str)
)


def handler_module(route: Route[Any]) -> str:
    handler = route.handler
    function = handler.func if isinstance(handler, partial) else handler
    return str(function.__module__)


def test_every_verb_constant_has_a_payload_type() -> None:
    assert sorted(verbs.all_verbs()) == CARD_VERBS
    for verb in CARD_VERBS:
        assert verbs.payload_type(verb) is not None, verb


async def test_every_verb_has_a_handler_in_the_module_named_after_its_group(
    bot: BotHarness,
) -> None:
    routes = bot.app[AGENT].dispatcher.routes
    assert sorted(routes.verbs) == CARD_VERBS
    for verb in CARD_VERBS:
        route = routes.verbs[verb]
        group = verb.split(".", 1)[0]
        assert handler_module(route) in (
            f"bot.teams.handlers.{group}",
            f"bot.teams.handlers.{group}s",
        ), (verb, handler_module(route))
        assert route.payload is verbs.payload_type(verb), verb


async def test_every_command_but_help_has_a_handler(bot: BotHarness) -> None:
    routes = bot.app[AGENT].dispatcher.routes
    assert sorted(routes.commands) == sorted(c.name for c in COMMANDS if c.name != "help")
