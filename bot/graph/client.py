"""``GraphClient``: the Microsoft Graph calls Mailroom makes, with honest retries.

Rules, in one place:

* Every HTTP request carries a fresh ``client-request-id``; the token comes from the
  injected ``TokenProvider`` per attempt (msal caches it).
* A request that touches a mailbox holds one of that mailbox's slots in the shared
  ``MailboxLimiter`` while it is on the wire (not while it waits to retry).
* Writes (``sendMail``, creating a draft, sending one) are not idempotent. They are retried
  only when Graph certainly did not run them: a 429 (Graph's request and concurrency limits
  refuse a call before running it) and transport failures before the request was completely
  written. A failure after it was written, or any 5xx — 503 included: Microsoft does not
  document that a busy answer means "not accepted" — is "maybe" and never retried here.
* Reads are idempotent: retried on 429, 503, 504 and any transport failure.
* ``Retry-After`` is honoured up to ``RetryPolicy.retry_after_cap``; otherwise jittered
  exponential backoff. Everything, waits included, fits in ``Timeouts.total``.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from bot.domain.attachments import SESSION_MINIMUM
from bot.errors import GraphError, GraphTransportError, IdentityError
from bot.graph.caller import APP, AsUser, Caller
from bot.graph.envelope import error_from_answer
from bot.graph.limiter import MailboxLimiter
from bot.graph.message import Attachment, MailMessage, mailroom_id_filter
from bot.graph.models import (
    BatchRequest,
    BatchResponse,
    DraftRef,
    FoundMessage,
    GraphUser,
    GroupRef,
)
from bot.graph.outcome import (
    Attached,
    AttachOutcome,
    Created,
    DraftOutcome,
    MaybeSent,
    NotSent,
    SendOutcome,
    Sent,
)
from bot.graph.uploads import upload_ranges
from bot.graph.wire import Answer, NoAnswer, attempt
from bot.identity.provider import GRAPH_RESOURCE, TokenProvider
from bot.metrics import Metrics
from bot.netclient import RetryPolicy, Timeouts

logger = logging.getLogger(__name__)

GRAPH_V1 = "https://graph.microsoft.com/v1.0"
MAX_BATCH = 20
MAX_CHECK_MEMBER_GROUPS = 20
_FOUND_FIELDS = "id,subject,isDraft,parentFolderId,createdDateTime,sentDateTime,internetMessageId"
_FOUND_TOP = 50

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class _Done:
    response: httpx.Response
    client_request_id: str
    attempts: int


@dataclass(frozen=True)
class _Failed:
    error: GraphError | GraphTransportError | IdentityError
    attempts: int


@dataclass(frozen=True)
class _Unknown:
    error: GraphError | GraphTransportError
    client_request_id: str
    attempts: int


class GraphClient:
    """Microsoft Graph v1.0 over an injected ``httpx.AsyncClient``."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        tokens: TokenProvider,
        base_url: str = GRAPH_V1,
        *,
        limiter: MailboxLimiter,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        resource: str = GRAPH_RESOURCE,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        metrics: Metrics | None = None,
    ) -> None:
        self._http = http
        self._metrics = metrics or Metrics()
        self._tokens = tokens
        self._base = base_url.rstrip("/")
        self._limiter = limiter
        self._retry = retry or RetryPolicy()
        self._timeouts = timeouts or Timeouts()
        self._resource = resource
        self._sleep = sleep
        self._jitter = jitter

    # --- sending -----------------------------------------------------------------------

    async def send_mail(
        self,
        caller: Caller,
        message: MailMessage,
        *,
        mailbox: str | None = None,
        save_to_sent_items: bool = True,
        timeouts: Timeouts | None = None,
    ) -> SendOutcome:
        """``POST /me/sendMail`` (``mailbox=None``, a user caller) or
        ``POST /users/{mailbox}/sendMail``. Send as / on behalf of another mailbox by setting
        ``message.sender``."""
        path, key = _mailbox_path(caller, mailbox)
        body = {"message": message.to_graph(), "saveToSentItems": save_to_sent_items}
        return await self._send(caller, f"{path}/sendMail", key, body, timeouts)

    async def create_draft(
        self,
        caller: Caller,
        message: MailMessage,
        *,
        mailbox: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> DraftOutcome:
        """``POST /{me|users/{mailbox}}/messages`` → 201 with the draft (``Created``).
        ``MaybeSent`` means the draft may exist: look it up by its Mailroom id
        (``find_by_mailroom_id``) before creating another."""
        path, key = _mailbox_path(caller, mailbox)
        result = await self._perform(
            caller,
            "POST",
            self._base + f"{path}/messages",
            mailbox_key=key,
            json=message.to_graph(),
            idempotent=False,
            timeouts=timeouts,
        )
        if not isinstance(result, _Done):
            return _not_done(result)
        data = _json_object(result.response)
        return Created(
            DraftRef(id=str(data["id"]), mailbox=mailbox),
            request_id=result.response.headers.get("request-id"),
        )

    async def send_draft(
        self, caller: Caller, draft: DraftRef, *, timeouts: Timeouts | None = None
    ) -> SendOutcome:
        """``POST .../messages/{id}/send`` → 202. Sending the same draft again is how an
        uncertain send is retried: Exchange refuses an item it already took."""
        path, key = _mailbox_path(caller, draft.mailbox)
        target = f"{path}/messages/{quote(draft.id, safe='=')}/send"
        return await self._send(caller, target, key, None, timeouts)

    # --- attachments ---------------------------------------------------------------------

    async def list_attachments(
        self, caller: Caller, draft: DraftRef, *, timeouts: Timeouts | None = None
    ) -> list[tuple[str, int]]:
        """The (name, size) of each file already on the draft."""
        path, key = _mailbox_path(caller, draft.mailbox)
        url = self._base + f"{path}/messages/{quote(draft.id, safe='=')}/attachments"
        query = _query({"$select": "id,name,size"})
        result = await self._perform(
            caller, "GET", url, mailbox_key=key, query=query, timeouts=timeouts
        )
        items = _json_object(_unwrap(result)).get("value")
        return [
            (str(item.get("name")), int(item.get("size") or 0))
            for item in items or []
            if isinstance(item, dict)
        ]

    async def attach(
        self,
        caller: Caller,
        draft: DraftRef,
        attachment: Attachment,
        *,
        timeouts: Timeouts | None = None,
    ) -> AttachOutcome:
        """Put one file on the draft: ``POST .../attachments`` under 3 MB, an upload session
        (``createUploadSession``, then ranged PUTs) from 3 MB."""
        path, key = _mailbox_path(caller, draft.mailbox)
        base = self._base + f"{path}/messages/{quote(draft.id, safe='=')}/attachments"
        limits = timeouts or self._timeouts
        if len(attachment.content) < SESSION_MINIMUM:
            posted = await self._perform(
                caller,
                "POST",
                base,
                mailbox_key=key,
                json=attachment.to_graph(),
                idempotent=False,
                timeouts=limits,
            )
            if not isinstance(posted, _Done):
                return _not_done(posted)
            return Attached(str(_json_object(posted.response).get("id") or "") or None)
        item = {
            "attachmentType": "file",
            "name": attachment.name,
            "size": len(attachment.content),
            "contentType": attachment.content_type,
            "isInline": attachment.inline,
        }
        created = await self._perform(
            caller,
            "POST",
            base + "/createUploadSession",
            mailbox_key=key,
            json={"AttachmentItem": item},
            timeouts=limits,  # a session holds nothing until its last range: safe to retry
        )
        if not isinstance(created, _Done):
            return NotSent(created.error, created.attempts)
        upload_url = _json_object(created.response).get("uploadUrl")
        if not isinstance(upload_url, str) or not upload_url.startswith("https://"):
            error = GraphError(201, "InvalidResponse", "the upload session has no uploadUrl")
            return NotSent(error, created.attempts)
        return await upload_ranges(self._http, upload_url, attachment.content, limits)

    async def find_by_mailroom_id(
        self,
        mailbox: str | None,
        mailroom_id: str,
        *,
        caller: Caller = APP,
        timeouts: Timeouts | None = None,
    ) -> list[FoundMessage]:
        """Every item of the mailbox carrying ``mailroom_id`` (one request over all folders:
        drafts, the Sent Items copy, a draft the user deleted). ``mailbox=None`` searches the
        user caller's own mailbox. Needs ``Mail.Read`` or ``Mail.ReadWrite``:
        ``Mail.ReadBasic*`` cannot see extended properties."""
        path, key = _mailbox_path(caller, mailbox)
        query = _query(
            {
                "$filter": mailroom_id_filter(mailroom_id),
                "$select": _FOUND_FIELDS,
                "$top": str(_FOUND_TOP),
            }
        )
        result = await self._perform(
            caller,
            "GET",
            self._base + f"{path}/messages",
            mailbox_key=key,
            query=query,
            timeouts=timeouts,
        )
        items = _json_object(_unwrap(result)).get("value") or []
        return [
            FoundMessage(
                id=str(item["id"]),
                is_draft=bool(item.get("isDraft")),
                folder_id=item.get("parentFolderId"),
                subject=item.get("subject"),
                internet_message_id=item.get("internetMessageId"),
                created=item.get("createdDateTime"),
                sent=item.get("sentDateTime"),
            )
            for item in items
            if isinstance(item, dict)
        ]

    async def delete_message(
        self,
        caller: Caller,
        mailbox: str | None,
        message_id: str,
        *,
        timeouts: Timeouts | None = None,
    ) -> None:
        """``DELETE .../messages/{id}`` (into Deleted Items). An item already gone is fine."""
        path, key = _mailbox_path(caller, mailbox)
        url = self._base + f"{path}/messages/{quote(message_id, safe='=')}"
        result = await self._perform(caller, "DELETE", url, mailbox_key=key, timeouts=timeouts)
        if isinstance(result, _Done) or (
            isinstance(result.error, GraphError) and result.error.status == 404
        ):
            return
        raise result.error

    # --- directory ---------------------------------------------------------------------

    async def get_user(
        self, caller: Caller, user: str, *, timeouts: Timeouts | None = None
    ) -> GraphUser:
        """``GET /users/{id|upn}``; ``MailboxNotFound`` when there is no such user."""
        url = self._base + f"/users/{quote(user, safe='@')}"
        query = _query({"$select": "id,displayName,mail,userPrincipalName"})
        result = await self._perform(caller, "GET", url, query=query, timeouts=timeouts)
        return GraphUser.from_graph(_json_object(_unwrap(result)))

    async def check_member_groups(
        self,
        caller: Caller,
        user: str,
        group_ids: Iterable[str],
        *,
        timeouts: Timeouts | None = None,
    ) -> frozenset[str]:
        """The subset of ``group_ids`` the user belongs to, directly or transitively
        (``checkMemberGroups``, 20 ids per request)."""
        ids = list(dict.fromkeys(group_ids))
        url = self._base + f"/users/{quote(user, safe='@')}/checkMemberGroups"
        found: set[str] = set()
        for start in range(0, len(ids), MAX_CHECK_MEMBER_GROUPS):
            chunk = ids[start : start + MAX_CHECK_MEMBER_GROUPS]
            result = await self._perform(
                caller, "POST", url, json={"groupIds": chunk}, timeouts=timeouts
            )
            found.update(str(v) for v in _json_object(_unwrap(result)).get("value") or [])
        return frozenset(found)

    async def transitive_member_of(
        self, caller: Caller, user: str, *, timeouts: Timeouts | None = None
    ) -> list[GroupRef]:
        """Every group the user belongs to, directly or through nesting (all pages)."""
        url: str | None = self._base + f"/users/{quote(user, safe='@')}/transitiveMemberOf"
        query: str | None = _query({"$select": "id,displayName", "$top": "999"})
        groups: list[GroupRef] = []
        while url is not None:
            result = await self._perform(caller, "GET", url, query=query, timeouts=timeouts)
            page = _json_object(_unwrap(result))
            for item in page.get("value") or []:
                if item.get("@odata.type", "#microsoft.graph.group") == "#microsoft.graph.group":
                    groups.append(GroupRef(str(item["id"]), item.get("displayName")))
            url, query = self._next_link(page), None
        return groups

    async def get_group(
        self, caller: Caller, group_id: str, *, timeouts: Timeouts | None = None
    ) -> GroupRef:
        """``GET /groups/{id}``: the group's display name (GroupMember.Read.All)."""
        url = self._base + f"/groups/{quote(group_id, safe='')}"
        query = _query({"$select": "id,displayName"})
        result = await self._perform(caller, "GET", url, query=query, timeouts=timeouts)
        item = _json_object(_unwrap(result))
        return GroupRef(str(item.get("id") or group_id), item.get("displayName"))

    async def install_app_for_user(
        self, caller: Caller, user: str, catalog_app_id: str, *, timeouts: Timeouts | None = None
    ) -> bool:
        """``POST /users/{id}/teamwork/installedApps``: install the Teams app ``catalog_app_id``
        in the user's personal scope. True: installed now; False: it already was (409).
        Other refusals raise (403: the permission or the tenant's app policy)."""
        url = self._base + f"/users/{quote(user, safe='@')}/teamwork/installedApps"
        bind = f"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{quote(catalog_app_id)}"
        try:
            # A repeat is harmless (409: already installed), so a lost answer may be retried.
            result = await self._perform(
                caller, "POST", url, json={"teamsApp@odata.bind": bind}, idempotent=True,
                timeouts=timeouts,
            )  # fmt: skip
            _unwrap(result)
        except GraphError as error:
            if error.status == 409:
                return False
            raise
        return True

    async def installed_apps(
        self, caller: Caller, user: str, *, timeouts: Timeouts | None = None
    ) -> list[str]:
        """The catalog ids of the Teams apps in the user's personal scope."""
        url = self._base + f"/users/{quote(user, safe='@')}/teamwork/installedApps"
        query = _query({"$expand": "teamsApp"})
        result = await self._perform(caller, "GET", url, query=query, timeouts=timeouts)
        page = _json_object(_unwrap(result))
        return [
            str(item["teamsApp"]["id"])
            for item in page.get("value") or []
            if isinstance(item.get("teamsApp"), dict) and "id" in item["teamsApp"]
        ]

    async def group_members(
        self, caller: Caller, group_id: str, *, timeouts: Timeouts | None = None
    ) -> list[GraphUser]:
        """Every user in the group, directly or through nested groups (all pages)."""
        url: str | None = self._base + f"/groups/{quote(group_id, safe='')}/transitiveMembers"
        query: str | None = _query(
            {"$select": "id,displayName,mail,userPrincipalName", "$top": "999"}
        )
        members: list[GraphUser] = []
        while url is not None:
            result = await self._perform(caller, "GET", url, query=query, timeouts=timeouts)
            page = _json_object(_unwrap(result))
            for item in page.get("value") or []:
                if item.get("@odata.type", "#microsoft.graph.user") == "#microsoft.graph.user":
                    members.append(GraphUser.from_graph(item))
            url, query = self._next_link(page), None
        return members

    # --- $batch ------------------------------------------------------------------------

    async def batch(
        self,
        caller: Caller,
        requests: Sequence[BatchRequest],
        *,
        mailbox: str | None = None,
        idempotent: bool = False,
        timeouts: Timeouts | None = None,
    ) -> list[BatchResponse]:
        """``POST /$batch`` with up to 20 items; answers in request order. Each item's
        outcome is in its ``BatchResponse`` (``error()`` types it). ``mailbox`` names the
        mailbox the items touch, for the limiter. Items are never retried here."""
        if not 0 < len(requests) <= MAX_BATCH:
            raise ValueError(f"a $batch holds 1 to {MAX_BATCH} requests")
        result = await self._perform(
            caller,
            "POST",
            self._base + "/$batch",
            mailbox_key=mailbox,
            json={"requests": [r.to_graph() for r in requests]},
            idempotent=idempotent,
            timeouts=timeouts,
        )
        data = _json_object(_unwrap(result))
        by_id: dict[str, BatchResponse] = {}
        for item in data.get("responses") or []:
            answer = BatchResponse(
                id=str(item.get("id")),
                status=int(item.get("status", 0)),
                headers={str(k): str(v) for k, v in (item.get("headers") or {}).items()},
                body=item.get("body"),
            )
            by_id[answer.id] = answer
        missing = [r.id for r in requests if r.id not in by_id]
        if missing:
            raise GraphError(
                _status(result), "BatchResponseIncomplete", f"no answer for items {missing}"
            )
        return [by_id[r.id] for r in requests]

    # --- the retry loop ----------------------------------------------------------------

    async def _send(
        self,
        caller: Caller,
        path: str,
        mailbox_key: str,
        body: dict[str, Any] | None,
        timeouts: Timeouts | None,
    ) -> SendOutcome:
        result = await self._perform(
            caller,
            "POST",
            self._base + path,
            mailbox_key=mailbox_key,
            json=body,
            idempotent=False,
            timeouts=timeouts,
        )
        if isinstance(result, _Done):
            return Sent(
                request_id=result.response.headers.get("request-id"),
                client_request_id=result.client_request_id,
                attempts=result.attempts,
            )
        return _not_done(result)

    async def _perform(
        self,
        caller: Caller,
        method: str,
        url: str,
        *,
        mailbox_key: str | None = None,
        json: Any = None,
        query: str | None = None,
        idempotent: bool = True,
        timeouts: Timeouts | None = None,
    ) -> _Done | _Failed | _Unknown:
        limits = timeouts or self._timeouts
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limits.total
        last: GraphError | GraphTransportError | None = None
        attempts = 0
        while True:
            try:
                token = await self._token(caller)
            except IdentityError as exc:
                return _Failed(exc, attempts)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return _Failed(last or _deadline_error(), attempts)
            try:
                result = await self._attempt_in_slot(
                    method,
                    url,
                    token=token,
                    mailbox_key=mailbox_key,
                    json=json,
                    query=query,
                    limits=limits,
                    deadline=deadline,
                )
            except TimeoutError:
                return _Failed(last or _no_slot_error(mailbox_key), attempts)
            attempts += 1

            retry_after: float | None = None
            if isinstance(result, NoAnswer):
                last = GraphTransportError(result.sent, result.reason)
                if result.sent == "maybe" and not idempotent:
                    logger.warning("Graph %s %s: maybe sent: %s", method, _loggable(url), last)
                    return _Unknown(last, result.client_request_id, attempts)
            else:
                status = result.response.status_code
                if status < 400:
                    return _Done(result.response, result.client_request_id, attempts)
                last = error_from_answer(
                    status,
                    result.response.headers,
                    result.response.content,
                    sent_client_request_id=result.client_request_id,
                )
                if status >= 500 and not idempotent:
                    logger.warning("Graph %s %s: maybe sent: %s", method, _loggable(url), last)
                    return _Unknown(last, result.client_request_id, attempts)
                if status == 429:
                    self._metrics.graph_throttled()
                if status not in (429, 503, 504):
                    return _Failed(last, attempts)
                retry_after = last.retry_after

            delay = self._retry.delay(attempts, retry_after, self._jitter())
            if delay is None or loop.time() + delay >= deadline:
                return _Failed(last, attempts)
            self._metrics.graph_retry(None if isinstance(result, NoAnswer) else status)
            logger.info(
                "Graph %s %s: %s; retry %d in %.2f s",
                method,
                _loggable(url),
                last,
                attempts,
                delay,
            )
            await self._sleep(delay)

    async def _attempt_in_slot(
        self,
        method: str,
        url: str,
        *,
        token: str,
        mailbox_key: str | None,
        json: Any,
        query: str | None,
        limits: Timeouts,
        deadline: float,
    ) -> Answer | NoAnswer:
        """One attempt; waiting for the mailbox slot counts against the deadline and raises
        ``TimeoutError`` when it runs out (nothing was sent)."""
        loop = asyncio.get_running_loop()
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        slot: AbstractAsyncContextManager[None] = (
            nullcontext()
            if mailbox_key is None
            else self._limiter.slot(mailbox_key, deadline=deadline)
        )
        async with slot:
            remaining = deadline - loop.time()
            return await attempt(
                self._http,
                method,
                url,
                headers=headers,
                json=json,
                query=query,
                http_timeouts=limits.for_attempt(remaining),
                deadline_in=remaining,
            )

    async def _token(self, caller: Caller) -> str:
        if isinstance(caller, AsUser):
            return await self._tokens.user_token(caller.oid, caller.sso_token, self._resource)
        return await self._tokens.app_token(self._resource)

    def _next_link(self, page: dict[str, Any]) -> str | None:
        link = page.get("@odata.nextLink")
        if link is None:
            return None
        if not isinstance(link, str) or not link.startswith(self._base + "/"):
            # Never send the bearer token anywhere but the configured Graph.
            raise GraphError(200, "UnexpectedNextLink", "the next page is not on this Graph")
        return link


def _mailbox_path(caller: Caller, mailbox: str | None) -> tuple[str, str]:
    """The URL path of the mailbox and its limiter key."""
    if mailbox is not None:
        return f"/users/{quote(mailbox, safe='@')}", mailbox
    if isinstance(caller, AsUser):
        return "/me", caller.own_mailbox_key
    raise ValueError("an app-only call must name the mailbox (there is no /me)")


def _not_done(result: _Failed | _Unknown) -> NotSent | MaybeSent:
    """A write that did not succeed: certainly not run (``NotSent``), or perhaps run."""
    if isinstance(result, _Failed):
        return NotSent(result.error, result.attempts)
    error = result.error
    if isinstance(error, GraphError):
        return MaybeSent(
            reason=f"Graph answered {error.status} {error.code} after the request was sent",
            client_request_id=result.client_request_id,
            attempts=result.attempts,
            status=error.status,
            request_id=error.request_id,
            retry_after=error.retry_after,
        )
    return MaybeSent(
        reason=error.reason, client_request_id=result.client_request_id, attempts=result.attempts
    )


def _unwrap(result: _Done | _Failed | _Unknown) -> httpx.Response:
    if isinstance(result, _Done):
        return result.response
    raise result.error


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError as exc:
        raise GraphError(
            response.status_code,
            "InvalidResponse",
            "Graph answered with a body that is not JSON",
            request_id=response.headers.get("request-id"),
        ) from exc
    if not isinstance(data, dict):
        raise GraphError(response.status_code, "InvalidResponse", "expected a JSON object")
    return data


def _status(result: _Done | _Failed | _Unknown) -> int:
    return result.response.status_code if isinstance(result, _Done) else 0


def _query(params: dict[str, str]) -> str:
    """OData query string with ``%20`` for spaces (``+`` is not a space to every parser)."""
    return urlencode(params, quote_via=quote, safe="$,")


def _loggable(url: str) -> str:
    return url.split("?", 1)[0]


def _deadline_error() -> GraphTransportError:
    return GraphTransportError("not", "the call's total time ran out before it was sent")


def _no_slot_error(mailbox_key: str | None) -> GraphTransportError:
    return GraphTransportError(
        "not", f"no free request slot for mailbox {mailbox_key} within the call's total time"
    )
