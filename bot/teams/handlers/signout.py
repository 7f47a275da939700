"""``/signout``: Mailroom forgets the user's delegated tokens — its own cache (every replica's:
it is in the database) and the token service's — so the next delegated send asks them to
sign in. Messages already queued as them that need a token then fail with "sign in again"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.i18n import _
from bot.identity.provider import TokenProvider
from bot.identity.sso import SsoSource
from bot.teams.command_parser import Command
from bot.teams.handlers.preview import sign_in_attempt
from bot.teams.turn import Turn
from cards import notice as notice_card

Card = dict[str, Any]


@dataclass(frozen=True)
class Deps:
    tokens: TokenProvider
    sso: SsoSource


async def signout_command(deps: Deps, turn: Turn, command: Command) -> Card:
    await deps.tokens.forget_user(turn.user_oid)
    await deps.sso.sign_out(sign_in_attempt(turn))
    return notice_card.build(
        _("You are signed out of Mailroom"),
        _(
            "Mailroom no longer holds a token to send as you. The next time you send from your "
            "own mailbox or as a colleague, Teams asks you to sign in again."
        ),
    )
