"""Files on a compose draft, between the chat and the preview.

While the user composes, the draft's fields hold the files' descriptions (``ATTACH_FIELD``,
JSON, never taken from a card) and the bytes are kept for the user (``owner``); the preview
copies both into the send request, where they become part of its content and hash.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from bot.domain.attachments import AttachmentMeta, matches
from bot.store import Store

ATTACH_FIELD = "attachments"
BUNDLE_FIELD = "bulk_zip"


def owner(user_oid: str) -> str:
    """Whose bytes they are while composing (a reopened preview keeps its user's files)."""
    return f"user:{user_oid}"


def manifest(fields: Mapping[str, str]) -> tuple[AttachmentMeta, ...]:
    raw = fields.get(ATTACH_FIELD)
    if not raw:
        return ()
    try:
        listed = json.loads(raw)
        return tuple(AttachmentMeta.from_json(item) for item in listed)
    except (ValueError, TypeError):
        return ()


def with_manifest(fields: Mapping[str, str], files: Sequence[AttachmentMeta]) -> dict[str, str]:
    kept = {k: v for k, v in fields.items() if k != ATTACH_FIELD}
    if files:
        kept[ATTACH_FIELD] = json.dumps([f.to_json() for f in files], separators=(",", ":"))
    return kept


def bundle_of(fields: Mapping[str, str]) -> AttachmentMeta | None:
    """The zip of a bulk send's per-row files, when one was sent."""
    found = manifest({ATTACH_FIELD: fields.get(BUNDLE_FIELD, "")})
    return found[0] if found else None


async def load(
    store: Store, owner_id: str, files: Sequence[AttachmentMeta]
) -> dict[str, bytes] | AttachmentMeta:
    """Every file's bytes by sha256, or the first file whose bytes are gone or differ."""
    found: dict[str, bytes] = {}
    for meta in files:
        data = await store.attachment_content(owner_id, meta.sha256)
        if data is None or not matches(meta, data):
            return meta
        found[meta.sha256] = data
    return found
