"""``ExchangeAdminClient``: who may send as / on behalf of / open which mailbox.

Graph cannot tell; Exchange can, through the admin REST endpoint the ExchangeOnlineManagement
v3 module uses: ``POST {base}/adminapi/beta/{tenant}/InvokeCommand`` with
``{"CmdletInput": {"CmdletName": ..., "Parameters": {...}}}``, answered with
``{"value": [...], "@odata.nextLink": ...}`` (the next page is the same POST to that link).
Token audience ``https://outlook.office365.com``; header ``X-AnchorMailbox`` names the
organization's system mailbox.

Only reads, so every failure that may pass (429, 503, 504, no answer) is retried within the
call's total time. No caching here: the permission layer caches.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from bot.errors import ExchangeError
from bot.identity.provider import EXCHANGE_RESOURCE, TokenProvider
from bot.netclient import RetryPolicy, Timeouts, parse_retry_after

logger = logging.getLogger(__name__)

EXCHANGE_ONLINE = "https://outlook.office365.com"
SYSTEM_MAILBOX = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}"
OBJECT_NOT_FOUND = "ManagementObjectNotFoundException"
NO_ANSWER = "NoAnswer"
_SELF = "nt authority\\self"
_EXCEPTION_NAME = re.compile(r"\|(?:[\w]+\.)*(\w+Exception)\|")

Sleep = Callable[[float], Awaitable[None]]


class ExchangeAdminClient:
    """Exchange Online permission lookups over an injected ``httpx.AsyncClient``."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        tokens: TokenProvider,
        base_url: str,
        tenant: str,
        *,
        organization: str | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        page_size: int = 1000,
        resource: str = EXCHANGE_RESOURCE,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        """``tenant`` is the tenant id or initial domain in the URL; ``organization`` is the
        domain in ``X-AnchorMailbox`` (defaults to ``tenant`` when that is a domain)."""
        org = organization or (tenant if "." in tenant else None)
        if org is None:
            raise ValueError("organization (the tenant's domain) is needed for X-AnchorMailbox")
        self._http = http
        self._tokens = tokens
        self._url = f"{base_url.rstrip('/')}/adminapi/beta/{quote(tenant, safe='')}/InvokeCommand"
        self._origin = base_url.rstrip("/") + "/"
        self._anchor = f"APP:{SYSTEM_MAILBOX}@{org}"
        self._retry = retry or RetryPolicy()
        self._timeouts = timeouts or Timeouts()
        self._page_size = page_size
        self._resource = resource
        self._sleep = sleep
        self._jitter = jitter

    async def send_as_trustees(
        self, mailbox: str, *, timeouts: Timeouts | None = None
    ) -> frozenset[str]:
        """Who holds Send As on ``mailbox`` (``Get-RecipientPermission``), lower-cased as
        Exchange names them (UPNs for users); Deny entries win over Allow."""
        rows = await self.invoke(
            "Get-RecipientPermission", {"Identity": mailbox}, timeouts=timeouts
        )
        return _granted(
            rows,
            who="Trustee",
            right="SendAs",
            denied=lambda row: str(row.get("AccessControlType", "Allow")).lower() == "deny",
        )

    async def full_access_trustees(
        self, mailbox: str, *, timeouts: Timeouts | None = None
    ) -> frozenset[str]:
        """Who holds Full Access on ``mailbox`` (``Get-MailboxPermission``), lower-cased;
        Deny entries win over Allow; the mailbox's own ``NT AUTHORITY\\SELF`` is left out."""
        rows = await self.invoke("Get-MailboxPermission", {"Identity": mailbox}, timeouts=timeouts)
        return _granted(rows, who="User", right="FullAccess", denied=lambda row: _true(row, "Deny"))

    async def send_on_behalf_trustees(
        self, mailbox: str, *, timeouts: Timeouts | None = None
    ) -> frozenset[str]:
        """The mailbox's ``GrantSendOnBehalfTo`` list (``Get-Mailbox``), lower-cased."""
        row = await self._mailbox(mailbox, timeouts)
        return frozenset(s.lower() for s in _strings(row.get("GrantSendOnBehalfTo")))

    async def recipient_type(self, mailbox: str, *, timeouts: Timeouts | None = None) -> str:
        """``RecipientTypeDetails``: ``UserMailbox``, ``SharedMailbox``, ``RoomMailbox``, ...
        An unknown mailbox raises ``ExchangeError`` with code ``OBJECT_NOT_FOUND``."""
        row = await self._mailbox(mailbox, timeouts)
        kind = row.get("RecipientTypeDetails") or row.get("RecipientType")
        if not isinstance(kind, str):
            raise ExchangeError(200, "InvalidResponse", "Get-Mailbox gave no recipient type")
        return kind

    async def mailboxes_user_can_send_as(
        self, user: str, *, timeouts: Timeouts | None = None
    ) -> frozenset[str]:
        """Mailboxes on which ``user`` holds Send As (``Get-RecipientPermission -Trustee``),
        lower-cased as Exchange names them."""
        rows = await self.invoke("Get-RecipientPermission", {"Trustee": user}, timeouts=timeouts)
        return _granted(
            rows,
            who="Identity",
            right="SendAs",
            denied=lambda row: str(row.get("AccessControlType", "Allow")).lower() == "deny",
        )

    async def invoke(
        self,
        cmdlet: str,
        parameters: Mapping[str, Any],
        *,
        timeouts: Timeouts | None = None,
    ) -> list[dict[str, Any]]:
        """Run one cmdlet and return every row of every page."""
        limits = timeouts or self._timeouts
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limits.total
        body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": dict(parameters)}}
        rows: list[dict[str, Any]] = []
        url: str | None = self._url
        while url is not None:
            page = await self._post(url, cmdlet, body, limits, deadline)
            value = page.get("value")
            if isinstance(value, list):
                rows.extend(v for v in value if isinstance(v, dict))
            url = self._next_link(page)
        return rows

    # --- internals ---------------------------------------------------------------------

    async def _mailbox(self, mailbox: str, timeouts: Timeouts | None) -> dict[str, Any]:
        rows = await self.invoke("Get-Mailbox", {"Identity": mailbox}, timeouts=timeouts)
        if not rows:
            raise ExchangeError(404, OBJECT_NOT_FOUND, f"no mailbox {mailbox!r}")
        return rows[0]

    async def _post(
        self,
        url: str,
        cmdlet: str,
        body: dict[str, Any],
        limits: Timeouts,
        deadline: float,
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        attempts = 0
        while True:
            token = await self._tokens.app_token(self._resource)
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise ExchangeError(0, NO_ANSWER, f"{cmdlet}: the call's total time ran out")
            attempts += 1
            retry_after: float | None = None
            try:
                async with asyncio.timeout(remaining):
                    response = await self._http.post(
                        url,
                        json=body,
                        headers=self._headers(token, cmdlet),
                        timeout=limits.for_attempt(remaining),
                    )
            except (TimeoutError, httpx.RequestError) as exc:
                error = ExchangeError(0, NO_ANSWER, f"{cmdlet}: {type(exc).__name__}: {exc}")
                cause: BaseException | None = exc
            else:
                if response.status_code < 400:
                    return _json_object(response, cmdlet)
                error = _error_from(response, cmdlet)
                cause = None
                if response.status_code not in (429, 503, 504):
                    raise error
                retry_after = parse_retry_after(response.headers.get("retry-after"))
            delay = self._retry.delay(attempts, retry_after, self._jitter())
            if delay is None or loop.time() + delay >= deadline:
                raise error from cause
            logger.info("Exchange %s: %s; retry %d in %.2f s", cmdlet, error, attempts, delay)
            await self._sleep(delay)

    def _headers(self, token: str, cmdlet: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "X-AnchorMailbox": self._anchor,
            "X-CmdletName": cmdlet,
            "X-ResponseFormat": "json",
            "X-SerializationLevel": "Partial",
            "Prefer": f"odata.maxpagesize={self._page_size}",
            "client-request-id": str(uuid.uuid4()),
        }

    def _next_link(self, page: Mapping[str, Any]) -> str | None:
        link = page.get("@odata.nextLink") or page.get("odata.nextLink")
        if link is None:
            return None
        if not isinstance(link, str) or not link.startswith(self._origin):
            # Never send the bearer token anywhere but the configured endpoint.
            raise ExchangeError(200, "UnexpectedNextLink", "the next page is elsewhere")
        return link


def _granted(
    rows: Iterable[Mapping[str, Any]],
    *,
    who: str,
    right: str,
    denied: Callable[[Mapping[str, Any]], bool],
) -> frozenset[str]:
    allowed: set[str] = set()
    refused: set[str] = set()
    for row in rows:
        name = row.get(who)
        if not isinstance(name, str) or name.lower() == _SELF:
            continue
        if right.lower() not in {r.lower() for r in _strings(row.get("AccessRights"))}:
            continue
        (refused if denied(row) else allowed).add(name.lower())
    return frozenset(allowed - refused)


def _strings(value: object) -> list[str]:
    """Exchange serialises multi-valued properties as a list, sometimes as one string."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return []


def _true(row: Mapping[str, Any], key: str) -> bool:
    value = row.get(key)
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _json_object(response: httpx.Response, cmdlet: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError as exc:
        raise ExchangeError(
            response.status_code, "InvalidResponse", f"{cmdlet}: the answer is not JSON"
        ) from exc
    if not isinstance(data, dict):
        raise ExchangeError(response.status_code, "InvalidResponse", f"{cmdlet}: not an object")
    return data


def _error_from(response: httpx.Response, cmdlet: str) -> ExchangeError:
    """The Exchange error envelope: ``{"error": {"code", "message", "details": [{"message":
    "...|Microsoft.Exchange...ManagementObjectNotFoundException|text"}]}}``. The exception's
    short name, when present, is the more useful ``code``."""
    code, message = f"Http{response.status_code}", ""
    try:
        data = response.json()
    except ValueError:
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        code = str(error.get("code") or code)
        message = str(error.get("message") or "")
        texts = [message]
        for detail in error.get("details") or []:
            if isinstance(detail, dict) and isinstance(detail.get("message"), str):
                texts.append(detail["message"])
        inner = error.get("innererror") or error.get("innerError") or {}
        if isinstance(inner, dict):
            internal = inner.get("internalException") or {}
            if isinstance(internal, dict) and isinstance(internal.get("message"), str):
                texts.append(internal["message"])
        for text in texts:
            found = _EXCEPTION_NAME.search(text)
            if found:
                code = found.group(1)
                message = text.rsplit("|", 1)[-1].strip() or message
                break
    elif response.content:
        message = response.content[:200].decode("utf-8", "replace")
    return ExchangeError(response.status_code, code, f"{cmdlet}: {message}")
