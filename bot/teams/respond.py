"""Running one handler: what a failure of a dependency becomes on the user's card.

A dependency that failed in a way the user can only wait out (the database, Entra, Graph,
Exchange, the token service) is the "temporarily unavailable" card with a warning naming it;
Graph refusing the app's own directory reads is explained as the missing grant it is;
anything else is a bug, logged with its traceback and answered with a card saying the step
did not complete. Nothing is swallowed silently.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bot.domain.explanations import explain
from bot.errors import (
    AccessDenied,
    ExchangeError,
    GraphError,
    GraphTransportError,
    IdentityError,
    StoreUnavailable,
    TokenServiceUnavailable,
)
from bot.i18n import _
from bot.teams.invoke import ErrorResult, LoginResult
from bot.teams.views import explanation_of
from cards import explanation as explanation_card
from cards import notice as notice_card
from cards import verbs

logger = logging.getLogger(__name__)

Card = dict[str, Any]
R = TypeVar("R", bound=Card | LoginResult | ErrorResult)

TRANSIENT = (StoreUnavailable, GraphTransportError, ExchangeError, IdentityError, GraphError)


async def respond(what: str, build: Callable[[], Awaitable[R]]) -> R | Card:
    """Run one handler. A dependency that failed in a way the user can only wait out is a
    "temporarily unavailable" card; anything else is a bug: logged with its traceback, then
    answered with a card saying the step did not complete."""
    try:
        return await build()
    except AccessDenied as error:
        # The app's own directory reads (users, groups): a missing grant, not an outage.
        logger.warning("%s: Microsoft Graph refused the app (%s)", what, error.code)
        text = explain("app_directory_denied", code=error.code, request_id=error.request_id)
        return explanation_card.build(explanation_of(text))
    except TRANSIENT as error:
        logger.warning("%s: %s unavailable (%s)", what, _describe(error), type(error).__name__)
        return unavailable_card(_describe(error))
    except Exception:
        logger.exception("%s failed", what)
        return notice_card.build(
            _("Mailroom could not finish this step"),
            _(
                "Something went wrong on Mailroom's side and it was logged for your Mailroom "
                "administrator. Try again in a moment; /status shows where your requests stand."
            ),
        )


def unavailable_card(problem: str) -> Card:
    text = explain("temporarily_unavailable", problem=problem)
    return explanation_card.build(explanation_of(text, retry_verb=verbs.SEND_START))


def _describe(error: Exception) -> str:
    if isinstance(error, StoreUnavailable):
        return _("the database")
    if isinstance(error, TokenServiceUnavailable):
        return _("the Bot Framework token service")
    if isinstance(error, IdentityError):
        return "Microsoft Entra ID"
    if isinstance(error, ExchangeError):
        return "Exchange"
    return "Microsoft Graph"
