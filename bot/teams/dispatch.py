"""From a parsed activity to the one function that answers it, and back to Teams.

``Routes`` is the table (``bot/teams/routes.py`` builds it once the services are up, each
handler bound to what it needs). ``Dispatcher`` owns the rest, in one place each:

* **not ready** — a known command or verb with no route yet: the services have not
  started. It is logged with what Mailroom is waiting for and answered with the
  "temporarily unavailable" card. Help works from the first second.
* **who** — card actions need ``from.aadObjectId``; without it the answer is a 400
  Universal Actions error, never an exception.
* **the payload** — parsed once (``cards.verbs``); data that does not fit the verb is a 400.
* **where** — in a group chat or a channel the answer card goes to the person's 1:1 chat
  and the shared conversation gets one line with a link to it (``bot/teams/private_chat.py``);
  a card action there is answered with that line, its handler not run.
* **respond** — running the handler, and what a failed dependency becomes on the card
  (``bot/teams/respond.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from microsoft_agents.activity import InvokeResponse
from microsoft_agents.hosting.core import TurnContext

from bot.i18n import _
from bot.teams.command_parser import Command, ParseError, parse
from bot.teams.files import SharedFile
from bot.teams.handlers import help
from bot.teams.handlers.help import help_card_json, not_understood_card_json
from bot.teams.invoke import (
    CardResult,
    ErrorResult,
    LoginResult,
    MessageResult,
    error_response,
    parse_invoke_action,
    to_invoke_response,
)
from bot.teams.private_chat import is_shared, pointer_text, post_privately
from bot.teams.replies import send_card, send_text, typing_while
from bot.teams.respond import TRANSIENT, respond, unavailable_card
from bot.teams.turn import Turn, TurnInfo
from bot.teams.welcomes import WelcomeOnce
from cards import dialog, verbs
from cards import notice as notice_card
from cards import welcome as welcome_card
from cards.verbs import Invalid, NoData

logger = logging.getLogger(__name__)

Card = dict[str, Any]
Reply = Card | LoginResult | ErrorResult
P = TypeVar("P")

CommandHandler = Callable[[Turn, Command], Awaitable[Card]]
# A message extension invoke: the invoke's value in, the body of the invoke response out.
ExtensionHandler = Callable[[Turn, Mapping[str, Any]], Awaitable[Card | LoginResult]]
FETCH_TASK = "composeExtension/fetchTask"
SUBMIT_ACTION = "composeExtension/submitAction"
EXTENSION_INVOKES = frozenset({FETCH_TASK, SUBMIT_ACTION})
FilesHandler = Callable[[Turn, Sequence[SharedFile]], Awaitable[Card]]
# True the first time an activity (by conversation and id) is seen, False for a redelivery.
FirstDelivery = Callable[[str], Awaitable[bool]]


@dataclass(frozen=True)
class Route(Generic[P]):
    """A verb's payload type (``cards.verbs``) and the handler bound to its dependencies."""

    payload: type[P]
    handler: Callable[[Turn, P], Awaitable[Reply]]


@dataclass(frozen=True)
class Routes:
    commands: Mapping[str, CommandHandler] = field(default_factory=dict)
    verbs: Mapping[str, Route[Any]] = field(default_factory=dict)
    extension: Mapping[str, ExtensionHandler] = field(default_factory=dict)
    """The message extension's invokes by name (``bot/teams/handlers/extension.py``)."""
    files: FilesHandler | None = None
    """Files the user sent in personal chat (they go onto the open compose card)."""
    remember: Callable[[Turn], Awaitable[None]] | None = None
    """Keep the person's conversation reference fresh (approvals and updates reach them)."""
    first_delivery: FirstDelivery | None = None
    forget_delivery: Callable[[str], Awaitable[None]] | None = None  # undoes first_delivery
    waiting_note: Callable[[str], Awaitable[str | None]] | None = None
    """For an approver: how many requests wait for their decision, said on opening Mailroom."""


HELP_ONLY = Routes(verbs={verbs.HELP: Route(NoData, help.show)})
"""What answers before the services are up."""


class Dispatcher:
    def __init__(
        self, waiting_for: Callable[[], Sequence[str]] = tuple, *, typing_after: float = 1.5
    ) -> None:
        """``waiting_for`` names what is not ready yet; ``typing_after``: see typing_while."""
        self._routes = HELP_ONLY
        self._waiting_for = waiting_for
        self._typing_after = typing_after
        self._welcomes = WelcomeOnce()

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
        if info.files and turn is not None and not is_shared(info):
            await send_card(context, await self._files_card(turn, info.files))
            return
        card = await typing_while(context, self._text_card(turn, info.text), self._typing_after)
        if is_shared(info):
            delivered = await post_privately(context, info, card)
            await send_text(context, pointer_text(context, delivered=delivered))
            return
        await send_card(context, card)

    async def _files_card(self, turn: Turn, files: Sequence[SharedFile]) -> Card:
        handler = self._routes.files
        if handler is None:
            return self._not_ready("a file")
        return await respond("a file", lambda: handler(turn, files))

    async def _text_card(self, turn: Turn | None, text: str) -> Card:
        parsed = parse(text)
        if isinstance(parsed, ParseError):
            return not_understood_card_json(parsed)
        if parsed.name == "help":
            return help_card_json(await self._waiting(turn))
        if turn is None:
            why = _("Teams did not say who sent this message, so Mailroom can't act.")
            return notice_card.build(_("Who are you?"), why)
        handler = self._routes.commands.get(parsed.name)
        if handler is None:
            return self._not_ready(f"/{parsed.name}")
        return await respond(f"/{parsed.name}", lambda: handler(turn, parsed))

    async def on_welcome(self, context: TurnContext, info: TurnInfo) -> None:
        """The welcome card, once per installation (``bot/teams/welcomes.py``); every
        announcement that names the person keeps their conversation reference."""
        turn = Turn(context, info, info.user_oid) if info.user_oid else None
        if turn is not None and self._routes.remember is not None:
            await self._routes.remember(turn)
        if not await self._welcomes.first(info, self.first_delivery):
            return
        await send_card(context, welcome_card.build(info.user_name, await self._waiting(turn)))

    async def on_removed(self, info: TurnInfo) -> None:
        """Mailroom was removed from the conversation: a new installation is welcomed."""
        try:
            await self._welcomes.forget(info, self._routes.forget_delivery)
        except TRANSIENT as error:
            logger.info("welcome not forgotten: %s", type(error).__name__)

    async def _waiting(self, turn: Turn | None) -> str | None:
        """The approver's count of waiting requests; nothing when it cannot be told now (a
        greeting never fails for it)."""
        note = self._routes.waiting_note
        if turn is None or note is None:
            return None
        try:
            return await note(turn.user_oid)
        except TRANSIENT as error:
            logger.info("waiting requests not counted: %s", type(error).__name__)
            return None

    # --- card actions --------------------------------------------------------------------

    async def on_invoke(
        self, context: TurnContext, info: TurnInfo, value: object
    ) -> InvokeResponse:
        action = parse_invoke_action(value)
        if isinstance(action, InvokeResponse):
            return action
        payload_type = verbs.payload_type(action.verb)
        if payload_type is None:
            unknown = _("Unknown action {verb!r}.", verb=action.verb[:64])
            return error_response(400, "UnknownVerb", unknown)
        payload = payload_type.parse(action.data)
        if isinstance(payload, Invalid):
            logger.warning("card action %s refused: %s %s", action.verb, payload.field,
                           payload.problem)  # fmt: skip
            return error_response(
                400, "BadRequest", _("This card's data is not valid ({field}: {problem}). Start "
                "again with /send.", field=payload.field, problem=payload.problem)
            )  # fmt: skip
        if not info.user_oid and action.verb != verbs.HELP:
            logger.warning("card action %s refused: no user id", action.verb)
            who = _("Teams did not say who clicked, so Mailroom can't act.")
            return error_response(400, "NoUser", who)
        if is_shared(info) and action.verb != verbs.HELP:
            logger.info("card action %s in a shared conversation: pointed to the 1:1 chat",
                        action.verb)  # fmt: skip
            return to_invoke_response(MessageResult(pointer_text(context, delivered=False)))
        route = self._routes.verbs.get(action.verb)
        if route is None:
            return to_invoke_response(CardResult(self._not_ready(action.verb)))
        # Only help.show gets here without a user id, and it reads none.
        turn = Turn(context, info, info.user_oid or "", sso_token=action.sso_token,
                    magic_code=action.magic_code)  # fmt: skip
        reply = await respond(action.verb, lambda: route.handler(turn, payload))
        if isinstance(reply, LoginResult | ErrorResult):
            return to_invoke_response(reply)
        return to_invoke_response(CardResult(reply))

    # --- the message extension -----------------------------------------------------------

    async def on_extension(
        self, context: TurnContext, info: TurnInfo, name: str, value: object
    ) -> InvokeResponse:
        """``composeExtension/fetchTask``, ``/submitAction``: a dialog, sign-in or message; 200."""
        handler = self._routes.extension.get(name)
        if not isinstance(value, dict) or not info.user_oid:
            logger.warning("%s refused: no value or no user id", name)
            body = dialog.task_message(_("Teams did not say which message or who you are."))
        elif handler is None:
            body = dialog.task_continue(_(dialog.TITLE), self._not_ready(name))
        else:
            turn = Turn(context, info, info.user_oid)
            reply = await respond(name, lambda: handler(turn, value))
            body = dialog.answer(reply.sign_in_url if isinstance(reply, LoginResult) else reply)
        return InvokeResponse(status=200, body=body)

    # --- readiness -----------------------------------------------------------------------

    def _not_ready(self, what: str) -> Card:
        """The one place that answers "not started yet", saying in the log what is missing."""
        waiting = ", ".join(self._waiting_for()) or "the services"
        logger.warning("%s answered before Mailroom was ready: waiting for %s", what, waiting)
        problem = _("the database") if "database" in waiting else _("Mailroom is still starting")
        return unavailable_card(problem)
