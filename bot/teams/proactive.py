"""One proactive turn through the Agents SDK adapter: post or update one activity in a
stored conversation, and say what Teams answered (the notifier decides what to do next)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import aiohttp
from microsoft_agents.activity import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)
from microsoft_agents.hosting.core import ChannelServiceAdapter, TurnContext
from microsoft_agents.hosting.core.authorization import (
    AuthenticationConstants,
    ClaimsIdentity,
)

from bot.netclient import parse_retry_after

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivered:
    activity_id: str | None


@dataclass(frozen=True)
class Answer:
    """Teams did not take the activity: its HTTP status (0: no connection, -1: the SDK
    failed before sending), error code and ``Retry-After``."""

    status: int
    code: str | None
    retry_after: float | None


async def attempt(
    adapter: ChannelServiceAdapter,
    app_id: str | None,
    reference: ConversationReference,
    activity: Activity,
) -> Delivered | Answer:
    """``activity`` with an id updates that message, without one posts a new message.
    ``app_id`` None: anonymous local mode (no token is sent)."""
    result: list[Delivered | Answer] = []

    async def callback(context: TurnContext) -> None:
        try:
            if activity.id is not None:
                await context.update_activity(activity)
                result.append(Delivered(activity.id))
            else:
                response = await context.send_activity(activity)
                result.append(Delivered(getattr(response, "id", None)))
        except aiohttp.ClientResponseError as exc:
            result.append(answer_of(exc))
        except (aiohttp.ClientError, TimeoutError) as exc:
            logger.info("Teams connector unreachable: %s", type(exc).__name__)
            result.append(Answer(0, type(exc).__name__, None))

    continuation = reference.get_continuation_activity()
    try:
        if app_id:
            await adapter.continue_conversation(app_id, continuation, callback)
        else:
            anonymous = ClaimsIdentity({}, authentication_type="anonymous")
            await adapter.continue_conversation_with_claims(
                anonymous, continuation, callback, AuthenticationConstants.AGENTS_SDK_SCOPE
            )
    except (aiohttp.ClientError, TimeoutError) as exc:
        return Answer(0, type(exc).__name__, None)
    except Exception as exc:  # the SDK's own failures (bad reference, token source...)
        logger.exception("proactive turn failed")
        return Answer(-1, type(exc).__name__, None)
    if not result:
        return Answer(-1, "NoResult", None)
    return result[0]


async def open_personal(
    adapter: ChannelServiceAdapter,
    app_id: str | None,
    origin: ConversationReference,
    *,
    tenant_id: str,
    user_oid: str,
) -> ConversationReference | Answer:
    """Start (or find again: Teams keeps one) the bot's 1:1 chat with ``user_oid`` through the
    connector's ``createConversation`` with the tenant and the member, at the service URL of
    ``origin`` (a conversation of the same tenant). Returns the new chat's reference."""
    bot = origin.agent
    parameters = ConversationParameters(
        is_group=False,
        bot=bot,
        members=[ChannelAccount(id=user_oid, aad_object_id=user_oid)],
        tenant_id=tenant_id,
        channel_data={"tenant": {"id": tenant_id}},
    )
    opened: list[str] = []

    async def callback(context: TurnContext) -> None:
        conversation = context.activity.conversation
        if conversation is not None and conversation.id:
            opened.append(conversation.id)

    try:
        await adapter.create_conversation(
            app_id or "",
            origin.channel_id or "msteams",
            origin.service_url or "",
            AuthenticationConstants.AGENTS_SDK_SCOPE,
            parameters,
            callback,
        )
    except aiohttp.ClientResponseError as exc:
        return answer_of(exc)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return Answer(0, type(exc).__name__, None)
    except Exception as exc:  # the SDK's own failures (bad reference, token source...)
        logger.exception("createConversation failed")
        return Answer(-1, type(exc).__name__, None)
    if not opened:
        return Answer(-1, "NoConversation", None)
    return ConversationReference(
        channel_id=origin.channel_id,
        service_url=origin.service_url,
        bot=bot,
        user=ChannelAccount(id=user_oid, aad_object_id=user_oid),
        conversation=ConversationAccount(
            id=opened[0], tenant_id=tenant_id, conversation_type="personal"
        ),
    )


def answer_of(error: aiohttp.ClientResponseError) -> Answer:
    code: str | None = None
    try:
        body = json.loads(error.message)
    except (TypeError, ValueError):
        body = None
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict) and isinstance(inner.get("code"), str):
            code = inner["code"]
    retry_after = None
    if error.headers is not None:
        retry_after = parse_retry_after(error.headers.get("Retry-After"))
    return Answer(error.status, code, retry_after)
