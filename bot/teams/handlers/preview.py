"""``preview.*`` verbs: send what was previewed (now, or later at a time picked in the
user's time zone), go back and edit it, ask for approval, or answer the privacy prompt (Bcc,
or one email each).

Send re-takes the permission decision (the flow does), and for a delegated sender makes
sure the outbox can act as the user later: with no SSO token yet, Teams is asked to sign
the user in and re-send the same action with the token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.schedule import ScheduleProblem, scheduled_time, zone_named
from bot.domain.send_request import SendRequest
from bot.flow.send_flow import Later, Preview, SendFlow
from bot.identity.provider import GRAPH_RESOURCE, TokenProvider
from bot.identity.sso import SignInNeeded, SsoSource, sign_in_url
from bot.store import Store
from bot.teams.handlers import approvals
from bot.teams.invoke import LoginResult
from bot.teams.request_views import track_card
from bot.teams.steps import StepCards
from bot.teams.turn import Turn
from cards.verbs import RequestAt, SendLater

Card = dict[str, Any]
DELEGATED_LATER = (
    "this sender sends with your own sign-in, which Mailroom can use only while you are "
    "here. Send it now instead."
)


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
    schedule_max_days: int = 30
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


async def send(deps: Deps, turn: Turn, payload: RequestAt) -> Card | LoginResult:
    return await _queue(deps, turn, payload.request, payload.version, None)


async def send_later(deps: Deps, turn: Turn, payload: SendLater) -> Card | LoginResult:
    """Queue the request to go at the time picked, read in the user's time zone (UTC when
    the client reports none); a time in the past or too far ahead comes back on the
    preview card."""
    zone = zone_named(turn.info.time_zone) or ZoneInfo("UTC")
    step = await deps.flow.previewed(turn.user_oid, payload.request, payload.version)
    if not isinstance(step, Preview):
        return await deps.steps.of(step)
    if not step.sender.can_send_later:
        return await deps.steps.of(replace(step, schedule_error=DELEGATED_LATER))
    when = scheduled_time(
        day=payload.send_date,
        at=payload.send_time,
        pick=payload.pick,
        zone=zone,
        now=deps.clock(),
        max_ahead=timedelta(days=deps.schedule_max_days),
    )
    if isinstance(when, ScheduleProblem):
        return await deps.steps.of(replace(step, schedule_error=when.message))
    return await _queue(deps, turn, payload.request, payload.version, Later(when, zone.key))


async def _queue(
    deps: Deps, turn: Turn, request_id: str, version: int, later: Later | None
) -> Card | LoginResult:
    async def warm() -> None:
        sso = turn.sso_token or await deps.sso.sso_token(turn.context, turn.user_oid)
        if sso is None and deps.sign_in is not None and not turn.sso_token:
            raise SignInNeeded
        await deps.tokens.user_token(turn.user_oid, sso, GRAPH_RESOURCE)

    try:
        result = await deps.flow.send(
            turn.user_oid, request_id, version, warm_user_token=warm, later=later
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
    card = await deps.steps.of(result)  # "Sending…" (or "Scheduled"), before the worker starts
    if later is None:
        deps.wake()
    return card


async def edit(deps: Deps, turn: Turn, payload: RequestAt) -> Card:
    edited = await deps.flow.edit(turn.user_oid, payload.request, payload.version)
    return await deps.steps.of(edited)


async def to_bcc(deps: Deps, turn: Turn, payload: RequestAt) -> Card:
    """The privacy prompt: the same email with To/Cc in Bcc, previewed again."""
    step = await deps.flow.rearrange(turn.user_oid, payload.request, payload.version, "bcc")
    return await deps.steps.of(step)


async def one_each(deps: Deps, turn: Turn, payload: RequestAt) -> Card:
    """The privacy prompt: one email per recipient, previewed again."""
    step = await deps.flow.rearrange(turn.user_oid, payload.request, payload.version, "one_each")
    return await deps.steps.of(step)


async def request_approval(deps: Deps, turn: Turn, payload: RequestAt) -> Card:
    return await approvals.ask(deps.approvals, turn, payload)
