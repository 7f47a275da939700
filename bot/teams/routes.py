"""Which function answers which command and which card verb — bound once, when the
services start, to the dependencies each group of handlers needs.

Find the handler of verb ``group.name`` in ``bot/teams/handlers/<group>.py`` (``approval``
→ ``approvals.py``, ``request`` → ``requests.py``); its payload type is the verb's in
``cards.verbs``. A test holds every verb to both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from bot.errors import StoreUnavailable
from bot.netclient import Timeouts
from bot.outbox.worker import Worker
from bot.services import Services
from bot.settings import Settings
from bot.store import Store
from bot.teams.asking import ApproverAsking
from bot.teams.dispatch import FETCH_TASK, SUBMIT_ACTION, Route, Routes
from bot.teams.followers import Followers
from bot.teams.handlers import (
    approvals,
    compose,
    drafts,
    extension,
    help,
    preview,
    requests,
    send,
    signout,
)
from bot.teams.notifier import Notifier
from bot.teams.steps import StepCards
from bot.teams.turn import Turn
from cards import verbs
from cards.verbs import (
    ComposeInputs,
    Decision,
    DraftRef,
    FileChoice,
    NoData,
    RequestAt,
    RequestRef,
    RequestRow,
    SenderChoice,
    SendLater,
    TemplateChoice,
)

logger = logging.getLogger(__name__)

FILE_TIMEOUTS = Timeouts(connect=10, read=60, total=120)
"""Fetching a file of up to the message size limit from OneDrive."""


def build_routes(
    services: Services, notifier: Notifier, followers: Followers, asking: ApproverAsking
) -> Routes:
    store, flow = services.store, services.flow
    steps = StepCards(
        services.catalog, services.policy, services.links, followers.views,
        privacy_threshold=services.settings.privacy_threshold,
    )  # fmt: skip
    wake = _waker(services.worker)
    on_send = send.Deps(flow, steps, wake, followers)
    on_compose = compose.Deps(flow, steps, services.catalog)
    settings = services.settings
    on_files = compose.FileDeps(
        flow, steps, services.http, settings.file_download_hosts,
        settings.max_message_mb * 1024 * 1024, FILE_TIMEOUTS,
    )  # fmt: skip
    on_approval = approvals.Deps(
        services.approvals, store, services.facts, services.policy, steps, notifier, wake,
        followers, asking,
    )  # fmt: skip
    on_preview = preview.Deps(
        flow, steps, store, services.sso, services.tokens, sign_in(services.settings), wake,
        on_approval, services.policy.schedule_max_days,
        app_id=services.settings.app_id or services.settings.graph_client_id or "",
    )  # fmt: skip
    on_request = requests.Deps(
        flow, services.approvals, store, steps, on_send, partial(approvals.waiting_for, on_approval)
    )
    on_signout = signout.Deps(services.tokens, services.sso)
    on_drafts = drafts.Deps(flow, steps)
    commands = {
        "send": partial(send.send_command, on_send),
        "senders": partial(send.senders_command, on_send),
        "why": partial(send.why_command, on_send),
        "templates": partial(compose.templates_command, on_compose),
        "status": partial(requests.status_command, on_request),
        "history": partial(requests.history_command, on_request),
        "cancel": partial(requests.cancel_command, on_request),
        "approvals": partial(approvals.waiting_command, on_approval),
        "signout": partial(signout.signout_command, on_signout),
        "drafts": partial(drafts.drafts_command, on_drafts),
    }
    card_verbs: dict[str, Route[Any]] = {
        verbs.HELP: Route(NoData, help.show),
        verbs.SEND_START: Route(NoData, partial(send.start, on_send)),
        verbs.PICK_SENDER: Route(SenderChoice, partial(send.pick_sender, on_send)),
        verbs.WHY: Route(SenderChoice, partial(send.why, on_send)),
        verbs.CANCEL: Route(RequestRef, partial(send.cancel, on_send)),
        verbs.RETRY_FAILED: Route(RequestRef, partial(send.retry_failed, on_send)),
        verbs.PICK_TEMPLATE: Route(TemplateChoice, partial(compose.template, on_compose)),
        verbs.PREVIEW: Route(ComposeInputs, partial(compose.preview, on_compose)),
        verbs.COMPOSE_CANCEL: Route(DraftRef, partial(compose.cancel, on_compose)),
        verbs.REMOVE_FILE: Route(FileChoice, partial(compose.remove_file, on_compose)),
        verbs.SEND: Route(RequestAt, partial(preview.send, on_preview)),
        verbs.SEND_LATER: Route(SendLater, partial(preview.send_later, on_preview)),
        verbs.EDIT: Route(RequestAt, partial(preview.edit, on_preview)),
        verbs.PREVIEW_ROW: Route(RequestRow, partial(preview.row, on_preview)),
        verbs.REQUEST_APPROVAL: Route(RequestAt, partial(preview.request_approval, on_preview)),
        verbs.TO_BCC: Route(RequestAt, partial(preview.to_bcc, on_preview)),
        verbs.ONE_EACH: Route(RequestAt, partial(preview.one_each, on_preview)),
        verbs.APPROVE: Route(Decision, partial(approvals.approve, on_approval)),
        verbs.REJECT: Route(Decision, partial(approvals.reject, on_approval)),
        verbs.STATUS: Route(RequestRef, partial(requests.status, on_request)),
        verbs.REFRESH: Route(RequestRef, partial(requests.refresh, on_request)),
        verbs.RETRY: Route(RequestRef, partial(requests.retry, on_request)),
        verbs.SEND_AGAIN: Route(RequestRef, partial(requests.send_again, on_request)),
        verbs.RESUME_DRAFT: Route(DraftRef, partial(drafts.resume, on_drafts)),
        verbs.DISCARD_DRAFT: Route(DraftRef, partial(drafts.discard, on_drafts)),
        verbs.RESUBMIT: Route(RequestAt, partial(requests.resubmit, on_request)),
    }
    on_extension = extension.Deps(
        flow, steps, services.facts, services.policy, services.catalog, store, card_verbs
    )
    return Routes(
        commands=commands,
        verbs=card_verbs,
        extension={
            FETCH_TASK: partial(extension.fetch_task, on_extension),
            SUBMIT_ACTION: partial(extension.submit_action, on_extension),
        },
        files=partial(compose.files_sent, on_files),
        remember=partial(remember, store),
        first_delivery=partial(first_delivery, store),
        forget_delivery=store.forget_activity,
        waiting_note=partial(approvals.waiting_note, on_approval),
    )


def sign_in(settings: Settings) -> preview.SignIn | None:
    if not settings.oauth_connection:
        return None
    app_id = settings.app_id or settings.graph_client_id
    return preview.SignIn(settings.oauth_connection, f"api://botid-{app_id}")


async def remember(store: Store, turn: Turn) -> None:
    """Keep the user's *personal* chat reference: approval cards and updates go there,
    never to a group chat or channel where others would read them."""
    if turn.info.conversation_type not in (None, "personal"):
        return
    try:
        await store.save_conversation_ref(turn.user_oid, turn.reference())
    except StoreUnavailable:
        logger.warning("conversation reference not saved: database unavailable")


async def first_delivery(store: Store, key: str) -> bool:
    """Redeliveries by the store's record of activity ids (shared by every replica)."""
    try:
        return await store.remember_activity(key)
    except StoreUnavailable:
        logger.warning("redelivery not checked: database unavailable")
        return True  # cannot tell: answering twice beats never answering


def _waker(worker: Worker | None) -> Callable[[], None]:
    return worker.wake if worker is not None else _idle


def _idle() -> None:
    """No worker to wake (tests that run without one)."""
