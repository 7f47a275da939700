"""``ExchangeAdminClient``: who may send as / on behalf of / open which mailbox.

Graph cannot tell; Exchange can. Each cmdlet goes where Microsoft supports it
(docs/decisions/0005-exchange-rights-source.md):

=========================  ==============================  ===============================
question                   cmdlet                          endpoint
=========================  ==============================  ===============================
Send on Behalf, mailbox    ``Get-Mailbox``                 v2.0 ``Mailbox`` (supported)
Send As                    ``Get-RecipientPermission``     beta ``InvokeCommand``
Full Access                ``Get-MailboxPermission``       beta ``InvokeCommand``
who is this trustee        ``Get-Recipient``               beta ``InvokeCommand``
=========================  ==============================  ===============================

It implements ``RightsSource`` (``bot/exchange/source.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

from bot.errors import ExchangeError
from bot.exchange.source import Recipient, Right, Trustees
from bot.exchange.transport import AdminTransport
from bot.netclient import Timeouts

logger = logging.getLogger(__name__)

OBJECT_NOT_FOUND = "ManagementObjectNotFoundException"
MAILBOX_ENDPOINT = "Mailbox"
_SELF = "nt authority\\self"
_MAILBOX_FIELDS = (
    "Identity",
    "Name",
    "DisplayName",
    "PrimarySmtpAddress",
    "RecipientTypeDetails",
    "ExternalDirectoryObjectId",
    "GrantSendOnBehalfTo",
)
_GROUP_TYPES = ("group", "dynamicdistributiongroup")
_PARALLEL = 4
_T = TypeVar("_T")


class ExchangeAdminClient(AdminTransport):
    """Exchange Online permission lookups over an injected ``httpx.AsyncClient`` (the
    constructor is ``AdminTransport``'s)."""

    # --- RightsSource -----------------------------------------------------------------

    async def trustees(
        self, mailbox: str, right: Right, *, timeouts: Timeouts | None = None
    ) -> Trustees:
        if right is Right.SEND_AS:
            rows = await self.invoke(
                "Get-RecipientPermission", {"Identity": mailbox}, timeouts=timeouts
            )
            return _entries(rows, who="Trustee", right="SendAs", denied=_deny_ace)
        if right is Right.FULL_ACCESS:
            rows = await self.invoke(
                "Get-MailboxPermission", {"Identity": mailbox}, timeouts=timeouts
            )
            return _entries(rows, who="User", right="FullAccess", denied=_deny_flag)
        row = await self.mailbox(mailbox, timeouts=timeouts)
        names = (s.lower() for s in _strings(row.get("GrantSendOnBehalfTo")))
        return Trustees(allowed=frozenset(n for n in names if n))

    async def recipient(self, name: str, *, timeouts: Timeouts | None = None) -> Recipient | None:
        try:
            rows = await self.invoke("Get-Recipient", {"Identity": name}, timeouts=timeouts)
        except ExchangeError as error:
            if error.code == OBJECT_NOT_FOUND:
                return None
            raise
        if not rows:
            return None
        row = rows[0]
        kind = str(row.get("RecipientTypeDetails") or row.get("RecipientType") or "").lower()
        return Recipient(
            name=str(row.get("Name") or row.get("Identity") or name),
            object_id=_lower(row.get("ExternalDirectoryObjectId")),
            primary_smtp=_lower(row.get("PrimarySmtpAddress")),
            display_name=str(row.get("DisplayName") or row.get("Name") or name),
            is_group=any(t in kind for t in _GROUP_TYPES),
        )

    async def mailboxes_user_can_send_as(
        self, user: str, *, timeouts: Timeouts | None = None
    ) -> frozenset[str]:
        """``Get-RecipientPermission -Trustee``; its ``Identity`` column is a recipient name
        (often an object id), so each is resolved to the mailbox's primary SMTP address."""
        rows = await self.invoke("Get-RecipientPermission", {"Trustee": user}, timeouts=timeouts)
        names = _entries(rows, who="Identity", right="SendAs", denied=_deny_ace).granted
        addresses = await bounded(self._address_of(n, timeouts) for n in sorted(names))
        return frozenset(a for a in addresses if a)

    # --- the older, narrower questions (also used by `mailroom doctor`) -------------------

    async def send_as_trustees(
        self, mailbox: str, *, timeouts: Timeouts | None = None
    ) -> frozenset[str]:
        """Names holding Send As on ``mailbox`` (Deny entries win over Allow)."""
        return (await self.trustees(mailbox, Right.SEND_AS, timeouts=timeouts)).granted

    async def full_access_trustees(
        self, mailbox: str, *, timeouts: Timeouts | None = None
    ) -> frozenset[str]:
        """Names holding Full Access on ``mailbox``; ``NT AUTHORITY\\SELF`` is left out."""
        return (await self.trustees(mailbox, Right.FULL_ACCESS, timeouts=timeouts)).granted

    async def send_on_behalf_trustees(
        self, mailbox: str, *, timeouts: Timeouts | None = None
    ) -> frozenset[str]:
        """The mailbox's ``GrantSendOnBehalfTo`` list: recipient names, not addresses."""
        return (await self.trustees(mailbox, Right.SEND_ON_BEHALF, timeouts=timeouts)).granted

    async def recipient_type(self, mailbox: str, *, timeouts: Timeouts | None = None) -> str:
        """``RecipientTypeDetails``: ``UserMailbox``, ``SharedMailbox``, ``RoomMailbox``, ...
        An unknown mailbox raises ``ExchangeError`` with code ``OBJECT_NOT_FOUND``."""
        row = await self.mailbox(mailbox, timeouts=timeouts)
        kind = row.get("RecipientTypeDetails") or row.get("RecipientType")
        if not isinstance(kind, str):
            raise ExchangeError(200, "InvalidResponse", "Get-Mailbox gave no recipient type")
        return kind

    async def mailbox(self, identity: str, *, timeouts: Timeouts | None = None) -> dict[str, Any]:
        """``Get-Mailbox -Identity`` through the supported v2.0 ``Mailbox`` endpoint."""
        rows = await self.invoke(
            "Get-Mailbox",
            {"Identity": identity},
            endpoint=MAILBOX_ENDPOINT,
            select=_MAILBOX_FIELDS,
            timeouts=timeouts,
        )
        if not rows:
            raise ExchangeError(404, OBJECT_NOT_FOUND, f"no mailbox {identity!r}")
        return rows[0]

    async def invoke(
        self,
        cmdlet: str,
        parameters: Mapping[str, Any],
        *,
        endpoint: str | None = None,
        select: Iterable[str] = (),
        timeouts: Timeouts | None = None,
    ) -> list[dict[str, Any]]:
        """Run one cmdlet (on the v2.0 ``endpoint``, or the beta ``InvokeCommand``) and
        return every row of every page."""
        return await self.run(
            cmdlet, parameters, endpoint=endpoint, select=tuple(select), timeouts=timeouts
        )

    async def _address_of(self, name: str, timeouts: Timeouts | None) -> str | None:
        try:
            row = await self.mailbox(name, timeouts=timeouts)
        except ExchangeError as error:
            if error.code != OBJECT_NOT_FOUND:
                raise
            logger.info("discovery: Exchange knows no mailbox named %r", name)
            return None
        return _lower(row.get("PrimarySmtpAddress"))


def _entries(
    rows: Iterable[Mapping[str, Any]],
    *,
    who: str,
    right: str,
    denied: Callable[[Mapping[str, Any]], bool],
) -> Trustees:
    allowed: set[str] = set()
    refused: set[str] = set()
    for row in rows:
        name = row.get(who)
        if not isinstance(name, str) or not name.strip() or name.lower() == _SELF:
            continue
        if right.lower() not in {r.lower() for r in _strings(row.get("AccessRights"))}:
            continue
        (refused if denied(row) else allowed).add(name.strip().lower())
    return Trustees(allowed=frozenset(allowed), denied=frozenset(refused))


def _deny_ace(row: Mapping[str, Any]) -> bool:
    return str(row.get("AccessControlType", "Allow")).lower() == "deny"


def _deny_flag(row: Mapping[str, Any]) -> bool:
    value = row.get("Deny")
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _strings(value: object) -> list[str]:
    """Exchange serialises multi-valued properties as a list, sometimes as one string."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return []


def _lower(value: object) -> str | None:
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


async def bounded(calls: Iterable[Awaitable[_T]], limit: int = _PARALLEL) -> list[_T]:
    """Await ``calls`` a few at a time (Exchange throttles bursts from one app); the first
    failure cancels the rest and is raised."""
    gate = asyncio.Semaphore(limit)

    async def one(call: Awaitable[_T]) -> _T:
        async with gate:
            return await call

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(c)) for c in calls]
    except BaseExceptionGroup as failed:  # callers catch the error itself, not a group
        raise failed.exceptions[0] from None
    return [t.result() for t in tasks]
