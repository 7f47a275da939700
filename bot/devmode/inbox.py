"""The development inbox: a read-only web view of the local tenant's mailboxes.

``mailroom dev`` serves it from the bot's loopback port under ``/_dev/inbox/`` (plain
http, no emulator CA in the browser): per mailbox, who received what, ``From`` and
``Sender``, every header, and the HTML body. The pages read the emulator's control API
(``GET /_emulator/tenant``, ``/mailboxes/{address}/{folder}``, ``/external``), which answers
only on its control name over TLS; this module is the one place that knows how.

A message body is someone's HTML: it is served on its own URL, shown in a sandboxed frame,
under a policy that runs no script and loads nothing remote (the same policy as the full
preview, ``bot/preview_page.py``). The pages around it run no script either.
"""

from __future__ import annotations

import html
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from aiohttp import web

from bot.preview_page import CONTENT_SECURITY_POLICY as BODY_POLICY
from emulator.tls import CONTROL_SNI

PREFIX = "/_dev/inbox/"
FOLDERS = ("inbox", "sentitems", "drafts", "deleteditems")
FOLDER_NAMES = {
    "inbox": "Inbox",
    "sentitems": "Sent Items",
    "drafts": "Drafts",
    "deleteditems": "Deleted Items",
}
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_COMMON_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# The body is framed by our own message page only.
_BODY_POLICY = BODY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
_STYLE = (
    "body{font-family:Segoe UI,system-ui,sans-serif;margin:1.5rem;color:#242424}"
    "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .6rem;"
    "border-bottom:1px solid #ddd;vertical-align:top}th{background:#f5f5f5}"
    "a{color:#464775}.muted{color:#616161}.empty{color:#616161;font-style:italic}"
    "iframe{width:100%;height:28rem;border:1px solid #ccc;background:#fff}"
    "nav a{margin-right:1rem}dl{display:grid;grid-template-columns:10rem 1fr;gap:.2rem 1rem}"
    "dt{font-weight:600}dd{margin:0;word-break:break-word}"
)
_TIMEOUT = 10.0
_MAX_ID = 300

Json = dict[str, Any]


class EmulatorGone(Exception):
    """The emulator did not answer: the page says so (the dev runner stops everything soon)."""


@dataclass(frozen=True)
class EmulatorReader:
    """Reads the emulator's control API; one ``httpx.AsyncClient`` for the app's life."""

    client: httpx.AsyncClient

    @classmethod
    def connect(cls, base_url: str, ca_path: Path) -> EmulatorReader:
        context = ssl.create_default_context(cafile=str(ca_path))
        return cls(httpx.AsyncClient(base_url=base_url, verify=context, timeout=_TIMEOUT))

    async def get(self, path: str) -> Any | None:
        """The JSON at ``/_emulator{path}``, or None when the emulator says 404."""
        try:
            response = await self.client.get(
                f"/_emulator{path}", extensions={"sni_hostname": CONTROL_SNI}
            )
        except httpx.HTTPError as error:
            raise EmulatorGone(str(error)) from error
        if response.status_code == web.HTTPNotFound.status_code:
            return None
        if response.is_error:
            raise EmulatorGone(f"HTTP {response.status_code}")
        return response.json()


READER: web.AppKey[EmulatorReader] = web.AppKey("inbox_reader", EmulatorReader)


def create(reader: EmulatorReader) -> web.Application:
    """The sub-application to mount at ``PREFIX``."""
    app = web.Application()
    app[READER] = reader

    async def close(_: web.Application) -> None:
        await reader.client.aclose()

    app.on_cleanup.append(close)
    app.router.add_get("/", mailboxes_page)
    app.router.add_get("/external", external_page)
    app.router.add_get("/external/{index}", external_message_page)
    app.router.add_get("/external/{index}/body", external_body)
    app.router.add_get("/{address}/", folder_page)
    app.router.add_get("/{address}/{id}", message_page)
    app.router.add_get("/{address}/{id}/body", message_body)
    return app


# --- pages ---------------------------------------------------------------------------------


async def mailboxes_page(request: web.Request) -> web.Response:
    reader = request.app[READER]
    tenant = await _read(reader, "/tenant")
    if tenant is None:
        return _missing("The emulator has no tenant.")
    rows = []
    for account in tenant.get("accounts", []):
        if not account.get("has_mailbox"):
            continue
        address = str(account["upn"])
        inbox = await _read(reader, f"/mailboxes/{quote(address)}/inbox") or []
        sent = await _read(reader, f"/mailboxes/{quote(address)}/sentitems") or []
        link = f"{PREFIX}{quote(address)}/"
        rows.append(
            [
                f'<a href="{link}">{_e(address)}</a>',
                _e(account.get("display_name", "")),
                _e(account.get("kind", "")),
                f'<a href="{link}?folder=inbox">{len(inbox)}</a>',
                f'<a href="{link}?folder=sentitems">{len(sent)}</a>',
            ]
        )
    external = await _read(reader, "/external") or []
    body = (
        f"<h1>{_e(tenant.get('display_name', 'Tenant'))}: mailboxes</h1>"
        '<p class="muted">Read-only, straight from the local tenant emulator. '
        "Reload to see new mail.</p>"
        + _table(("Mailbox", "Name", "Kind", "Inbox", "Sent Items"), rows)
        + f'<p><a href="{PREFIX}external">Delivered outside the tenant</a>: {len(external)}</p>'
    )
    return _page("Mailboxes", body)


async def folder_page(request: web.Request) -> web.Response:
    address = request.match_info["address"]
    folder = request.query.get("folder", "inbox")
    if folder not in FOLDERS:
        return _missing(f"No folder {folder!r}; the folders are {', '.join(FOLDERS)}.")
    messages = await _read(request.app[READER], f"/mailboxes/{quote(address)}/{folder}")
    if messages is None:
        return _missing(f"No mailbox {address!r} in the local tenant.")
    base = f"{PREFIX}{quote(address)}/"
    tabs = " ".join(
        f"<strong>{FOLDER_NAMES[f]}</strong>"
        if f == folder
        else f'<a href="{base}?folder={f}">{FOLDER_NAMES[f]}</a>'
        for f in FOLDERS
    )
    rows = [
        [
            _e(message.get("receivedDateTime") or message.get("lastModifiedDateTime") or ""),
            _e(_person(message.get("from"))),
            _e(_person(message.get("sender"))),
            _e(_people(message.get("toRecipients"))),
            f'<a href="{base}{quote(str(message.get("id", "")))}?folder={folder}">'
            f"{_e(message.get('subject') or '(no subject)')}</a>",
        ]
        for message in reversed(messages)
    ]
    body = (
        f'<nav><a href="{PREFIX}">All mailboxes</a></nav><h1>{_e(address)}</h1>'
        f"<p>{tabs}</p>" + _table(("Received", "From", "Sender", "To", "Subject"), rows)
    )
    return _page(f"{address}: {FOLDER_NAMES[folder]}", body)


async def message_page(request: web.Request) -> web.Response:
    address, message_id = request.match_info["address"], request.match_info["id"]
    message = await _find(request, address, message_id)
    if message is None:
        return _missing(f"No message {message_id[:_MAX_ID]!r} in {address!r}.")
    base = f"{PREFIX}{quote(address)}/"
    nav = f'<nav><a href="{PREFIX}">All mailboxes</a><a href="{base}">{_e(address)}</a></nav>'
    body_url = f"{base}{quote(message_id)}/body"
    return _page(message.get("subject") or "(no subject)", nav + _message_html(message, body_url))


async def message_body(request: web.Request) -> web.Response:
    message = await _find(request, request.match_info["address"], request.match_info["id"])
    if message is None:
        return _missing("No such message.")
    return _body(message)


async def external_page(request: web.Request) -> web.Response:
    deliveries = await _read(request.app[READER], "/external") or []
    rows = [
        [
            _e(delivery.get("deliveredDateTime", "")),
            _e(delivery.get("recipient", "")),
            _e(delivery.get("kind", "")),
            _e(_person(delivery.get("message", {}).get("from"))),
            _e(_person(delivery.get("message", {}).get("sender"))),
            f'<a href="{PREFIX}external/{index}">'
            f"{_e(delivery.get('message', {}).get('subject') or '(no subject)')}</a>",
        ]
        for index, delivery in reversed(list(enumerate(deliveries)))
    ]
    body = (
        f'<nav><a href="{PREFIX}">All mailboxes</a></nav><h1>Delivered outside the tenant</h1>'
        '<p class="muted">Addresses the local tenant has no mailbox for: nothing left this '
        "machine.</p>"
        + _table(("Delivered", "Recipient", "Kind", "From", "Sender", "Subject"), rows)
    )
    return _page("Outside the tenant", body)


async def external_message_page(request: web.Request) -> web.Response:
    delivery = await _external(request)
    if delivery is None:
        return _missing("No such delivery.")
    nav = f'<nav><a href="{PREFIX}">All mailboxes</a><a href="{PREFIX}external">Outside</a></nav>'
    message = {**delivery.get("message", {}), "toRecipients": []}
    extra = f"<dl><dt>Delivered to</dt><dd>{_e(delivery.get('recipient', ''))}</dd></dl>"
    body_url = f"{PREFIX}external/{request.match_info['index']}/body"
    return _page(
        message.get("subject") or "(no subject)", nav + extra + _message_html(message, body_url)
    )


async def external_body(request: web.Request) -> web.Response:
    delivery = await _external(request)
    if delivery is None:
        return _missing("No such delivery.")
    return _body(delivery.get("message", {}))


# --- parts ---------------------------------------------------------------------------------


async def _read(reader: EmulatorReader, path: str) -> Any | None:
    try:
        return await reader.get(path)
    except EmulatorGone as gone:
        raise web.HTTPBadGateway(
            text=f"The tenant emulator did not answer ({gone}).", headers=_COMMON_HEADERS
        ) from gone


async def _find(request: web.Request, address: str, message_id: str) -> Json | None:
    folder = request.query.get("folder")
    folders = (folder,) if folder in FOLDERS else FOLDERS
    for name in folders:
        messages = await _read(request.app[READER], f"/mailboxes/{quote(address)}/{name}")
        for message in messages or []:
            if message.get("id") == message_id:
                found: Json = message
                return found
    return None


async def _external(request: web.Request) -> Json | None:
    index = request.match_info["index"]
    deliveries = await _read(request.app[READER], "/external") or []
    if not index.isdigit() or int(index) >= len(deliveries):
        return None
    found: Json = deliveries[int(index)]
    return found


def _message_html(message: Mapping[str, Any], body_url: str) -> str:
    facts = [
        ("From", _person(message.get("from"))),
        ("Sender", _person(message.get("sender"))),
        ("To", _people(message.get("toRecipients"))),
        ("Cc", _people(message.get("ccRecipients"))),
        ("Bcc", _people(message.get("bccRecipients"))),
        ("Reply-To", _people(message.get("replyTo"))),
        ("Subject", str(message.get("subject") or "")),
        ("Sent", str(message.get("sentDateTime") or "")),
        ("Received", str(message.get("receivedDateTime") or "")),
        ("Importance", str(message.get("importance") or "")),
        ("Message-ID", str(message.get("internetMessageId") or "")),
    ]
    shown = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts if v)
    headers = [
        [_e(h.get("name", "")), _e(h.get("value", ""))]
        for h in message.get("internetMessageHeaders") or []
        if isinstance(h, dict)
    ]
    attachments = [
        [_e(a.get("name", "")), _e(a.get("contentType", "")), _e(a.get("size", ""))]
        for a in message.get("attachments") or []
        if isinstance(a, dict)
    ]
    parts = [f"<h1>{_e(message.get('subject') or '(no subject)')}</h1><dl>{shown}</dl>"]
    if headers:
        parts += ["<h2>Internet message headers</h2>", _table(("Header", "Value"), headers)]
    if attachments:
        parts += ["<h2>Attachments</h2>", _table(("Name", "Type", "Bytes"), attachments)]
    parts += [
        "<h2>Body</h2>",
        f'<iframe sandbox title="Message body" src="{_e(body_url)}"></iframe>',
    ]
    return "".join(parts)


def _body(message: Mapping[str, Any]) -> web.Response:
    body = message.get("body") or {}
    content = str(body.get("content") or "")
    is_html = str(body.get("contentType", "")).lower() == "html"
    headers = {**_COMMON_HEADERS, "Content-Security-Policy": _BODY_POLICY}
    if not is_html:
        content = f"<pre>{_e(content)}</pre>"
    return web.Response(text=content, content_type="text/html", charset="utf-8", headers=headers)


def _person(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    address = value.get("emailAddress") or {}
    name, mail = str(address.get("name") or ""), str(address.get("address") or "")
    return f"{name} <{mail}>" if name and name != mail else mail


def _people(values: Any) -> str:
    return ", ".join(_person(v) for v in values or [] if isinstance(v, dict))


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    if not rows:
        return '<p class="empty">Nothing here yet.</p>'
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _page(title: str, body: str) -> web.Response:
    text = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)} · Mailroom dev inbox</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    headers = {**_COMMON_HEADERS, "Content-Security-Policy": PAGE_POLICY}
    return web.Response(text=text, content_type="text/html", charset="utf-8", headers=headers)


def _missing(text: str) -> web.Response:
    response = _page(
        "Not found", f'<nav><a href="{PREFIX}">All mailboxes</a></nav><p>{_e(text)}</p>'
    )
    response.set_status(web.HTTPNotFound.status_code)
    return response


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)
