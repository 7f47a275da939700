"""From a parsed activity to the one function that answers it, and back to Teams.

``Routes`` is the table (``bot/teams/routes.py`` builds it once the services are up, each
handler bound to what it needs). ``Dispatcher`` owns the rest, in one place each:

* **not ready** — a known command or verb with no route yet: the services have not
  started. It is logged with what Mailroom is waiting for and answered with the
  "temporarily unavailable" card. Help works from the first second.
* **who** — card actions need ``from.aadObjectId``; without it the answer is a 400
  Universal Actions error, never an exception.
* **the payload** — parsed once (``cards.verbs``); data that does not fit the verb is a 400.
* **respond** — expected dependency failures become the "temporarily unavailable" card (a
  warning naming the dependency); anything else is logged with its traceback first and then
  answered with a card that says the step did not complete. Nothing is swallowed silently.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from microsoft_agents.activity import InvokeResponse
from microsoft_agents.hosting.core import TurnContext

from bot.domain.explanations import explain
from bot.errors import (
    ExchangeError,
    GraphError,
    GraphTransportError,
    IdentityError,
    StoreUnavailable,
    TokenServiceUnavailable,
)
from bot.teams.command_parser import Command, ParseError, parse
from bot.teams.files import SharedFile
from bot.teams.handlers import help
from bot.teams.handlers.help import help_card_json, likely_card_json
from bot.teams.invoke import (
    CardResult,
    ErrorResult,
    InvokeResult,
    LoginResult,
    error_response,
    parse_invoke_action,
    to_invoke_response,
)
from bot.teams.replies import send_card
from bot.teams.turn import Turn, TurnInfo
from bot.teams.views import explanation_of
from cards import explanation as explanation_card
from cards import notice as notice_card
from cards import verbs
from cards import welcome as welcome_card
from cards.verbs import Invalid, NoData

logger = logging.getLogger(__name__)

Card = dict[str, Any]
Reply = Card | LoginResult | ErrorResult
P = TypeVar("P")
R = TypeVar("R", bound=Card | LoginResult | ErrorResult)

CommandHandler = Callable[[Turn, Command], Awaitable[Card]]
FilesHandler = Callable[[Turn, Sequence[SharedFile]], Awaitable[Card]]
# True the first time an activity (by conversation and id) is seen, False for a redelivery.
FirstDelivery = Callable[[str], Awaitable[bool]]

TRANSIENT = (StoreUnavailable, GraphTransportError, ExchangeError, IdentityError, GraphError)


@dataclass(frozen=True)
class Route(Generic[P]):
    """A verb's payload type (``cards.verbs``) and the handler bound to its dependencies."""

    payload: type[P]
    handler: Callable[[Turn, P], Awaitable[Reply]]


@dataclass(frozen=True)
class Routes:
    commands: Mapping[str, CommandHandler] = field(default_factory=dict)
    verbs: Mapping[str, Route[Any]] = field(default_factory=dict)
    files: FilesHandler | None = None
    """Files the user sent in personal chat (they go onto the open compose card)."""
    remember: Callable[[Turn], Awaitable[None]] | None = None
    """Keep the person's conversation reference fresh (approvals and updates reach them)."""
    first_delivery: FirstDelivery | None = None


HELP_ONLY = Routes(verbs={verbs.HELP: Route(NoData, help.show)})
"""What answers before the services are up."""


class Dispatcher:
    def __init__(self, waiting_for: Callable[[], Sequence[str]] = tuple) -> None:
        """``waiting_for``: the components not ready yet, named for the log."""
        self._routes = HELP_ONLY
        self._waiting_for = waiting_for

    def serve(self, routes: Routes | None) -> None:
        """Bind the routes once the services are up (None: they stopped)."""
        self._routes = routes or HELP_ONLY

    @property
    def routes(self) -> Routes:
        return self._routes

    async def first_delivery(self, key: str) -> bool:
        if self._routes.first_delivery is None:
            return True  # cannot tell yet: answering twice beats never answering
        return await self._routes.first_delivery(key)

    # --- messages ------------------------------------------------------------------------

    async def on_text(self, context: TurnContext, info: TurnInfo) -> None:
        turn = Turn(context, info, info.user_oid) if info.user_oid else None
        if turn is not None and self._routes.remember is not None:
            await self._routes.remember(turn)
        if info.files and turn is not None:
            await send_card(context, await self._files_card(turn, info.files))
            return
        await send_card(context, await self._text_card(turn, info.text))

    async def _files_card(self, turn: Turn, files: Sequence[SharedFile]) -> Card:
        handler = self._routes.files
        if handler is None:
            return self._not_ready("a file")
        return await respond("a file", lambda: handler(turn, files))

    async def _text_card(self, turn: Turn | None, text: str) -> Card:
        parsed = parse(text)
        if isinstance(parsed, ParseError):
            if parsed.likely:
                return likely_card_json(_parse_note(parsed), parsed.likely)
            return help_card_json(_parse_note(parsed))
        if parsed.name == "help":
            return help_card_json()
        if turn is None:
            return notice_card.build(
                "Who are you?", "Teams did not say who sent this message, so Mailroom can't act."
            )
        handler = self._routes.commands.get(parsed.name)
        if handler is None:
            return self._not_ready(f"/{parsed.name}")
        return await respond(f"/{parsed.name}", lambda: handler(turn, parsed))

    async def on_welcome(self, context: TurnContext, info: TurnInfo) -> None:
        if info.user_oid and self._routes.remember is not None:
            await self._routes.remember(Turn(context, info, info.user_oid))
        await send_card(context, welcome_card.build(info.user_name))

    # --- card actions --------------------------------------------------------------------

    async def on_invoke(
        self, context: TurnContext, info: TurnInfo, value: object
    ) -> InvokeResponse:
        action = parse_invoke_action(value)
        if isinstance(action, InvokeResponse):
            return action
        payload_type = verbs.payload_type(action.verb)
        if payload_type is None:
            return error_response(400, "UnknownVerb", f"Unknown action {action.verb[:64]!r}.")
        payload = payload_type.parse(action.data)
        if isinstance(payload, Invalid):
            logger.warning("card action %s refused: %s %s", action.verb, payload.field,
                           payload.problem)  # fmt: skip
            return error_response(
                400, "BadRequest", f"This card's data is not valid ({payload.field}: "
                f"{payload.problem}). Start again with /send."
            )  # fmt: skip
        if not info.user_oid and action.verb != verbs.HELP:
            logger.warning("card action %s refused: no user id", action.verb)
            return error_response(
                400, "NoUser", "Teams did not say who clicked, so Mailroom can't act."
            )
        route = self._routes.verbs.get(action.verb)
        if route is None:
            return to_invoke_response(CardResult(self._not_ready(action.verb)))
        # Only help.show gets here without a user id, and it reads none.
        turn = Turn(context, info, info.user_oid or "", sso_token=action.sso_token,
                    magic_code=action.magic_code)  # fmt: skip
        reply = await respond(action.verb, lambda: route.handler(turn, payload))
        return to_invoke_response(_result(reply))

    # --- readiness -----------------------------------------------------------------------

    def _not_ready(self, what: str) -> Card:
        """The one place that answers "not started yet", saying in the log what is missing."""
        waiting = ", ".join(self._waiting_for()) or "the services"
        logger.warning("%s answered before Mailroom was ready: waiting for %s", what, waiting)
        problem = "the database" if "database" in waiting else "Mailroom is still starting"
        return unavailable_card(problem)


async def respond(what: str, build: Callable[[], Awaitable[R]]) -> R | Card:
    """Run one handler. A dependency that failed in a way the user can only wait out is a
    "temporarily unavailable" card; anything else is a bug: logged with its traceback, then
    answered with a card saying the step did not complete."""
    try:
        return await build()
    except TRANSIENT as error:
        logger.warning("%s: %s unavailable (%s)", what, _describe(error), type(error).__name__)
        return unavailable_card(_describe(error))
    except Exception:
        logger.exception("%s failed", what)
        return notice_card.build(
            "Mailroom could not finish this step",
            "Something went wrong on Mailroom's side and it was logged for your Mailroom "
            "administrator. Try again in a moment; /status shows where your requests stand.",
        )


def unavailable_card(problem: str) -> Card:
    text = explain("temporarily_unavailable", problem=problem)
    return explanation_card.build(explanation_of(text, retry_verb=verbs.SEND_START))


def _result(reply: Reply) -> InvokeResult:
    return reply if isinstance(reply, LoginResult | ErrorResult) else CardResult(reply)


def _describe(error: Exception) -> str:
    if isinstance(error, StoreUnavailable):
        return "the database"
    if isinstance(error, TokenServiceUnavailable):
        return "the Bot Framework token service"
    if isinstance(error, IdentityError):
        return "Microsoft Entra ID"
    if isinstance(error, ExchangeError):
        return "Exchange"
    return "Microsoft Graph"


def _parse_note(error: ParseError) -> str:
    note = error.message
    if error.suggestion:
        note += f" Did you mean {error.suggestion}?"
    if error.usage and not error.likely:  # the likely commands come with their usage
        note += f" Usage: {error.usage}"
    return note
