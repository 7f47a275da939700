"""Reaching an approver with their approval card, whether or not they ever opened Mailroom.

In order, stopping at the first that works (docs/decisions/0007-reaching-approvers.md):

1. **chat** — their stored 1:1 chat with the bot (they talked to it before).
2. **installed** — no chat yet: install Mailroom for them through Graph (``POST
   /users/{id}/teamwork/installedApps``, TeamsAppInstallation.ReadWriteSelfForUser.All;
   409 means it already was), open the 1:1 chat with the connector's ``createConversation``
   (tenant + member), store its reference, post the card.
3. **email** — installation refused (403: the permission is missing or the tenant's app
   policy blocks it) or not configured: an email from the configured no-reply sender, with
   a Teams link that opens the approver's chat with Mailroom with ``/status MR-XXXX`` typed
   in, which shows them their own card of the request (approvers may view what they can
   decide), and the link that opens Mailroom's install dialog in case Teams needs it first.
4. **unreachable** — none of these worked (they blocked the bot, Graph or Teams failed).

How each approver was told is recorded (``Store.record_reach``), so the requester's card
can say who was emailed and who could not be reached; ``pending`` until then
(``bot.teams.asking`` reaches them after the click is answered).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from microsoft_agents.activity import ConversationReference
from microsoft_agents.hosting.core import ChannelServiceAdapter
from pydantic import ValidationError

from bot.domain.send_request import JsonValue, SendRequest
from bot.domain.senders import Policy, SenderKind
from bot.errors import GraphError, GraphTransportError, IdentityError, StoreError
from bot.flow.approvals import Approver
from bot.graph import APP, GraphClient, Sent
from bot.store import CardRole, Store
from bot.teams import proactive
from bot.teams.approval_email import EmailLinks, app_link, approval_email, bot_id, chat_link
from bot.teams.notifier import Delivered, NotDelivered, Notifier

logger = logging.getLogger(__name__)

Channel = Literal["chat", "installed", "email", "unreachable"]
NO_CHAT = "no conversation reference for the user"
PENDING = "pending"  # stored before the approver is told; replaced by their Channel


@dataclass(frozen=True)
class ReachConfig:
    catalog_app_id: str | None  # Mailroom in the Teams app catalog (None: never install)
    bot_app_id: str | None  # the bot's app id (None: anonymous local mode)


class ApproverReach:
    def __init__(
        self,
        store: Store,
        graph: GraphClient,
        notifier: Notifier,
        adapter: ChannelServiceAdapter,
        *,
        policy: Policy,
        config: ReachConfig,
    ) -> None:
        self._store = store
        self._graph = graph
        self._notifier = notifier
        self._adapter = adapter
        self._policy = policy
        self._config = config

    async def tell(
        self,
        approver: Approver,
        card: Mapping[str, Any],
        request: SendRequest,
        origin: Mapping[str, JsonValue],
    ) -> Channel:
        """Bring ``card`` to ``approver``; ``origin``: the requester's conversation (its
        service URL and bot account start the new chat)."""
        channel = await self._tell(approver, card, request, origin)
        try:
            await self._store.record_reach(request.id, approver.oid, channel)
        except StoreError as error:
            logger.warning("how an approver was told is not stored: %s", type(error).__name__)
        return channel

    async def _tell(
        self,
        approver: Approver,
        card: Mapping[str, Any],
        request: SendRequest,
        origin: Mapping[str, JsonValue],
    ) -> Channel:
        posted = await self._post(approver.oid, card, request.id)
        if isinstance(posted, Delivered):
            return "chat"
        if not (isinstance(posted, NotDelivered) and posted.reason == NO_CHAT):
            return "unreachable"  # blocked, or Teams failed: not a case for installing
        installed = await self._install(approver.oid)
        if installed == "refused":
            return await self._email(approver, request, origin)
        if installed == "failed":
            return "unreachable"
        if not await self._open_chat(approver.oid, request, origin):
            return "unreachable"
        posted = await self._post(approver.oid, card, request.id)
        return "installed" if isinstance(posted, Delivered) else "unreachable"

    async def _post(self, oid: str, card: Mapping[str, Any], request_id: str) -> object:
        return await self._notifier.notify_user(
            oid, card, request_id=request_id, role=CardRole.APPROVER
        )

    async def _install(self, oid: str) -> Literal["done", "refused", "failed"]:
        catalog = self._config.catalog_app_id
        if catalog is None:
            return "refused"  # not configured: the email is the only way
        try:
            await self._graph.install_app_for_user(APP, oid, catalog)
        except GraphError as error:
            if error.status != 403:
                logger.info(
                    "Mailroom not installed for an approver: %s %s", error.status, error.code
                )
                return "failed"
            logger.warning(
                "Mailroom could not install itself for an approver (Graph 403 %s), so they are "
                "emailed a link instead: the app needs the Microsoft Graph application permission "
                "TeamsAppInstallation.ReadWriteSelfForUser.All with admin consent, or the "
                "tenant's Teams app policy blocks Mailroom (`mailroom doctor` checks the "
                "permission)",
                error.code,
            )
            return "refused"
        except (GraphTransportError, IdentityError) as error:
            logger.warning("Mailroom not installed for an approver: %s", type(error).__name__)
            return "failed"
        return "done"

    async def _open_chat(
        self, oid: str, request: SendRequest, origin: Mapping[str, JsonValue]
    ) -> bool:
        try:
            parsed = ConversationReference.model_validate(dict(origin))
        except ValidationError:
            return False
        async with self._notifier.paced(f"create:{oid}"):
            opened = await proactive.open_personal(
                self._adapter,
                self._config.bot_app_id,
                parsed,
                tenant_id=request.tenant_id,
                user_oid=oid,
            )
        if isinstance(opened, proactive.Answer):
            logger.info("chat with an approver not opened: %s %s", opened.status, opened.code)
            return False
        reference = opened.model_dump(mode="json", by_alias=True, exclude_none=True)
        try:
            await self._store.save_conversation_ref(oid, reference)
        except StoreError as error:
            logger.warning("new chat not stored: %s", type(error).__name__)
            return False
        return True

    async def _email(
        self, approver: Approver, request: SendRequest, origin: Mapping[str, JsonValue]
    ) -> Channel:
        sender = next((s for s in self._policy.senders if s.kind is SenderKind.NOREPLY), None)
        if sender is None:
            logger.info("no no-reply sender configured: an approver is not emailed")
            return "unreachable"
        links = EmailLinks(
            chat=chat_link(bot_id(self._config.bot_app_id, origin), request),
            app=app_link(self._config.catalog_app_id, request.tenant_id),
        )
        message = approval_email(request, approver, sender.address, sender.display_name, links)
        try:
            outcome = await self._graph.send_mail(APP, message, mailbox=sender.address)
        except (GraphError, GraphTransportError, IdentityError) as error:
            logger.warning("approver email not sent: %s", type(error).__name__)
            return "unreachable"
        return "email" if isinstance(outcome, Sent) else "unreachable"
