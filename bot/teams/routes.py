"""Which function answers which command and which card verb."""

from __future__ import annotations

from microsoft_agents.hosting.core import TurnContext

from bot.errors import StoreUnavailable
from bot.teams.agent import FirstDelivery, Routes
from bot.teams.approval_handlers import ApprovalHandlers
from bot.teams.handlers import Handlers, ServicesRef
from bot.teams.help import help_card_json
from bot.teams.invoke import CardResult, InvokeAction, InvokeResult
from bot.teams.turn import TurnInfo
from cards import verbs


async def on_help_verb(
    turn_context: TurnContext, info: TurnInfo, action: InvokeAction
) -> InvokeResult:
    return CardResult(help_card_json())


def first_delivery(services: ServicesRef) -> FirstDelivery:
    """Redeliveries by the store's record of activity ids (shared by every replica)."""

    async def first(key: str) -> bool:
        try:
            return await services().store.remember_activity(key)
        except (StoreUnavailable, LookupError):
            return True  # cannot tell: answering twice beats never answering

    return first


def build_routes(services: ServicesRef) -> Routes:
    handlers = Handlers(services)
    approvals = ApprovalHandlers(services, handlers)
    return Routes(
        on_text=handlers.on_text,
        on_welcome=handlers.on_welcome,
        first_delivery=first_delivery(services),
        verbs={
            verbs.HELP: on_help_verb,
            verbs.SEND_START: handlers.start,
            verbs.PICK_SENDER: handlers.pick_sender,
            verbs.WHY: handlers.why,
            verbs.PICK_TEMPLATE: handlers.pick_template,
            verbs.PREVIEW: handlers.preview,
            verbs.COMPOSE_CANCEL: handlers.compose_cancel,
            verbs.SEND: handlers.send,
            verbs.EDIT: handlers.edit,
            verbs.CANCEL: handlers.cancel,
            verbs.STATUS: handlers.status,
            verbs.RETRY: handlers.retry_failed,
            verbs.RETRY_FAILED: handlers.retry_failed,
            verbs.REQUEST_APPROVAL: approvals.request,
            verbs.APPROVE: approvals.approve,
            verbs.REJECT: approvals.reject,
            verbs.REFRESH: approvals.refresh,
        },
    )
