"""``preview.*`` verbs: send what was previewed (now, or later at a time picked in the
user's time zone), go back and edit it, ask for approval, answer the privacy prompt (Bcc,
or one email each), or page a bulk preview to another row.

Send re-takes the permission decision (the flow does), and for a delegated sender makes
sure the outbox can act as the user later (Universal Actions' authentication flow,
docs/decisions/0006-delegated-token-model.md):

* the user's cached token (msal's cache) still works → queued;
* else the token service's token for Mailroom (SSO token exchanged, magic code redeemed, or
  still held) is exchanged on-behalf-of for Graph → queued;
* no token anywhere → 401 login request (SSO resource + sign-in button); Teams re-sends the
  action with ``authentication.token`` or ``state``;
* the token service refused the SSO token → 412, and Teams falls back to the sign-in button;
  a magic code that redeems nothing → 401 ``invalidAuthCode``;
* Entra refuses the exchange (consent) → the flow's card says what to do;
* the tenant's sign-in setup is wrong (``bot.identity.sign_in_setup``: no Application ID URI,
  no ``access_as_user``, the OAuth connection's scopes) → a card that names the missing step
  and its fix, never another login request; so does a second Send on the same request after
  a login request that no sign-in followed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.schedule import ScheduleProblem, scheduled_time
from bot.domain.send_request import SendRequest
from bot.errors import (
    ConsentRequired,
    ExchangeRefused,
    MagicCodeRefused,
    SignInNotSetUp,
    SignInRequired,
    TokenAcquisitionError,
)
from bot.flow.send_flow import Later, Preview, Refused, SendFlow
from bot.i18n import _
from bot.identity import sign_in_setup
from bot.identity.provider import GRAPH_RESOURCE, TokenProvider
from bot.identity.sso import SignInAttempt, SsoSource
from bot.store import Store
from bot.teams.handlers import approvals
from bot.teams.invoke import ErrorResult, LoginResult
from bot.teams.request_views import track_card
from bot.teams.steps import StepCards
from bot.teams.turn import Turn
from cards.verbs import RequestAt, RequestRow, SendLater

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
    logins: sign_in_setup.LoginRequests = field(default_factory=sign_in_setup.LoginRequests)
    app_id: str = ""  # the bot's app id, which the requirements' fixes name


async def send(deps: Deps, turn: Turn, payload: RequestAt) -> Card | LoginResult | ErrorResult:
    return await _queue(deps, turn, payload.request, payload.version, None)


async def send_later(
    deps: Deps, turn: Turn, payload: SendLater
) -> Card | LoginResult | ErrorResult:
    """Queue the request to go at the time picked, read in the user's time zone (UTC when
    the client reports none); a time in the past or too far ahead comes back on the
    preview card."""
    named = turn.time_zone  # a fixed offset (no zone name) cannot be kept with the request
    zone = named if isinstance(named, ZoneInfo) else ZoneInfo("UTC")
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
) -> Card | LoginResult | ErrorResult:
    attempt = sign_in_attempt(turn)

    async def warm() -> None:
        try:
            await deps.tokens.user_token(turn.user_oid, None, GRAPH_RESOURCE)
        except ConsentRequired:
            pass  # nothing cached (or Entra refused the refresh): a fresh assertion is needed
        else:
            return
        assertion = await deps.sso.connection_token(attempt)
        if assertion is None:
            if deps.sign_in is None:  # no OAuth connection: nothing Teams could sign in to
                raise ConsentRequired("interaction_required", "no OAuth connection configured")
            raise SignInRequired
        try:
            await deps.tokens.user_token(turn.user_oid, assertion, GRAPH_RESOURCE)
        except TokenAcquisitionError as error:
            setup = sign_in_setup.from_refusal(error)
            if setup is None:
                raise
            raise setup from error

    try:
        result = await deps.flow.send(
            turn.user_oid, request_id, version, warm_user_token=warm, later=later
        )
    except SignInRequired:
        assert deps.sign_in is not None
        return await _login(deps, deps.sign_in, attempt, request_id)
    except ExchangeRefused as refused:
        setup = sign_in_setup.not_set_up([refused.aadsts])
        if setup is not None:
            return await _not_set_up(deps, setup, request_id)
        return ErrorResult(412, "412", "authentication token could not be exchanged")
    except MagicCodeRefused:
        return ErrorResult(401, "InvalidAuthCode", _("The sign-in code is not valid."))
    except SignInNotSetUp as setup:
        return await _not_set_up(deps, setup, request_id)
    deps.logins.signed_in(turn.user_oid, request_id)
    if not isinstance(result, SendRequest):
        return await deps.steps.of(result)
    await track_card(deps.store, turn, result)
    await deps.approvals.followers.replaced(result.id)
    card = await deps.steps.of(result)  # "Sending…" (or "Scheduled"), before the worker starts
    if later is None:
        deps.wake()
    return card


async def _login(
    deps: Deps, sign_in: SignIn, attempt: SignInAttempt, request_id: str
) -> Card | LoginResult:
    """The login request, unless signing in cannot work: Mailroom's own app token for its
    Application ID URI tells whether Teams could get a token for it at all, and a login
    request already sent for this request with no sign-in since means it failed unseen."""
    try:
        await deps.tokens.app_token(sign_in.resource_uri)
    except TokenAcquisitionError as error:
        setup = sign_in_setup.from_refusal(error)
        if setup is not None:
            return await _not_set_up(deps, setup, request_id)
    fresh = attempt.sso_token is None and attempt.magic_code is None
    if fresh and deps.logins.asked_before(attempt.user_oid, request_id):
        unfinished = sign_in_setup.unfinished(deps.app_id)
        return await deps.steps.of(Refused(unfinished, request_id=request_id))
    return LoginResult(
        connection_name=sign_in.connection,
        resource_uri=sign_in.resource_uri,
        sign_in_url=await deps.sso.sign_in_link(attempt),
    )


async def _not_set_up(deps: Deps, setup: SignInNotSetUp, request_id: str) -> Card:
    explanation = sign_in_setup.explanation(setup, deps.app_id)
    return await deps.steps.of(Refused(explanation, request_id=request_id))


def sign_in_attempt(turn: Turn) -> SignInAttempt:
    activity = turn.context.activity
    return SignInAttempt(
        user_oid=turn.user_oid,
        user_id=turn.info.user_id or "",
        channel_id=str(activity.channel_id or "msteams"),
        conversation=dict(turn.reference()),
        sso_token=turn.sso_token,
        magic_code=turn.magic_code,
    )


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


async def row(deps: Deps, turn: Turn, payload: RequestRow) -> Card:
    shown = await deps.flow.preview_row(
        turn.user_oid, payload.request, payload.version, payload.row
    )
    return await deps.steps.of(shown)


async def request_approval(deps: Deps, turn: Turn, payload: RequestAt) -> Card:
    return await approvals.ask(deps.approvals, turn, payload)
