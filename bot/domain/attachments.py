"""Files attached to an email: what they are, what they weigh, and how they travel.

Pure: no I/O. A file is described by an ``AttachmentMeta`` (name, type, size, sha256 of the
bytes); the description is part of the rendered content and so of its content hash, which
binds an approval to the exact files. The bytes live beside the request in the store.

How a message's files reach Graph (learn.microsoft.com/graph/outlook-large-attachments):

==============================  ===========================================================
all files together under 3 MB   inline ``fileAttachment``s in the draft-creating request
otherwise, per file, under 3 MB ``POST .../messages/{id}/attachments`` after the draft
otherwise, per file, 3 MB up    an upload session (ranged PUTs) after the draft
==============================  ===========================================================

Exchange holds the whole message, encoded, to the tenant's message size limit (35 MB by
default): base64 makes a file a third larger, so the check counts the encoded size.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.i18n import _

MB = 1024 * 1024
INLINE_LIMIT = 3 * MB
"""Below this, in total, files ride inline in the draft; from it, each file separately."""
SESSION_MINIMUM = 3 * MB
"""Graph refuses an upload session for a smaller file
(``ErrorAttachmentSizeShouldNotBeLessThanMinimumSize``)."""
SESSION_MAXIMUM = 150 * MB
UPLOAD_RANGE = 4 * MB - 64 * 1024
"""Bytes per PUT of an upload session: under Graph's 4 MB per range."""
MAX_FILES = 20
"""At most this many files on one email (a card lists them all)."""
MAX_NAME = 255
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class AttachmentMeta:
    name: str
    content_type: str
    size: int
    sha256: str

    def to_json(self) -> dict[str, str | int]:
        return {
            "name": self.name,
            "contentType": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
        }

    @classmethod
    def from_json(cls, data: object) -> AttachmentMeta:
        if not isinstance(data, dict):
            raise TypeError("an attachment is an object")
        name, kind, size, digest = (
            data.get("name"),
            data.get("contentType"),
            data.get("size"),
            data.get("sha256"),
        )
        if not (isinstance(name, str) and isinstance(kind, str) and isinstance(digest, str)):
            raise TypeError("an attachment has a name, a contentType and a sha256")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError("an attachment's size is a non-negative integer")
        return cls(name=name, content_type=kind, size=size, sha256=digest)


@dataclass(frozen=True)
class AttachmentFile:
    """A file with its bytes (never logged: ``repr`` leaves them out)."""

    meta: AttachmentMeta
    content: bytes = field(repr=False)


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def clean_name(name: str) -> str:
    """A file name safe in a card and in a MIME header: no path, no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE_NAME.sub("", base).strip() or "attachment"
    return cleaned[:MAX_NAME]


def describe(name: str, content_type: str | None, content: bytes) -> AttachmentFile:
    meta = AttachmentMeta(
        name=clean_name(name),
        content_type=content_type or "application/octet-stream",
        size=len(content),
        sha256=digest(content),
    )
    return AttachmentFile(meta, content)


def matches(meta: AttachmentMeta, content: bytes) -> bool:
    """The bytes are exactly the file the description (and so the approval) names."""
    return len(content) == meta.size and digest(content) == meta.sha256


def total_size(files: Sequence[AttachmentMeta]) -> int:
    return sum(f.size for f in files)


def encoded_size(size: int) -> int:
    """A file's size once base64-encoded, as Exchange counts it in a message."""
    return (size + 2) // 3 * 4


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < MB:
        return f"{size / 1024:.0f} KB"
    return f"{size / MB:.1f} MB"


def size_problem(files: Sequence[AttachmentMeta], body_bytes: int, limit_bytes: int) -> str | None:
    """Why the message would be over the tenant's message size limit, in the sender's words;
    ``None`` when it fits. ``body_bytes``: the rest of the message (subject, body, headers)."""
    for f in files:
        if f.size > SESSION_MAXIMUM:
            return _(
                "'{name}' is {size}; Microsoft Graph attaches files of at most {limit}",
                name=f.name,
                size=human_size(f.size),
                limit=human_size(SESSION_MAXIMUM),
            )
    if len(files) > MAX_FILES:
        return _(
            "an email can carry at most {limit} files; this one has {count}",
            limit=MAX_FILES,
            count=len(files),
        )
    encoded = body_bytes + sum(encoded_size(f.size) for f in files)
    if encoded <= limit_bytes:
        return None
    return _(
        "the files add up to {total}, which with the email's encoding is {encoded}; your "
        "organisation's message size limit is {limit}. Send fewer or smaller files, or share a "
        "link instead",
        total=human_size(total_size(files)),
        encoded=human_size(encoded),
        limit=human_size(limit_bytes),
    )
