"""Finding send requests: by requester, by state and sender, by the start of an id.

Lists are newest first and keyset-paged on ``(created_at, id)``: a page ends with a
``RequestCursor``, the next page starts strictly after it, so requests created meanwhile
never shift a page (no OFFSET) and every request is reachable however old it is. Indexes:
migration 4.
"""

from __future__ import annotations

import string
from collections.abc import Collection

from bot.domain.send_request import SendRequest, SendState
from bot.store.codec import read_time, request_from_row, utc
from bot.store.driver import Driver, Param
from bot.store.records import RequestCursor, RequestPage

MAX_PAGE = 200
MIN_PREFIX = 4
_HEX = frozenset(string.hexdigits.lower())


def _in(values: Collection[str]) -> str:
    return "(" + ", ".join("?" for _ in values) + ")"


def id_prefix(text: str) -> str | None:
    """``text`` as the start of a request id (lower-case hex, at least ``MIN_PREFIX``
    characters), or None: nothing else can start an id, and nothing else reaches a LIKE."""
    wanted = text.strip().lower()
    if not MIN_PREFIX <= len(wanted) <= 32 or not set(wanted) <= _HEX:
        return None
    return wanted


class RequestQueries:
    _driver: Driver

    async def page_requests(
        self,
        *,
        requester_oid: str | None = None,
        states: Collection[SendState] | None = None,
        senders: Collection[str] | None = None,
        after: RequestCursor | None = None,
        limit: int = 20,
    ) -> RequestPage:
        return await self._page(requester_oid, states, senders, after, min(limit, MAX_PAGE))

    async def _page(
        self,
        requester_oid: str | None,
        states: Collection[SendState] | None,
        senders: Collection[str] | None,
        after: RequestCursor | None,
        limit: int,
    ) -> RequestPage:
        limit = max(1, limit)
        where: list[str] = []
        params: list[Param] = []
        if requester_oid is not None:
            where.append("requester_oid = ?")
            params.append(requester_oid)
        for column, values in (
            ("state", None if states is None else [str(s) for s in states]),
            ("sender_address", None if senders is None else [s.strip().lower() for s in senders]),
        ):
            if values is None:
                continue
            if not values:
                return RequestPage((), None)
            where.append(f"{column} IN {_in(values)}")
            params += values
        if after is not None:
            where.append("(created_at < ? OR (created_at = ? AND id < ?))")
            params += [utc(after.created_at), utc(after.created_at), after.id]
        sql = "SELECT * FROM send_requests"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        params.append(limit + 1)  # one more tells whether a next page exists
        rows = await self._driver.read(lambda tx: tx.fetch_all(sql, params))
        found = tuple(request_from_row(row) for row in rows[:limit])
        if len(rows) <= limit:
            return RequestPage(found, None)
        last = rows[limit - 1]
        return RequestPage(found, RequestCursor(read_time(last["created_at"]), str(last["id"])))

    async def list_requests(
        self,
        *,
        requester_oid: str | None = None,
        states: Collection[SendState] | None = None,
        limit: int = 20,
    ) -> list[SendRequest]:
        page = await self._page(requester_oid, states, None, None, limit)
        return list(page.requests)

    async def requests_by_prefix(
        self, requester_oid: str, prefix: str, limit: int = 2
    ) -> list[SendRequest]:
        wanted = id_prefix(prefix)
        if wanted is None:
            return []
        rows = await self._driver.read(
            lambda tx: tx.fetch_all(
                "SELECT * FROM send_requests WHERE requester_oid = ? AND id LIKE ?"
                " ORDER BY created_at DESC, id DESC LIMIT ?",
                (requester_oid, wanted + "%", max(1, min(limit, MAX_PAGE))),
            )
        )
        return [request_from_row(row) for row in rows]
