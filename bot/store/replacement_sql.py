"""Which request replaced which: "Edit and resubmit" makes a new request from an old one.

The link is made in two steps, because the new request does not exist yet when the user
asks to edit: ``note_replacement`` ties the compose draft the edit opened to the old request
(``carry_replacement`` moves it on when that preview is edited again), and ``replaced``
names the new request once it goes out of the draft state (approval asked, or queued). Only
then do the old request's cards say it was replaced
(docs/decisions/0016-edited-requests-replace-the-old.md).
"""

from __future__ import annotations

from bot.store.codec import utc
from bot.store.driver import Driver
from bot.store.records import Clock


class ReplacementSql:
    _driver: Driver
    _clock: Clock

    async def note_replacement(self, draft_id: str, old_request_id: str) -> None:
        async with self._driver.transaction() as tx:
            await tx.execute(
                "INSERT INTO request_replacements (draft_id, old_request_id) VALUES (?, ?)"
                " ON CONFLICT (draft_id) DO NOTHING",
                (draft_id, old_request_id),
            )

    async def carry_replacement(self, previewed_request_id: str, draft_id: str) -> None:
        async with self._driver.transaction() as tx:
            await tx.execute(
                "INSERT INTO request_replacements (draft_id, old_request_id)"
                " SELECT ?, r.old_request_id FROM request_replacements r"
                " JOIN compose_drafts d ON d.id = r.draft_id"
                " WHERE d.request_id = ? AND r.new_request_id IS NULL"
                " ON CONFLICT (draft_id) DO NOTHING",
                (draft_id, previewed_request_id),
            )

    async def replaced(self, new_request_id: str) -> str | None:
        async with self._driver.transaction() as tx:
            row = await tx.fetch_one(
                "UPDATE request_replacements SET new_request_id = ?, replaced_at = ?"
                " WHERE new_request_id IS NULL AND draft_id IN"
                " (SELECT id FROM compose_drafts WHERE request_id = ?)"
                " RETURNING old_request_id",
                (new_request_id, utc(self._clock()), new_request_id),
            )
        return None if row is None else str(row["old_request_id"])

    async def replacement_of(self, old_request_id: str) -> str | None:
        async with self._driver.reading() as tx:
            row = await tx.fetch_one(
                "SELECT new_request_id FROM request_replacements"
                " WHERE old_request_id = ? AND new_request_id IS NOT NULL"
                " ORDER BY replaced_at DESC LIMIT 1",
                (old_request_id,),
            )
        return None if row is None else str(row["new_request_id"])
