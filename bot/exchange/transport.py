"""One cmdlet call to Exchange Online's admin REST, in either of its two forms:

* ``POST {base}/adminapi/v2.0/{tenant}/{Endpoint}`` — the supported Exchange Online Admin
  API (application permission ``Exchange.ManageAsAppV2``), for the cmdlets it covers;
* ``POST {base}/adminapi/beta/{tenant}/InvokeCommand`` — what the ExchangeOnlineManagement
  module calls (``Exchange.ManageAsApp``); undocumented and unsupported, used only for the
  cmdlets v2.0 lacks (docs/decisions/0005-exchange-rights-source.md).

Both take ``{"CmdletInput": {"CmdletName": ..., "Parameters": {...}}}`` and answer
``{"value": [...], "@odata.nextLink": ...}`` (the next page is the same POST to that link).
Token audience ``https://outlook.office365.com``; ``X-AnchorMailbox`` names the
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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from bot.errors import ExchangeError
from bot.identity.provider import EXCHANGE_RESOURCE, TokenProvider
from bot.netclient import RetryPolicy, Timeouts, parse_retry_after

logger = logging.getLogger(__name__)

EXCHANGE_ONLINE = "https://outlook.office365.com"
SYSTEM_MAILBOX = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}"
NO_ANSWER = "NoAnswer"
_EXCEPTION_NAME = re.compile(r"(?:^|\|)(?:[\w]+\.)*(\w+Exception)(?:\||$)")

Sleep = Callable[[float], Awaitable[None]]


class AdminTransport:
    """Posts cmdlets over an injected ``httpx.AsyncClient``, paging and retrying."""

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
        self._origin = base_url.rstrip("/") + "/"
        self._tenant = quote(tenant, safe="")
        self._anchor = f"APP:{SYSTEM_MAILBOX}@{org}"
        self._retry = retry or RetryPolicy()
        self._timeouts = timeouts or Timeouts()
        self._page_size = page_size
        self._resource = resource
        self._sleep = sleep
        self._jitter = jitter

    def url(self, endpoint: str | None) -> str:
        """The v2.0 ``endpoint``'s URL; ``None``: the beta ``InvokeCommand``."""
        if endpoint is None:
            return f"{self._origin}adminapi/beta/{self._tenant}/InvokeCommand"
        return f"{self._origin}adminapi/v2.0/{self._tenant}/{quote(endpoint, safe='')}"

    async def run(
        self,
        cmdlet: str,
        parameters: Mapping[str, Any],
        *,
        endpoint: str | None = None,
        select: Sequence[str] = (),
        timeouts: Timeouts | None = None,
    ) -> list[dict[str, Any]]:
        """Run one cmdlet and return every row of every page."""
        limits = timeouts or self._timeouts
        deadline = asyncio.get_running_loop().time() + limits.total
        body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": dict(parameters)}}
        rows: list[dict[str, Any]] = []
        query = {"$select": ",".join(select)} if select else None
        url: str | None = self.url(endpoint)
        while url is not None:
            page = await self._post(url, query, body, limits=limits, deadline=deadline)
            value = page.get("value")
            if isinstance(value, list):
                rows.extend(v for v in value if isinstance(v, dict))
            url, query = self._next_link(page), None
        return rows

    async def _post(
        self,
        url: str,
        query: dict[str, str] | None,
        body: dict[str, Any],
        *,
        limits: Timeouts,
        deadline: float,
    ) -> dict[str, Any]:
        cmdlet = str(body["CmdletInput"]["CmdletName"])
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
                        params=query,
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
                error = error_from(response, cmdlet)
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


def _field(data: Mapping[str, Any], name: str) -> Any:
    """``data[name]``, matching the key's case loosely: OData writes ``innererror`` and
    ``internalexception``; other writers capitalise them."""
    for key, value in data.items():
        if key.lower() == name:
            return value
    return None


def error_from(response: httpx.Response, cmdlet: str) -> ExchangeError:
    """Exchange's error envelope, in any of its three shapes (``code`` becomes the
    exception's short name when one is named, e.g. ``ManagementObjectNotFoundException``):

    * ``error.details[].message`` = ``"<id>|<exception type>|<text>"`` (a cmdlet failed);
    * ``error.innererror.internalexception`` = ``{"message", "type"}`` (with or without
      ``details``; alone when the request never reached a cmdlet);
    * ``error.innererror`` = ``{"message", "type"}`` (authorisation).
    """
    code, message = f"Http{response.status_code}", ""
    try:
        data = response.json()
    except ValueError:
        data = None
    error = _field(data, "error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        if response.content:
            message = response.content[:200].decode("utf-8", "replace")
        return ExchangeError(response.status_code, code, f"{cmdlet}: {message}")
    code = str(error.get("code") or code)
    message = str(error.get("message") or "")
    candidates: list[tuple[str, str]] = []  # (text, exception type) to find a name in
    for detail in _field(error, "details") or []:
        if isinstance(detail, dict) and isinstance(detail.get("message"), str):
            candidates.append((detail["message"], ""))
    inner = _field(error, "innererror")
    if isinstance(inner, dict):
        internal = _field(inner, "internalexception")
        if isinstance(internal, dict):
            candidates.append((str(_field(internal, "message") or ""),
                               str(_field(internal, "type") or "")))  # fmt: skip
    for text, kind in candidates:
        found = _EXCEPTION_NAME.search(text) or _EXCEPTION_NAME.search(kind)
        if found:
            code = found.group(1)
            message = text.rsplit("|", 1)[-1].strip() or message
            break
    return ExchangeError(response.status_code, code, f"{cmdlet}: {message}")
