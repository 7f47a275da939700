"""Every ``Action.Execute`` verb Mailroom's cards use, and the typed data each carries.

Card data is untrusted: it carries ids, versions and choices; the bot re-loads the state,
re-takes the permission decision and validates every input on each step. Each verb has one
payload type below, parsed once at the boundary (``parse``) from the flat strings of the
action's data and inputs; the cards build their buttons' data with the same types
(``data()``), so what a card sends is what the handler reads.

A payload checks the *shape* of what our own cards put there (ids, versions, the length of
a comment the card already limits): a mismatch means a forged or corrupted action and is
answered with an error, not a card. What a person types (recipients, template values, the
template picked) is checked further on by the flow, and its problems are shown on the card
next to the field.

To add a verb: a constant here, its payload type in ``_PAYLOADS`` (reuse one when the data
is the same), the card that sends it (``execute(title, VERB, payload.data())``), and its
handler in ``bot/teams/handlers/<group>.py`` registered in ``bot/teams/routes.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, Self

from bot import i18n  # as a module: every upper-case name here is a verb or a limit
from cards._common import MAX_COMMENT, MAX_ID, MAX_SENDER, MAX_TEMPLATE

HELP = "help.show"
SEND_START = "send.start"
PICK_SENDER = "send.pick_sender"
WHY = "send.why"
PICK_TEMPLATE = "compose.template"
PREVIEW = "compose.preview"
COMPOSE_CANCEL = "compose.cancel"
REMOVE_FILE = "compose.remove_file"
SEND = "preview.send"
EDIT = "preview.edit"
PREVIEW_ROW = "preview.row"
CANCEL = "send.cancel"
REQUEST_APPROVAL = "preview.request_approval"
TO_BCC = "preview.to_bcc"
SEND_LATER = "preview.send_later"
ONE_EACH = "preview.one_each"
RETRY = "request.retry"
RETRY_FAILED = "send.retry_failed"
REFRESH = "request.refresh"
APPROVE = "approval.approve"
REJECT = "approval.reject"
STATUS = "request.status"
SEND_AGAIN = "request.send_again"
RESUME_DRAFT = "drafts.resume"
DISCARD_DRAFT = "drafts.discard"
RESUBMIT = "request.resubmit"

Data = dict[str, str | int]


@dataclass(frozen=True)
class Invalid:
    """Card data that does not fit its verb: which field, and what is wrong with it."""

    field: str
    problem: str


class Payload(Protocol):
    @classmethod
    def parse(cls, data: Mapping[str, str]) -> Self | Invalid: ...

    def data(self) -> Data: ...


@dataclass(frozen=True)
class NoData:
    """``help.show``, ``send.start``: nothing to carry."""

    @classmethod
    def parse(cls, data: Mapping[str, str]) -> NoData | Invalid:
        return cls()

    def data(self) -> Data:
        return {}


@dataclass(frozen=True)
class SenderChoice:
    """``send.pick_sender``, ``send.why``: ``{"sender": address}`` (or the sender input;
    empty when nothing was picked — the flow explains)."""

    sender: str = ""

    @classmethod
    def parse(cls, data: Mapping[str, str]) -> SenderChoice | Invalid:
        sender = data.get("sender", "").strip()
        if len(sender) > MAX_SENDER:
            return Invalid("sender", f"longer than {MAX_SENDER} characters")
        return cls(sender)

    def data(self) -> Data:
        return {"sender": self.sender}


@dataclass(frozen=True)
class DraftRef:
    """``compose.cancel``, ``drafts.resume``, ``drafts.discard``: ``{"draft": id,
    "version": n}``."""

    draft: str
    version: int

    @classmethod
    def parse(cls, data: Mapping[str, str]) -> DraftRef | Invalid:
        draft, version = _key(data, "draft"), _version(data)
        if isinstance(draft, Invalid):
            return draft
        if version is None:
            return Invalid("version", "missing")
        return version if isinstance(version, Invalid) else cls(draft, version)

    def data(self) -> Data:
        return {"draft": self.draft, "version": self.version}


@dataclass(frozen=True)
class FileChoice:
    """``compose.remove_file``: the draft's ref plus the file's ``sha256`` (64 hex digits)."""

    draft: str
    version: int
    sha256: str

    @classmethod
    def parse(cls, data: Mapping[str, str]) -> FileChoice | Invalid:
        ref = DraftRef.parse(data)
        if isinstance(ref, Invalid):
            return ref
        sha256 = data.get("sha256", "").strip().lower()
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            return Invalid("sha256", "not a file reference")
        return cls(ref.draft, ref.version, sha256)

    def data(self) -> Data:
        return {"draft": self.draft, "version": self.version, "sha256": self.sha256}


@dataclass(frozen=True)
class TemplateChoice:
    """``compose.template``: the draft's ref plus the ``template`` input (may be empty)."""

    draft: str
    version: int
    template: str = ""

    @classmethod
    def parse(cls, data: Mapping[str, str]) -> TemplateChoice | Invalid:
        ref = DraftRef.parse(data)
        if isinstance(ref, Invalid):
            return ref
        template = data.get("template", "").strip()
        if len(template) > MAX_TEMPLATE:
            return Invalid("template", f"longer than {MAX_TEMPLATE} characters")
        return cls(ref.draft, ref.version, template)

    def data(self) -> Data:
        return DraftRef(self.draft, self.version).data()


@dataclass(frozen=True)
class ComposeInputs:
    """``compose.preview``: the draft's ref plus every input of the compose card
    (to/cc/bcc/importance/var_*/bulk_csv/kept), which the flow validates field by field."""

    draft: str
    version: int
    inputs: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: Mapping[str, str]) -> ComposeInputs | Invalid:
        ref = DraftRef.parse(data)
        if isinstance(ref, Invalid):
            return ref
        inputs = {k: v for k, v in data.items() if k not in ("draft", "version")}
        return cls(ref.draft, ref.version, inputs)

    def data(self) -> Data:
        return DraftRef(self.draft, self.version).data()


@dataclass(frozen=True)
class SendLater:
    """``preview.send_later``: the request at its version plus either a quick ``pick``
    (a key of ``QUICK_PICKS``, carried by its button) or the ``send_date`` and
    ``send_time`` inputs; the handler reads them in the user's time zone."""

    request: str
    version: int
    pick: str = ""
    send_date: str = ""
    send_time: str = ""

    @classmethod
    def parse(cls, data: Mapping[str, str]) -> SendLater | Invalid:
        at = RequestAt.parse(data)
        if isinstance(at, Invalid):
            return at
        values = {k: data.get(k, "").strip() for k in ("pick", "send_date", "send_time")}
        for name, value in values.items():
            if len(value) > _MAX_WHEN:
                return Invalid(name, f"longer than {_MAX_WHEN} characters")
        return cls(at.request, at.version, **values)

    def data(self) -> Data:
        out = RequestAt(self.request, self.version).data()
        if self.pick:
            out["pick"] = self.pick
        return out


_MAX_WHEN = 32

QUICK_PICKS = {
    "in_1h": i18n.N_("In 1 hour"),
    "tomorrow_0900": i18n.N_("Tomorrow 09:00"),
    "monday_0900": i18n.N_("Monday 09:00"),
}
"""The "Send later" quick picks: ``pick`` key → button label. ``bot.domain.schedule``
resolves a key to a moment when it is clicked, in the user's time zone."""


@dataclass(frozen=True)
class RequestAt:
    """``preview.send``, ``preview.edit``, ``preview.request_approval``,
    ``preview.to_bcc``, ``preview.one_each``: a request at the version the card showed,
    ``{"request": id, "version": n}``."""

    request: str
    version: int

    @classmethod
    def parse(cls, data: Mapping[str, str]) -> RequestAt | Invalid:
        found = RequestRef.parse(data)
        if isinstance(found, Invalid):
            return found
        if found.version is None:
            return Invalid("version", "missing")
        return cls(found.request, found.version)

    def data(self) -> Data:
        return {"request": self.request, "version": self.version}


@dataclass(frozen=True)
class RequestRow:
    """``preview.row``: a bulk request's preview at another row, ``{"request": id,
    "version": n, "row": r}``. The row is only a wish: the flow holds it to the request's
    rows (1 to its message count)."""

    request: str
    version: int
    row: int

    @classmethod
    def parse(cls, data: Mapping[str, str]) -> RequestRow | Invalid:
        at = RequestAt.parse(data)
        if isinstance(at, Invalid):
            return at
        row = data.get("row", "").strip()
        if not (row.isascii() and row.isdigit() and len(row) <= 9):
            return Invalid("row", "not a row number")
        return cls(at.request, at.version, int(row))

    def data(self) -> Data:
        return {"request": self.request, "version": self.version, "row": self.row}


@dataclass(frozen=True)
class RequestRef:
    """``request.status``, ``request.refresh``, ``request.retry``, ``request.send_again``,
    ``send.retry_failed``, ``send.cancel``: ``{"request": id}``, with the version when the
    card knew it (the progress card's Cancel does not)."""

    request: str
    version: int | None = None

    @classmethod
    def parse(cls, data: Mapping[str, str]) -> RequestRef | Invalid:
        request, version = _key(data, "request"), _version(data)
        if isinstance(request, Invalid):
            return request
        return version if isinstance(version, Invalid) else cls(request, version)

    def data(self) -> Data:
        found: Data = {"request": self.request}
        if self.version is not None:
            found["version"] = self.version
        return found


@dataclass(frozen=True)
class Decision:
    """``approval.approve``, ``approval.reject``: the request at the version the approver
    saw, plus the optional ``comment`` input."""

    request: str
    version: int
    comment: str = ""

    @classmethod
    def parse(cls, data: Mapping[str, str]) -> Decision | Invalid:
        at = RequestAt.parse(data)
        if isinstance(at, Invalid):
            return at
        comment = data.get("comment", "").strip()
        if len(comment) > MAX_COMMENT:
            return Invalid("comment", f"longer than {MAX_COMMENT:,} characters")
        return cls(at.request, at.version, comment)

    def data(self) -> Data:
        return RequestAt(self.request, self.version).data()


_PAYLOADS: dict[str, type[Payload]] = {
    HELP: NoData,
    SEND_START: NoData,
    PICK_SENDER: SenderChoice,
    WHY: SenderChoice,
    PICK_TEMPLATE: TemplateChoice,
    PREVIEW: ComposeInputs,
    COMPOSE_CANCEL: DraftRef,
    REMOVE_FILE: FileChoice,
    SEND: RequestAt,
    SEND_LATER: SendLater,
    EDIT: RequestAt,
    PREVIEW_ROW: RequestRow,
    REQUEST_APPROVAL: RequestAt,
    TO_BCC: RequestAt,
    ONE_EACH: RequestAt,
    CANCEL: RequestRef,
    RETRY: RequestRef,
    RETRY_FAILED: RequestRef,
    REFRESH: RequestRef,
    STATUS: RequestRef,
    SEND_AGAIN: RequestRef,
    RESUME_DRAFT: DraftRef,
    DISCARD_DRAFT: DraftRef,
    RESUBMIT: RequestAt,
    APPROVE: Decision,
    REJECT: Decision,
}


def payload_type(verb: str) -> type[Payload] | None:
    """The payload type of ``verb``; None for a verb no card of ours sends."""
    return _PAYLOADS.get(verb)


def all_verbs() -> tuple[str, ...]:
    return tuple(_PAYLOADS)


def _key(data: Mapping[str, str], name: str) -> str | Invalid:
    """A draft or request id: what the store made (hex), at most ``MAX_ID`` characters."""
    value = data.get(name, "").strip()
    if not value:
        return Invalid(name, "missing")
    if len(value) > MAX_ID or not value.isascii() or not value.replace("-", "").isalnum():
        return Invalid(name, "not an id")
    return value


def _version(data: Mapping[str, str]) -> int | Invalid | None:
    """ASCII digits only ("²".isdigit() is True, int("²") raises) and short (a 5,000-digit
    string is over int()'s limit): anything else is a version no card ever had."""
    value = data.get("version", "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 9):
        return Invalid("version", "not a version number")
    return int(value)
