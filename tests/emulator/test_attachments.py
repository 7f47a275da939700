"""Attachments: inline ones under 3 MB, upload sessions with ranged PUTs, the message size
limit, and the Teams file a user sends to the bot with its download URL."""

from __future__ import annotations

import base64
import os

import httpx
import pytest
from emu_helpers import Tokens, bearer, mail

from emulator.testing import RunningEmulator

MB = 1024 * 1024
BOX = "/v1.0/users/hr@contoso.com"
pytestmark = pytest.mark.usefixtures("emulator")  # a fresh emulator for each test


def _draft(https: httpx.Client, tokens: Tokens) -> str:
    answer = https.post(f"{BOX}/messages", headers=bearer(tokens.app()), json=mail()["message"])
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _session(https: httpx.Client, tokens: Tokens, draft: str, size: int, name: str = "big.bin"):
    return https.post(
        f"{BOX}/messages/{draft}/attachments/createUploadSession",
        headers=bearer(tokens.app()),
        json={"AttachmentItem": {"attachmentType": "file", "name": name, "size": size}},
    )


def _put(
    https: httpx.Client, url: str, data: bytes, start: int, total: int, **headers: str
) -> httpx.Response:
    return https.put(
        url,
        content=data,
        headers={
            "Content-Type": "application/octet-stream",
            "Content-Range": f"bytes {start}-{start + len(data) - 1}/{total}",
            **headers,
        },
    )


def _upload(https: httpx.Client, url: str, data: bytes, chunk: int = 4 * MB) -> httpx.Response:
    answer = None
    for start in range(0, len(data), chunk):
        answer = _put(https, url, data[start : start + chunk], start, len(data))
    assert answer is not None
    return answer


def test_small_file_is_attached_with_one_post(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    draft = _draft(https, tokens)
    data = os.urandom(1024)
    answer = https.post(
        f"{BOX}/messages/{draft}/attachments",
        headers=bearer(tokens.app()),
        json={
            "@odata.type": "#microsoft.graph.fileAttachment",
            "name": "note.txt",
            "contentType": "text/plain",
            "contentBytes": base64.b64encode(data).decode(),
        },
    )

    assert answer.status_code == 201, answer.text
    assert answer.json()["size"] == 1024
    listed = https.get(f"{BOX}/messages/{draft}/attachments", headers=bearer(tokens.app()))
    (item,) = listed.json()["value"]
    assert base64.b64decode(item["contentBytes"]) == data


def test_inline_post_of_3_mb_is_refused(https: httpx.Client, tokens: Tokens) -> None:
    draft = _draft(https, tokens)
    answer = https.post(
        f"{BOX}/messages/{draft}/attachments",
        headers=bearer(tokens.app()),
        json={
            "@odata.type": "#microsoft.graph.fileAttachment",
            "name": "big.bin",
            "contentBytes": base64.b64encode(b"x" * (3 * MB)).decode(),
        },
    )

    assert answer.status_code == 413


def test_upload_session_in_ranges_attaches_the_exact_bytes(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    draft = _draft(https, tokens)
    data = os.urandom(5 * MB + 17)
    created = _session(https, tokens, draft, len(data))
    assert created.status_code == 201, created.text
    session = created.json()
    assert session["nextExpectedRanges"] == ["0-"]
    assert session["expirationDateTime"].endswith("Z")
    url = session["uploadUrl"]

    first = _put(https, url, data[: 2 * MB], 0, len(data))
    assert first.status_code == 200, first.text
    assert first.json()["nextExpectedRanges"] == [str(2 * MB)]
    last = _put(https, url, data[2 * MB :], 2 * MB, len(data))

    assert last.status_code == 201, last.text
    assert "/Attachments('" in last.headers["Location"]
    (drafted,) = emulator.control.mailbox("hr@contoso.com", "drafts")
    (item,) = drafted["attachments"]
    assert item["name"] == "big.bin"
    assert base64.b64decode(item["contentBytes"]) == data

    sent = https.post(f"{BOX}/messages/{draft}/send", headers=bearer(tokens.app()))
    assert sent.status_code == 202
    (received,) = emulator.control.mailbox("johanna.lorenz@contoso.com", "inbox")
    assert base64.b64decode(received["attachments"][0]["contentBytes"]) == data


def test_session_for_a_file_under_3_mb_is_refused(https: httpx.Client, tokens: Tokens) -> None:
    answer = _session(https, tokens, _draft(https, tokens), 3 * MB - 1)

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize"


def test_ranges_must_come_in_order_and_match_the_session(
    https: httpx.Client, tokens: Tokens
) -> None:
    size = 3 * MB + 10
    url = _session(https, tokens, _draft(https, tokens), size).json()["uploadUrl"]

    skipped = _put(https, url, b"y" * 10, 3 * MB, size)
    wrong_total = _put(https, url, b"y" * 10, 0, size + 1)
    too_big = _put(https, url, b"y" * (4 * MB + 1), 0, 5 * MB)
    no_range = https.put(url, content=b"y", headers={"Content-Type": "application/octet-stream"})

    assert skipped.status_code == 416
    assert wrong_total.status_code == 400
    assert too_big.status_code in (400, 413)
    assert no_range.status_code == 400


def test_upload_url_refuses_an_authorization_header(https: httpx.Client, tokens: Tokens) -> None:
    size = 3 * MB
    url = _session(https, tokens, _draft(https, tokens), size).json()["uploadUrl"]

    answer = _put(https, url, b"z" * 10, 0, size, Authorization=f"Bearer {tokens.app()}")

    assert answer.status_code == 401


def test_upload_url_with_a_wrong_token_is_not_found(https: httpx.Client, tokens: Tokens) -> None:
    url = _session(https, tokens, _draft(https, tokens), 3 * MB).json()["uploadUrl"]

    answer = _put(https, url.split("authtoken=")[0] + "authtoken=guess", b"z", 0, 3 * MB)

    assert answer.status_code == 404


def test_expired_session_is_gone(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.set_limits(upload_session_seconds=0)
    url = _session(https, tokens, _draft(https, tokens), 3 * MB).json()["uploadUrl"]

    answer = _put(https, url, b"z" * 10, 0, 3 * MB)

    assert answer.status_code == 404


def test_deleted_session_takes_no_more_bytes(https: httpx.Client, tokens: Tokens) -> None:
    url = _session(https, tokens, _draft(https, tokens), 3 * MB).json()["uploadUrl"]

    assert https.delete(url).status_code == 204
    assert _put(https, url, b"z" * 10, 0, 3 * MB).status_code == 404


def test_message_over_the_size_limit_is_refused_when_the_session_is_created(
    https: httpx.Client, tokens: Tokens
) -> None:
    answer = _session(https, tokens, _draft(https, tokens), 40 * MB)

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "ErrorMessageSizeExceeded"


def test_limit_counts_attachments_already_on_the_draft(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.set_limits(max_message_bytes=8 * MB)
    draft = _draft(https, tokens)
    first = _session(https, tokens, draft, 4 * MB).json()["uploadUrl"]
    assert _upload(https, first, b"a" * (4 * MB)).status_code == 201

    second = _session(https, tokens, draft, 3 * MB)

    assert second.status_code == 400
    assert second.json()["error"]["code"] == "ErrorMessageSizeExceeded"


def test_attachments_only_go_on_drafts(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    draft = _draft(https, tokens)
    assert (
        https.post(f"{BOX}/messages/{draft}/send", headers=bearer(tokens.app())).status_code == 202
    )

    answer = _session(https, tokens, draft, 3 * MB)

    assert answer.status_code in (400, 404)


def test_teams_file_is_read_from_its_pre_authenticated_download_url(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    data = os.urandom(2048)
    attachment = emulator.control.share_file("adele.vance@contoso.com", "Q3 report.pdf", data)

    assert attachment["contentType"] == "application/vnd.microsoft.teams.file.download.info"
    assert attachment["name"] == "Q3 report.pdf"
    content = attachment["content"]
    assert content["fileType"] == "pdf"
    assert content["uniqueId"]
    answer = https.get(content["downloadUrl"])
    assert answer.status_code == 200
    assert answer.content == data


def test_teams_download_url_expires(emulator: RunningEmulator, https: httpx.Client) -> None:
    emulator.control.set_limits(download_url_seconds=0)
    attachment = emulator.control.share_file("adele.vance@contoso.com", "a.txt", b"hello")

    answer = https.get(attachment["content"]["downloadUrl"])

    assert answer.status_code == 401


def test_teams_download_url_needs_its_tempauth(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    attachment = emulator.control.share_file("adele.vance@contoso.com", "a.txt", b"hello")
    url = attachment["content"]["downloadUrl"].replace("tempauth=", "tempauth=x")

    assert https.get(url).status_code == 401
