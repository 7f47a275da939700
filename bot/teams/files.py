"""Files a user sends the bot in personal chat: found on the activity, fetched from OneDrive.

Teams puts the file in the user's OneDrive and gives the bot an attachment of type
``application/vnd.microsoft.teams.file.download.info`` whose ``content.downloadUrl`` is a
short-lived, pre-authenticated link (learn.microsoft.com/microsoftteams/platform/bots/how-to/
bots-filesv4; the manifest's bot must set ``supportsFiles``). The link is read with a plain
GET, no token — and only from a host the configuration allows (``*.sharepoint.com`` by
default), over HTTPS, and never more bytes than the message size limit: the activity is
signed by the channel, but Mailroom fetches no arbitrary URL on anyone's word. The link is a
secret while it lives and is never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.domain.attachments import human_size
from bot.i18n import _
from bot.netclient import Timeouts

logger = logging.getLogger(__name__)

FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
_TYPES = {
    "pdf": "application/pdf",
    "txt": "text/plain",
    "csv": "text/csv",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "zip": "application/zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


@dataclass(frozen=True)
class SharedFile:
    name: str
    file_type: str
    download_url: str = field(repr=False)

    @property
    def content_type(self) -> str:
        return _TYPES.get(self.file_type.lower(), "application/octet-stream")


def shared_files(attachments: Sequence[Any] | None) -> tuple[SharedFile, ...]:
    """The Teams file attachments of an activity (anything else on it is ignored)."""
    found: list[SharedFile] = []
    for attachment in attachments or ():
        if getattr(attachment, "content_type", None) != FILE_DOWNLOAD_INFO:
            continue
        content = getattr(attachment, "content", None)
        if not isinstance(content, dict):
            continue
        url = content.get("downloadUrl")
        name = getattr(attachment, "name", None) or content.get("name")
        if isinstance(url, str) and isinstance(name, str) and name.strip():
            found.append(SharedFile(name, str(content.get("fileType") or ""), url))
    return tuple(found)


def allowed_host(url: str, hosts: Sequence[str]) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host or parts.username or parts.password:
        return False
    return any(host.endswith(h) if h.startswith(".") else host == h for h in hosts)


async def download(
    http: httpx.AsyncClient,
    file: SharedFile,
    *,
    hosts: Sequence[str],
    max_bytes: int,
    timeouts: Timeouts,
) -> bytes | str:
    """The file's bytes, or why not in the user's words."""
    if not allowed_host(file.download_url, hosts):
        logger.warning("file download refused: host not allowed")
        return _("Mailroom does not download files from that location")
    try:
        async with http.stream(
            "GET", file.download_url, timeout=timeouts.for_attempt(timeouts.total)
        ) as answer:
            if answer.status_code != 200:
                logger.info("file download answered %s", answer.status_code)
                return _("Teams' link to the file no longer works; send the file again")
            data = bytearray()
            async for chunk in answer.aiter_bytes():
                data.extend(chunk)
                if len(data) > max_bytes:
                    return _(
                        "it is larger than your organisation's message size limit of {size} "
                        "(files included); send a link to it instead",
                        size=human_size(max_bytes),
                    )
            return bytes(data)
    except httpx.HTTPError as exc:
        logger.info("file download failed: %s", type(exc).__name__)
        return _("Mailroom could not fetch the file from Teams; send it again")
