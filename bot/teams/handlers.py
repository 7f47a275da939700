"""One small function per command and per card verb.

Each parses its untrusted input, calls one ``SendFlow`` step and turns the typed result
into a card. Permissions are never read from the card: the flow re-takes the decision.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from microsoft_agents.hosting.core import TurnContext

from bot.domain.explanations import explain
from bot.domain.send_request import SendRequest, SendState
from bot.errors import (
    ExchangeError,
    GraphError,
    GraphTransportError,
    IdentityError,
    StoreUnavailable,
)
from bot.flow.send_flow import Compose, Preview, Refused, Stale
from bot.identity.provider import GRAPH_RESOURCE
from bot.identity.sso import SignInNeeded, sign_in_url
from bot.services import Services
from bot.teams.command_parser import Command, ParseError, parse
from bot.teams.help import help_card_json
from bot.teams.invoke import CardResult, ErrorResult, InvokeAction, InvokeResult, LoginResult
from bot.teams.replies import send_card
from bot.teams.turn import TurnInfo
from bot.teams.views import (
    compose_view,
    explanation_of,
    explanation_view,
    preview_view,
    sender_options,
    summary,
)
from cards import compose as compose_card
from cards import explanation as explanation_card
from cards import notice as notice_card
from cards import preview as preview_card
from cards import requests as requests_card
from cards import senders as senders_card
from cards import sending as sending_card
from cards import verbs
from cards import welcome as welcome_card
from cards.views import ProgressView

logger = logging.getLogger(__name__)

Card = dict[str, Any]
ServicesRef = Callable[[], Services]


class Unavailable(Exception):
    """A dependency failed in a way the user can only wait out."""


_TRANSIENT = (StoreUnavailable, GraphTransportError, ExchangeError, IdentityError, GraphError)


def unavailable_card(problem: str) -> Card:
    text = explain("temporarily_unavailable", problem=problem)
    return explanation_card.build(explanation_of(text, retry_verb=verbs.SEND_START))


class Handlers:
    """The bot's answers. ``services`` is read per turn (it exists once the app started)."""

    def __init__(self, services: ServicesRef) -> None:
        self._services = services

    # --- text --------------------------------------------------------------------------

    async def on_text(self, turn_context: TurnContext, info: TurnInfo, text: str) -> None:
        if info.user_oid:  # keep the reference fresh: approvals and updates reach users by it
            await self._remember(turn_context, info)
        parsed = parse(text)
        if isinstance(parsed, ParseError):
            await send_card(turn_context, help_card_json(_parse_note(parsed)))
            return
        if parsed.name == "help":
            await send_card(turn_context, help_card_json())
            return
        if not info.user_oid:
            await send_card(turn_context, notice_card.build(
                "Who are you?", "Teams did not say who sent this message, so Mailroom can't act."
            ))  # fmt: skip
            return
        card = await self._guarded(lambda: self._command_card(info, parsed))
        await send_card(turn_context, card)

    async def on_welcome(self, turn_context: TurnContext, info: TurnInfo) -> None:
        if info.user_oid:
            await self._remember(turn_context, info)
        await send_card(turn_context, welcome_card.build(info.user_name))

    async def _command_card(self, info: TurnInfo, command: Command) -> Card:
        oid = _oid(info)
        flow = self._services().flow
        if command.name == "help":
            return help_card_json()
        if command.name in ("send", "senders") and (command.fast is None or command.name != "send"):
            return senders_card.build(sender_options(await flow.senders(oid)))
        if command.name == "send" and command.fast is not None:
            return await self._fast_send(info, command)
        if command.name == "why":
            return await self._why_card(oid, command.argument or "")
        if command.name == "templates":
            return self._templates_card(command.argument)
        if command.name in ("history", "status", "approvals"):
            return await self._requests_card(oid, command)
        if command.name == "cancel":
            return await self._cancel_by_id(oid, command.argument or "")
        return help_card_json()

    async def _fast_send(self, info: TurnInfo, command: Command) -> Card:
        fast = command.fast
        assert fast is not None
        flow = self._services().flow
        oid = _oid(info)
        if not fast.sender:
            return senders_card.build(sender_options(await flow.senders(oid)))
        started = await flow.start(oid, info.tenant_id or "", fast.sender, fast.template)
        if isinstance(started, Refused):
            return explanation_card.build(explanation_view(started))
        inputs = {"to": ",".join(fast.to), "cc": ",".join(fast.cc), "bcc": ",".join(fast.bcc),
                  "importance": fast.importance or "normal"}  # fmt: skip
        inputs |= {f"var_{k}": v for k, v in fast.values.items()}
        if started.draft.template is None:
            return self._compose(started)
        step = await flow.preview(oid, started.draft.id, started.draft.version, inputs)
        return self._step_card(step)

    async def _why_card(self, oid: str, address: str) -> Card:
        sender, decision = await self._services().flow.why(oid, address)
        if sender is None or decision is None:
            return explanation_card.build(
                explanation_of(explain("unknown_sender", mailbox=address[:100], user=oid))
            )
        if decision.denials:
            first, *rest = decision.denials
            return explanation_card.build(
                explanation_of(
                    explain(first.key, **first.params), others=tuple(r.text for r in rest)
                )
            )
        lines = [f"• {r.text}" for r in decision.reasons] or ["• nothing limits this sender"]
        verdict = "needs approval" if decision.approval_reasons else "you may send"
        return notice_card.build(
            f"{sender.display_name}: {verdict}",
            "\n".join(lines),
            retry_verb=verbs.PICK_SENDER,
            data={"sender": sender.address},
        )

    def _templates_card(self, name: str | None) -> Card:
        catalog = self._services().catalog
        if name and name in catalog:
            template = catalog.get(name)
            lines = [template.description, ""] + [
                f"• {v.label} ({v.type.value}{', required' if v.required else ''})"
                for v in template.variables
            ]
            return notice_card.build(template.title, "\n".join(lines))
        lines = [f"• {n}: {catalog.get(n).title}" for n in catalog.names()]
        title = "Templates" if not name else f"No template called {name[:60]}; these exist"
        return notice_card.build(title, "\n".join(lines))

    async def _requests_card(self, oid: str, command: Command) -> Card:
        store = self._services().store
        if command.name == "status" and command.argument:
            request = await self._find_own(oid, command.argument)
            if request is None:
                return notice_card.build("Not found", "You have no send request with that id.")
            return requests_card.build_status(summary(request), _progress(request))
        if command.name == "approvals":
            rows = [summary(r) for r in await self._awaiting(oid)]
            return requests_card.build_list(
                "Waiting for your approval", rows, "Nothing waits for your approval."
            )
        mine = await store.list_requests(requester_oid=oid, limit=10)
        title = "Your recent send requests" if command.name == "history" else "Status"
        return requests_card.build_list(
            title, [summary(r) for r in mine], "You have not sent anything with Mailroom yet."
        )

    async def _awaiting(self, oid: str) -> list[SendRequest]:
        """Pending requests this user may decide: in the sender's approvers group, and not
        their own unless the sender allows self-approval."""
        services = self._services()
        user = await services.facts.user(oid)
        groups = {g.lower() for g in user.groups or ()}
        pending = await services.store.list_requests(states=[SendState.PENDING_APPROVAL], limit=200)
        mine = []
        for request in pending:
            sender = services.policy.sender(request.sender_address)
            group = sender.approval.approvers_group if sender else None
            if sender is None or group is None or group.lower() not in groups:
                continue
            if request.requester_oid == oid and not sender.approval.allow_self_approval:
                continue
            mine.append(request)
        return mine

    async def _cancel_by_id(self, oid: str, short_id: str) -> Card:
        request = await self._find_own(oid, short_id)
        if request is None:
            return notice_card.build("Not found", "You have no send request with that id.")
        result = await self._services().flow.cancel(oid, request.id, request.version)
        return self._step_card(result)

    async def _find_own(self, oid: str, short_id: str) -> SendRequest | None:
        wanted = short_id.strip().lower()
        if len(wanted) < 4:
            return None
        mine = await self._services().store.list_requests(requester_oid=oid, limit=200)
        return next((r for r in mine if r.id.startswith(wanted)), None)

    # --- card verbs ------------------------------------------------------------------

    async def start(self, ctx: TurnContext, info: TurnInfo, action: InvokeAction) -> InvokeResult:
        return await self._card(lambda: self._senders(info))

    async def _senders(self, info: TurnInfo) -> Card:
        flow = self._services().flow
        return senders_card.build(sender_options(await flow.senders(_oid(info))))

    async def pick_sender(
        self, ctx: TurnContext, info: TurnInfo, action: InvokeAction
    ) -> InvokeResult:
        address = action.data.get("sender", "")

        async def step() -> Card:
            started = await self._services().flow.start(_oid(info), info.tenant_id or "", address)
            if isinstance(started, Refused):
                return explanation_card.build(explanation_view(started))
            return self._compose(started)

        return await self._card(step)

    async def why(self, ctx: TurnContext, info: TurnInfo, action: InvokeAction) -> InvokeResult:
        return await self._card(lambda: self._why_card(_oid(info), action.data.get("sender", "")))

    async def pick_template(
        self, ctx: TurnContext, info: TurnInfo, action: InvokeAction
    ) -> InvokeResult:
        draft, version = _ref(action, "draft")

        async def step() -> Card:
            result = await self._services().flow.choose_template(
                _oid(info), draft, version, action.data.get("template", "")
            )
            return self._step_card(result)

        return await self._card(step)

    async def preview(self, ctx: TurnContext, info: TurnInfo, action: InvokeAction) -> InvokeResult:
        draft, version = _ref(action, "draft")

        async def step() -> Card:
            result = await self._services().flow.preview(_oid(info), draft, version, action.data)
            return self._step_card(result)

        return await self._card(step)

    async def compose_cancel(
        self, ctx: TurnContext, info: TurnInfo, action: InvokeAction
    ) -> InvokeResult:
        return CardResult(notice_card.build("Cancelled", "Nothing was sent."))

    async def send(self, ctx: TurnContext, info: TurnInfo, action: InvokeAction) -> InvokeResult:
        request_id, version = _ref(action, "request")

        try:
            services = self._services()
        except LookupError:
            return CardResult(unavailable_card("Mailroom is still starting"))
        oid = _oid(info)

        async def warm() -> None:
            sso = action.sso_token or await services.sso.sso_token(ctx, oid)
            if sso is None and services.settings.oauth_connection and not action.sso_token:
                raise SignInNeeded
            await services.tokens.user_token(oid, sso, GRAPH_RESOURCE)

        async def step() -> Card:
            result = await services.flow.send(oid, request_id, version, warm_user_token=warm)
            if isinstance(result, SendRequest):
                await self._track_card(ctx, info, result)
                if services.worker is not None:
                    services.worker.wake()
            return self._step_card(result)

        try:
            return await self._card(step)
        except SignInNeeded:
            settings = services.settings
            connection = settings.oauth_connection
            assert connection is not None
            return LoginResult(
                connection_name=connection,
                resource_uri=f"api://botid-{settings.app_id or settings.graph_client_id}",
                sign_in_url=await sign_in_url(ctx, connection),
            )

    async def edit(self, ctx: TurnContext, info: TurnInfo, action: InvokeAction) -> InvokeResult:
        request_id, version = _ref(action, "request")

        async def step() -> Card:
            return self._step_card(
                await self._services().flow.edit(_oid(info), request_id, version)
            )

        return await self._card(step)

    async def cancel(self, ctx: TurnContext, info: TurnInfo, action: InvokeAction) -> InvokeResult:
        request_id, version = _ref(action, "request")  # the progress card sends no version

        async def step() -> Card:
            result = await self._services().flow.cancel(_oid(info), request_id, version)
            return self._step_card(result)

        return await self._card(step)

    async def status(self, ctx: TurnContext, info: TurnInfo, action: InvokeAction) -> InvokeResult:
        request_id = action.data.get("request", "")[:64]
        return await self._card(lambda: self._status_card(_oid(info), request_id))

    async def _status_card(self, oid: str, request_id: str) -> Card:
        found = await self._services().flow.request_view(oid, request_id)
        if isinstance(found, Refused):
            return explanation_card.build(explanation_view(found))
        return self._request_card(found)

    async def retry_failed(
        self, ctx: TurnContext, info: TurnInfo, action: InvokeAction
    ) -> InvokeResult:
        request_id = action.data.get("request", "")[:64]

        async def step() -> Card:
            services = self._services()
            result = await services.flow.retry_failed(_oid(info), request_id)
            if isinstance(result, SendRequest) and services.worker is not None:
                services.worker.wake()
            return self._step_card(result)

        return await self._card(step)

    # --- shared ------------------------------------------------------------------------

    def _compose(self, step: Compose) -> Card:
        return compose_card.build(compose_view(step, self._services().catalog))

    def _step_card(self, step: Compose | Preview | Refused | Stale | SendRequest) -> Card:
        services = self._services()
        if isinstance(step, Compose):
            return self._compose(step)
        if isinstance(step, Preview):
            url = services.links.url(step.request.id)
            return preview_card.build(preview_view(step, services.policy, url))
        if isinstance(step, Refused):
            return explanation_card.build(explanation_view(step))
        if isinstance(step, Stale):
            if step.request is not None:
                return self._request_card(step.request)
            return notice_card.build(
                "This card is out of date", "Start again with /send.", retry_verb=verbs.SEND_START
            )
        return self._request_card(step)

    def _request_card(self, request: SendRequest) -> Card:
        if request.state in (SendState.QUEUED, SendState.SENDING):
            return sending_card.build(_progress(request))
        if request.state is SendState.DRAFT and request.content is not None:
            return requests_card.build_status(summary(request), None)
        return requests_card.build_status(summary(request), _progress(request))

    async def _track_card(self, ctx: TurnContext, info: TurnInfo, request: SendRequest) -> None:
        """Remember which card shows this request so the outbox worker can update it."""
        from bot.store.records import CardRef, CardRole  # noqa: PLC0415

        activity_id = ctx.activity.reply_to_id
        if not activity_id:
            return
        reference = _reference(ctx)
        store = self._services().store
        await store.save_card(
            CardRef(
                request_id=request.id,
                activity_id=activity_id,
                role=CardRole.REQUESTER,
                reference=reference,
                created_at=request.updated_at,
                user_oid=info.user_oid,
            )
        )

    async def _remember(self, ctx: TurnContext, info: TurnInfo) -> None:
        """Keep the user's *personal* chat reference: approval cards and updates go there,
        never to a group chat or channel where others would read them."""
        if not info.user_oid or info.conversation_type not in (None, "personal"):
            return
        try:
            await self._services().store.save_conversation_ref(info.user_oid, _reference(ctx))
        except (StoreUnavailable, LookupError):
            logger.warning("conversation reference not saved: store unavailable")

    async def _card(self, build: Callable[[], Awaitable[Card]]) -> InvokeResult:
        return CardResult(await self._guarded(build))

    async def _guarded(self, build: Callable[[], Awaitable[Card]]) -> Card:
        """Dependencies failing become a "temporarily unavailable" card, not a crash."""
        try:
            return await build()
        except _TRANSIENT as error:
            logger.warning("dependency unavailable: %s", type(error).__name__)
            return unavailable_card(_describe(error))
        except LookupError:
            return unavailable_card("Mailroom is still starting")


def _oid(info: TurnInfo) -> str:
    if not info.user_oid:
        raise ValueError("no user")
    return info.user_oid


def _ref(action: InvokeAction, kind: str) -> tuple[str, int]:
    version = action.data.get("version", "")
    # ASCII digits only ("²".isdigit() is True, int("²") raises) and short (a 5,000-digit
    # string is over int()'s limit): anything else is a version no card ever had.
    ok = version.isascii() and version.isdigit() and len(version) <= 9
    return action.data.get(kind, "")[:64], int(version) if ok else -1


def _reference(ctx: TurnContext) -> dict[str, Any]:
    reference = ctx.activity.get_conversation_reference()
    dumped: dict[str, Any] = reference.model_dump(by_alias=True, exclude_none=True, mode="json")
    return dumped


def _progress(request: SendRequest) -> ProgressView:
    return ProgressView(
        request_id=request.id,
        version=request.version,
        state=request.state.value,
        from_line=request.sender_address,
        subject=request.subject,
        total=request.message_count,
        sent=request.message_count if request.state is SendState.SENT else 0,
        failed=0,
    )


def _describe(error: Exception) -> str:
    if isinstance(error, StoreUnavailable):
        return "the database"
    if isinstance(error, IdentityError):
        return "Microsoft Entra ID"
    if isinstance(error, ExchangeError):
        return "Exchange"
    return "Microsoft Graph"


def _parse_note(error: ParseError) -> str:
    note = error.message
    if error.suggestion:
        note += f" Did you mean {error.suggestion}?"
    if error.usage:
        note += f" Usage: {error.usage}"
    return note


def error_result(message: str) -> ErrorResult:
    return ErrorResult(400, "BadRequest", message)
