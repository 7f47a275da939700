"""Files a user sends to the bot in personal chat, and their download URLs.

"Send and receive files using bot" (learn.microsoft.com/microsoftteams/platform/bots/how-to/
bots-filesv4), Teams bot APIs, personal scope only, and only when the app's manifest sets
``supportsFiles: true`` on its bot: Teams first uploads the file to the user's OneDrive, then
posts a message activity whose attachment is

    {"contentType": "application/vnd.microsoft.teams.file.download.info",
     "contentUrl": "<the file in the user's OneDrive>", "name": "file_example.txt",
     "content": {"downloadUrl": "<pre-authenticated URL>", "uniqueId": "<GUID>",
                 "fileType": "txt", "etag": "..."}}

The bot reads the bytes from ``downloadUrl`` with a plain GET, no token; the URL is short-lived
(how long is not documented: ``Limits.download_url_seconds``, 5 minutes by default). After
expiry, or with a wrong ``tempauth``, the URL answers 401 as SharePoint does for a dead link.

Control: ``POST /_emulator/teams/files`` ``{"user", "name", "content_base64"}`` stands for the
user's upload and answers the attachment exactly as Teams puts it on the activity.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid
from typing import Any

from aiohttp import web

from emulator.appkeys import STATE
from emulator.state import EmulatorState, SharedFile

FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"


def _folder(upn: str) -> str:
    return upn.lower().replace("@", "_").replace(".", "_")


def file_attachment(state: EmulatorState, shared: SharedFile) -> dict[str, Any]:
    folder = _folder(shared.owner_upn)
    base = f"{state.base_url}/personal/{folder}"
    _, _, extension = shared.name.rpartition(".")
    return {
        "contentType": FILE_DOWNLOAD_INFO,
        "contentUrl": f"{base}/Documents/Microsoft Teams Chat Files/{shared.name}",
        "name": shared.name,
        "content": {
            "downloadUrl": (
                f"{base}/_layouts/15/download.aspx?UniqueId={shared.unique_id}"
                f"&Translate=false&tempauth={shared.token}&ApiVersion=2.0"
            ),
            "uniqueId": shared.unique_id,
            "fileType": extension.lower() if extension != shared.name else "",
            "etag": f'"{{{shared.unique_id.upper()}}},1"',
        },
    }


async def upload(request: web.Request) -> web.Response:
    state = request.app[STATE]
    payload = await request.json()
    user = state.tenant.account(str(payload.get("user", "")))
    name = payload.get("name")
    if user is None or not isinstance(name, str) or not name.strip():
        return web.json_response(
            {"error": "user (a tenant user) and name are required"}, status=400
        )
    try:
        data = base64.b64decode(str(payload.get("content_base64", "")), validate=True)
    except (binascii.Error, ValueError):
        return web.json_response({"error": "content_base64 is not base64"}, status=400)
    shared = SharedFile(
        unique_id=str(uuid.uuid4()),
        owner_upn=user.upn,
        name=name,
        data=data,
        token=secrets.token_urlsafe(32),
        expires=state.tokens.now() + state.limits.download_url_seconds,
    )
    state.shared_files[shared.unique_id] = shared
    return web.json_response(file_attachment(state, shared))


async def download(request: web.Request) -> web.Response:
    state = request.app[STATE]
    shared = state.shared_files.get(request.query.get("UniqueId", ""))
    if (
        shared is None
        or _folder(shared.owner_upn) != request.match_info["folder"]
        or not secrets.compare_digest(request.query.get("tempauth", ""), shared.token)
        or state.tokens.now() >= shared.expires
    ):
        return web.json_response(
            {"error": {"code": "accessDenied", "message": "Unauthorized"}}, status=401
        )
    return web.Response(body=shared.data, content_type="application/octet-stream")


def add_routes(app: web.Application) -> None:
    app.router.add_post("/_emulator/teams/files", upload)
    app.router.add_get("/personal/{folder}/_layouts/15/download.aspx", download)
