"""What Graph answers, as typed values (only the fields Mailroom reads)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.errors import GraphError
from bot.graph.envelope import error_from_envelope


@dataclass(frozen=True)
class GraphUser:
    id: str
    display_name: str | None
    mail: str | None
    user_principal_name: str | None

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> GraphUser:
        return cls(
            id=str(data["id"]),
            display_name=data.get("displayName"),
            mail=data.get("mail"),
            user_principal_name=data.get("userPrincipalName"),
        )


@dataclass(frozen=True)
class GroupRef:
    id: str
    display_name: str | None


@dataclass(frozen=True)
class DraftRef:
    """A created draft: its Graph id (needed to send it) and the mailbox it lives in."""

    id: str
    mailbox: str | None
    """``None`` for a draft in the signed-in user's own mailbox (``/me``)."""


@dataclass(frozen=True)
class FoundMessage:
    """An item found by its Mailroom id: a draft (``is_draft``: not sent — still in Drafts,
    or deleted by someone) or a sent copy (in Sent Items, or wherever a user moved it).
    ``folder_id`` is Graph's opaque folder id."""

    id: str
    is_draft: bool
    folder_id: str | None = None
    subject: str | None = None
    internet_message_id: str | None = None
    created: str | None = None
    sent: str | None = None


@dataclass(frozen=True)
class BatchRequest:
    """One item of a ``$batch`` (at most 20). ``url`` is relative to the version root, e.g.
    ``/users/a@b.c/sendMail``."""

    id: str
    method: str
    url: str
    body: dict[str, Any] | None = field(default=None, repr=False)
    depends_on: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()

    def to_graph(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "method": self.method, "url": self.url}
        headers = dict(self.headers)
        if self.body is not None:
            data["body"] = self.body
            headers.setdefault("Content-Type", "application/json")
        if headers:
            data["headers"] = headers
        if self.depends_on:
            data["dependsOn"] = list(self.depends_on)
        return data


@dataclass(frozen=True)
class BatchResponse:
    id: str
    status: int
    headers: dict[str, str]
    body: Any = field(repr=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def error(self) -> GraphError | None:
        """The typed error of a failed item (424 = a ``dependsOn`` item failed)."""
        if self.ok:
            return None
        return error_from_envelope(self.status, {"headers": self.headers, "body": self.body})
