"""The typed outgoing message and its Graph JSON.

Every message carries its **Mailroom id** twice:

* as the internet header ``x-mailroom-id`` (visible to recipients' mail systems), and
* as a single-value extended property in Mailroom's own property set
  ``{71c4cd5a-e31c-4c9c-83b1-138216e831ed}`` named ``MailroomId``, which survives into the
  Sent Items copy and can be searched with ``$filter`` (internet headers cannot).

The GUID is fixed forever: changing it would make earlier messages unfindable.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

MAILROOM_PROPERTY_SET = "71c4cd5a-e31c-4c9c-83b1-138216e831ed"
MAILROOM_ID_PROPERTY = f"String {{{MAILROOM_PROPERTY_SET}}} Name MailroomId"
MAILROOM_ID_HEADER = "x-mailroom-id"

MAX_RECIPIENTS = 500
MAX_INLINE_ATTACHMENT_BYTES = 3 * 1024 * 1024
"""Graph takes attachments inline in one request only below 3 MB (all of them together,
since the request itself is limited to 4 MB once base64-encoded); from 3 MB the draft is
created without them and each file is added to it (``GraphClient.attach``)."""
MAX_HEADERS = 5
"""Graph takes at most 5 ``internetMessageHeaders`` per message (400
InvalidInternetMessageHeaderCollection); ``x-mailroom-id`` is one of them."""
MAX_REQUEST_BYTES = 4 * 1024 * 1024
"""Graph refuses a request body over 4 MB (413) before looking at it."""
MAILROOM_ID_LENGTH = 36
"""The Mailroom ids the outbox hands out are UUIDs (``str(uuid4())``)."""

_MAILROOM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_HEADER_NAME = re.compile(r"[Xx]-[A-Za-z0-9-]{1,100}")

Importance = Literal["low", "normal", "high"]


@dataclass(frozen=True)
class EmailAddress:
    address: str
    name: str | None = None

    def __post_init__(self) -> None:
        if "@" not in self.address:
            raise ValueError(f"not an email address: {self.address!r}")

    def to_graph(self) -> dict[str, Any]:
        email: dict[str, str] = {"address": self.address}
        if self.name:
            email["name"] = self.name
        return {"emailAddress": email}


@dataclass(frozen=True)
class Attachment:
    """A file attachment: inline (base64) in the create/send request when the message's
    files are small enough, otherwise added to the draft afterwards."""

    name: str
    content_type: str
    content: bytes = field(repr=False)
    inline: bool = False
    content_id: str | None = None

    def to_graph(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "@odata.type": "#microsoft.graph.fileAttachment",
            "name": self.name,
            "contentType": self.content_type,
            "contentBytes": base64.b64encode(self.content).decode("ascii"),
            "isInline": self.inline,
        }
        if self.content_id:
            data["contentId"] = self.content_id
        return data


@dataclass(frozen=True)
class MailMessage:
    """One message as Mailroom sends it. ``sender`` becomes Graph's ``from`` (Graph fills in
    ``sender`` itself); leave it ``None`` to send as the mailbox in the URL."""

    mailroom_id: str
    subject: str
    html_body: str = field(repr=False)
    to: tuple[EmailAddress, ...] = ()
    cc: tuple[EmailAddress, ...] = ()
    bcc: tuple[EmailAddress, ...] = ()
    reply_to: tuple[EmailAddress, ...] = ()
    sender: EmailAddress | None = None
    importance: Importance = "normal"
    attachments: tuple[Attachment, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    """Extra internet headers; names must start with ``x-`` (Graph's rule)."""

    def __post_init__(self) -> None:
        if not _MAILROOM_ID.fullmatch(self.mailroom_id):
            raise ValueError("mailroom_id must be 1-128 of [A-Za-z0-9._:-]")
        if len(self.to) + len(self.cc) + len(self.bcc) > MAX_RECIPIENTS:
            raise ValueError(f"at most {MAX_RECIPIENTS} recipients (To + Cc + Bcc)")
        if 1 + len(self.headers) > MAX_HEADERS:
            raise ValueError(f"at most {MAX_HEADERS} internet headers, x-mailroom-id included")
        for name, _value in self.headers:
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"header {name!r}: Graph accepts only x- headers")
            if name.lower() == MAILROOM_ID_HEADER:
                raise ValueError(f"{MAILROOM_ID_HEADER} is set from mailroom_id")

    @property
    def attachments_inline(self) -> bool:
        """Whether the files ride in the draft-creating request: under 3 MB together, and
        the request with them (base64 grows them by a third) still within Graph's 4 MB."""
        if sum(len(a.content) for a in self.attachments) >= MAX_INLINE_ATTACHMENT_BYTES:
            return False
        encoded = sum(len(json.dumps(a.to_graph())) + 1 for a in self.attachments)
        return self._request_bytes_without_files() + encoded <= MAX_REQUEST_BYTES

    def _request_bytes_without_files(self) -> int:
        body = json.dumps(
            self._graph_without_files(), ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )
        return len(body.encode("utf-8"))

    @property
    def recipient_count(self) -> int:
        return len(self.to) + len(self.cc) + len(self.bcc)

    def request_bytes(self) -> int:
        """The size of the draft-creating request's body, encoded as httpx encodes it."""
        body = json.dumps(
            self.to_graph(), ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )
        return len(body.encode("utf-8"))

    def to_graph(self) -> dict[str, Any]:
        """The ``message`` resource for ``sendMail`` or ``POST .../messages`` (files that do
        not fit inline are left out: they are added to the draft one by one)."""
        data = self._graph_without_files()
        if self.attachments and self.attachments_inline:
            data["attachments"] = [a.to_graph() for a in self.attachments]
        return data

    def _graph_without_files(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "subject": self.subject,
            "body": {"contentType": "HTML", "content": self.html_body},
            "toRecipients": [r.to_graph() for r in self.to],
            "ccRecipients": [r.to_graph() for r in self.cc],
            "bccRecipients": [r.to_graph() for r in self.bcc],
            "importance": self.importance,
            "internetMessageHeaders": [
                {"name": MAILROOM_ID_HEADER, "value": self.mailroom_id},
                *({"name": n, "value": v} for n, v in self.headers),
            ],
            "singleValueExtendedProperties": [
                {"id": MAILROOM_ID_PROPERTY, "value": self.mailroom_id}
            ],
        }
        if self.reply_to:
            data["replyTo"] = [r.to_graph() for r in self.reply_to]
        if self.sender is not None:
            data["from"] = self.sender.to_graph()
        return data


def request_bytes_for(
    subject: str,
    html_body: str,
    recipients: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]],
    sender: str | None = None,
) -> int:
    """What ``MailMessage.request_bytes`` will be for such a message (To, Cc, Bcc), before
    it has a Mailroom id: for a check at preview time."""
    to, cc, bcc = (tuple(EmailAddress(a) for a in group) for group in recipients)
    message = MailMessage(
        mailroom_id="0" * MAILROOM_ID_LENGTH,
        subject=subject,
        html_body=html_body,
        to=to,
        cc=cc,
        bcc=bcc,
        sender=EmailAddress(sender) if sender else None,
    )
    return message.request_bytes()


def most_request_bytes(
    subject: str,
    html_body: str,
    recipients: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]],
    sender: str | None = None,
) -> int:
    """At least ``request_bytes_for``, worked out from lengths alone: JSON writes no character
    in more than six bytes (``\\u001f``), each address comes with a few dozen bytes of its
    own, and the message's fixed fields take a few hundred (385 with no text at all)."""
    addresses = [address for group in recipients for address in group]
    if sender:
        addresses.append(sender)
    chars = len(subject) + len(html_body) + sum(len(address) for address in addresses)
    return 6 * chars + 64 * len(addresses) + 1024


def request_size_problem(
    subject: str,
    html_body: str,
    recipients: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]],
    sender: str | None = None,
) -> str | None:
    """Why Graph would refuse such a message's request for its size (over 4 MB), in words
    for the person sending it; ``None`` when it fits."""
    if most_request_bytes(subject, html_body, recipients, sender) <= MAX_REQUEST_BYTES:
        return None  # cannot be over: the email is not encoded on every preview to know it
    size = request_bytes_for(subject, html_body, recipients, sender)
    if size <= MAX_REQUEST_BYTES:
        return None
    return (
        f"the email is {size / 2**20:.1f} MB as Microsoft Graph receives it, over the 4 MB "
        "Graph takes in one request; shorten it"
    )


def mailroom_id_filter(mailroom_id: str) -> str:
    """The ``$filter`` that finds messages carrying ``mailroom_id``."""
    if not _MAILROOM_ID.fullmatch(mailroom_id):
        raise ValueError("mailroom_id must be 1-128 of [A-Za-z0-9._:-]")
    # The id's alphabet has no quote, so no OData escaping is needed.
    return (
        f"singleValueExtendedProperties/any(ep:ep/id eq '{MAILROOM_ID_PROPERTY}'"
        f" and ep/value eq '{mailroom_id}')"
    )
