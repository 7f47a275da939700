"""Compose drafts: what a user chose between the sender card and the preview.

A draft belongs to one user; every change is a compare-and-set on ``version`` so a stale
card (an earlier step, a second click) cannot overwrite a newer choice. A draft is *open*
(``/drafts`` lists it, ``/send`` offers the latest) while it has a template, was not
discarded, and was either never previewed or its preview was not sent or cancelled.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.errors import NotFound, VersionConflict
from bot.store.codec import read_json, read_time, to_json, utc
from bot.store.driver import Driver, Row, Tx
from bot.store.records import Clock


@dataclass(frozen=True)
class ComposeDraft:
    id: str
    user_oid: str
    tenant_id: str
    sender_address: str
    template: str | None
    fields: Mapping[str, str] = field(default_factory=dict)  # to/cc/bcc/importance/var_*
    request_id: str | None = None  # the preview's send request, once made
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None
    discarded_at: datetime | None = None  # the user cancelled it: never listed again


def _draft(row: Row) -> ComposeDraft:
    raw = read_json(row["fields"]) or {}
    return ComposeDraft(
        id=row["id"],
        user_oid=row["user_oid"],
        tenant_id=row["tenant_id"],
        sender_address=row["sender_address"],
        template=row["template"],
        fields={str(k): str(v) for k, v in raw.items()},
        request_id=row["request_id"],
        version=int(row["version"]),
        created_at=read_time(row["created_at"]),
        updated_at=read_time(row["updated_at"]),
        discarded_at=read_time(row["discarded_at"]) if row["discarded_at"] is not None else None,
    )


class ComposeSql:
    _driver: Driver
    _clock: Clock

    async def create_compose(
        self, *, user_oid: str, tenant_id: str, sender_address: str, template: str | None
    ) -> ComposeDraft:
        now = utc(self._clock())
        draft_id = uuid.uuid4().hex
        row = await self._driver.write(
            lambda tx: tx.fetch_one(
                "INSERT INTO compose_drafts (id, user_oid, tenant_id, sender_address, template,"
                " fields, request_id, version, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, NULL, 1, ?, ?) RETURNING *",
                (draft_id, user_oid, tenant_id, sender_address.lower(), template,
                 to_json({}), now, now),
            )
        )  # fmt: skip
        assert row is not None
        return _draft(row)

    async def get_compose(self, draft_id: str) -> ComposeDraft:
        row = await self._driver.read(
            lambda tx: tx.fetch_one("SELECT * FROM compose_drafts WHERE id = ?", (draft_id,))
        )
        if row is None:
            raise NotFound("compose draft", draft_id)
        return _draft(row)

    async def latest_compose(self, user_oid: str) -> ComposeDraft | None:
        row = await self._driver.read(
            lambda tx: tx.fetch_one(
                "SELECT * FROM compose_drafts WHERE user_oid = ?"
                " ORDER BY updated_at DESC, id DESC LIMIT 1",
                (user_oid,),
            )
        )
        return None if row is None else _draft(row)

    async def update_compose(
        self,
        draft_id: str,
        expected_version: int,
        *,
        template: str | None = None,
        fields: Mapping[str, str] | None = None,
        request_id: str | None = None,
    ) -> ComposeDraft:
        return await self._driver.write(
            lambda tx: self._update_compose(
                tx, draft_id, expected_version,
                template=template, fields=fields, request_id=request_id,
            )
        )  # fmt: skip

    async def _update_compose(
        self,
        tx: Tx,
        draft_id: str,
        expected_version: int,
        *,
        template: str | None = None,
        fields: Mapping[str, str] | None = None,
        request_id: str | None = None,
    ) -> ComposeDraft:
        """``update_compose`` inside a transaction (the preview's also creates its request)."""
        found = await tx.fetch_one("SELECT * FROM compose_drafts WHERE id = ?", (draft_id,))
        if found is None:
            raise NotFound("compose draft", draft_id)
        current = _draft(found)
        row = await tx.fetch_one(
            "UPDATE compose_drafts SET template = ?, fields = ?, request_id = ?,"
            " version = version + 1, updated_at = ? WHERE id = ? AND version = ?"
            " RETURNING *",
            (
                template if template is not None else current.template,
                to_json(dict(fields if fields is not None else current.fields)),
                request_id if request_id is not None else current.request_id,
                utc(self._clock()),
                draft_id,
                expected_version,
            ),
        )
        if row is None:
            raise VersionConflict("compose draft", draft_id, expected_version)
        return _draft(row)

    async def open_drafts(self, user_oid: str, limit: int = 10) -> list[ComposeDraft]:
        rows = await self._driver.read(
            lambda tx: tx.fetch_all(
                "SELECT d.* FROM compose_drafts d"
                " LEFT JOIN send_requests r ON r.id = d.request_id"
                " WHERE d.user_oid = ? AND d.discarded_at IS NULL AND d.template IS NOT NULL"
                " AND (d.request_id IS NULL OR r.state = 'draft')"
                " ORDER BY d.updated_at DESC, d.id DESC LIMIT ?",
                (user_oid, limit),
            )
        )
        return [_draft(row) for row in rows]

    async def discard_compose(self, draft_id: str, user_oid: str) -> ComposeDraft:
        row = await self._driver.write(
            lambda tx: tx.fetch_one(
                "UPDATE compose_drafts SET discarded_at = ?, version = version + 1,"
                " updated_at = ? WHERE id = ? AND user_oid = ? RETURNING *",
                (utc(self._clock()), utc(self._clock()), draft_id, user_oid),
            )
        )
        if row is None:
            raise NotFound("compose draft", draft_id)
        return _draft(row)
