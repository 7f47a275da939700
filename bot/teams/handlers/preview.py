"""``preview.*`` verbs: send what was previewed, go back and edit it, ask for approval, or
page a bulk preview to another row.

Send re-takes the permission decision (the flow does), and for a delegated sender makes
sure the outbox can act as the user later: with no SSO token yet, Teams is asked to sign
the user in and re-send the same action with the token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.domain.send_request import SendRequest
from bot.flow.send_flow import SendFlow
from bot.identity.provider import GRAPH_RESOURCE, TokenProvider
from bot.identity.sso import SignInNeeded, SsoSource, sign_in_url
from bot.store import Store
from bot.teams.handlers import approvals
from bot.teams.invoke import LoginResult
from bot.teams.request_views import track_card
from bot.teams.steps import StepCards
from bot.teams.turn import Turn
from cards.verbs import RequestAt, RequestRow

Card = dict[str, Any]


@dataclass(frozen=True)
class SignIn:
    """The Azure Bot's OAuth connection Teams signs users in with."""

    connection: str
    resource_uri: str  # api://botid-{appId}


@dataclass(frozen=True)
class Deps:
    flow: SendFlow
    steps: StepCards
    store: Store
    sso: SsoSource
    tokens: TokenProvider
    sign_in: SignIn | None
    wake: Callable[[], None]
    approvals: approvals.Deps


async def send(deps: Deps, turn: Turn, payload: RequestAt) -> Card | LoginResult:
    async def warm() -> None:
        sso = turn.sso_token or await deps.sso.sso_token(turn.context, turn.user_oid)
        if sso is None and deps.sign_in is not None and not turn.sso_token:
            raise SignInNeeded
        await deps.tokens.user_token(turn.user_oid, sso, GRAPH_RESOURCE)

    try:
        result = await deps.flow.send(
            turn.user_oid, payload.request, payload.version, warm_user_token=warm
        )
    except SignInNeeded:
        assert deps.sign_in is not None
        return LoginResult(
            connection_name=deps.sign_in.connection,
            resource_uri=deps.sign_in.resource_uri,
            sign_in_url=await sign_in_url(turn.context, deps.sign_in.connection),
        )
    if not isinstance(result, SendRequest):
        return await deps.steps.of(result)
    await track_card(deps.store, turn, result)
    card = await deps.steps.of(result)  # "Sending…": shown before the worker starts
    deps.wake()
    return card


async def edit(deps: Deps, turn: Turn, payload: RequestAt) -> Card:
    edited = await deps.flow.edit(turn.user_oid, payload.request, payload.version)
    return await deps.steps.of(edited)


async def row(deps: Deps, turn: Turn, payload: RequestRow) -> Card:
    shown = await deps.flow.preview_row(
        turn.user_oid, payload.request, payload.version, payload.row
    )
    return await deps.steps.of(shown)


async def request_approval(deps: Deps, turn: Turn, payload: RequestAt) -> Card:
    return await approvals.ask(deps.approvals, turn, payload)
