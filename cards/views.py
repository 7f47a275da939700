"""What the bot hands to the card builders: plain, already-decided data.

Cards never import ``bot`` beyond its language (``bot.i18n``) and its JSON encoder
(``bot.json_bytes``); they render these views. Every string here may contain
user-supplied text and must be shown escaped (``cards._parts.text`` /
``escape_markdown``). Verbs and their data are listed in ``cards/verbs.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SenderKindName = Literal["self", "send_as", "send_on_behalf", "shared", "noreply"]


@dataclass(frozen=True)
class SenderOption:
    address: str
    display_name: str
    kind: SenderKindName
    from_line: str  # what recipients will see, e.g. "Contoso Support <support@contoso.com>"
    available: bool
    reason: str | None = None  # one line: why not, or a note ("needs approval for …")
    mode: Literal["delegated", "application"] = "delegated"


@dataclass(frozen=True)
class FieldView:
    """One input of the compose card."""

    name: str  # the input id; template variables are prefixed "var_" by the bot
    label: str
    type: Literal[
        "string", "text", "email", "email_list", "date", "datetime", "number", "choice", "url"
    ]
    required: bool = False
    max_length: int | None = None
    help: str | None = None
    placeholder: str | None = None
    options: tuple[str, ...] = ()
    regex: str | None = None
    value: str = ""  # the current value, shown pre-filled
    error: str | None = None  # shown right under the input


@dataclass(frozen=True)
class TemplateOption:
    name: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class FileView:
    """A file on the email: its name and size as shown, and its reference for Remove."""

    name: str
    size: str
    sha256: str


@dataclass(frozen=True)
class ComposeView:
    draft_id: str
    version: int
    from_line: str
    sender_kind: SenderKindName
    templates: tuple[TemplateOption, ...]
    template: str | None  # the chosen template; None: ask for one first
    to: FieldView | None = None
    cc: FieldView | None = None
    bcc: FieldView | None = None
    importance: str = "normal"  # low | normal | high
    fields: tuple[FieldView, ...] = ()  # the template's variables
    bulk_csv: FieldView | None = None  # optional CSV (first row = variable names)
    errors: tuple[str, ...] = ()  # problems not tied to one field
    files: tuple[FileView, ...] = ()  # attached by sending them in the chat


@dataclass(frozen=True)
class PreviewView:
    request_id: str
    version: int
    from_line: str  # exactly as recipients see it
    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]
    subject: str
    text_body: str  # plain-text rendition (may be long: the card shows the start)
    has_noreply_footer: bool
    footer_text: str | None
    preview_url: str | None  # signed, expiring link to the full HTML preview
    needs_approval: bool
    approval_reasons: tuple[str, ...] = ()
    approvers: str | None = None  # who can approve: "Notice Approvers (2 people)"
    notes: tuple[str, ...] = ()  # e.g. "not verified: Exchange checks when sending"
    external_recipients: tuple[str, ...] = ()
    message_count: int = 1  # > 1 for a bulk send
    reference: str = ""  # the short reference people type ("MR-7F3K")
    exposed: tuple[str, ...] = ()  # external To/Cc addresses, when over the privacy threshold
    offer_one_each: bool = False  # the privacy prompt may offer one message per recipient
    row: int = 1  # which of a bulk send's messages is shown
    schedule_error: str | None = None  # why the "Send later" time picked cannot be used
    can_send_later: bool = True  # the sender sends for itself (application mode)
    files: tuple[FileView, ...] = ()
    row_files: tuple[str, ...] = ()  # bulk: "recipient: file, file" for each row


@dataclass(frozen=True)
class ProgressView:
    request_id: str
    version: int
    state: str  # queued | sending | sent | failed | cancelled | pending_approval | ...
    from_line: str
    subject: str
    total: int
    sent: int
    failed: int
    eta_text: str | None = None  # "about 9 min left"
    failures: tuple[tuple[str, str], ...] = ()  # (recipient, one-line reason)


@dataclass(frozen=True)
class ResultView:
    request_id: str
    from_line: str
    to: tuple[str, ...]
    subject: str
    sent_at: str  # already formatted for display
    graph_request_id: str | None
    message_count: int = 1
    reference: str = ""
    can_send_again: bool = False  # the requester's view: "Send again" starts a new request
    approval: str | None = None  # "Approved by Megan Bowen at 10:32: “OK”"
    preview_url: str | None = None  # signed link to the message as sent ("View")


@dataclass(frozen=True)
class ExplanationView:
    title: str
    what: str
    why: str
    fix: str
    who: str
    request_id: str | None = None  # Mailroom request id, when there is one
    graph_request_id: str | None = None
    retry_verb: str | None = None  # show a Retry button with this verb
    retry_data: dict[str, str] = field(default_factory=dict)
    other_reasons: tuple[str, ...] = ()  # further problems, one line each
    reference: str = ""  # the request's short reference, when there is a request


@dataclass(frozen=True)
class DraftSummary:
    """One unfinished draft, in /drafts and offered by /send."""

    draft_id: str
    version: int
    template: str  # the template's title
    sender: str
    recipients: str  # "a@x.com, b@x.com", "a bulk CSV of 12 rows" or "nobody yet"
    when: str  # last changed, formatted
    previewed: bool  # resuming opens its preview rather than the form


@dataclass(frozen=True)
class RequestSummary:
    """One row of /history, /status, /approvals."""

    request_id: str
    short_id: str
    state: str
    from_line: str
    subject: str
    recipients: str  # "a@x.com and 3 more"
    when: str  # formatted
    version: int | None = None  # lets the status card offer Cancel with {"request", "version"}
    preview_url: str | None = None  # signed link to the message as sent (history's "View")


@dataclass(frozen=True)
class ApprovalView:
    request_id: str
    version: int
    requester: str  # display name + address
    from_line: str
    recipient_count: int
    recipients_sample: tuple[str, ...]
    external_recipients: tuple[str, ...]
    subject: str
    text_body: str
    preview_url: str | None
    reasons: tuple[str, ...]  # why approval is needed, in words
    state: str  # pending_approval | approved | rejected | cancelled | expired | sent | failed
    viewer_role: Literal["approver", "requester", "other"]
    outcome: str | None = None  # "Approved by Megan Bowen at 10:32" / "Rejected by …: comment"
    unreachable_approvers: tuple[str, ...] = ()  # told, but not in Teams (emailed or not)
    approvers_in_teams: tuple[str, ...] = ()  # names of those who got the card in Teams
    asking_approvers: int = 0  # approvers still being reached
    approvers: str | None = None  # who can approve (the requester's view)
    refresh_user_ids: tuple[str, ...] = ()  # Teams user ids (29:…), at most 60
    reference: str = ""
    replaced_by: str = ""  # the reference of the edited request that replaced this one
