"""Which mailbox a job's draft is created and sent in, on whose token, and where its Sent
Items copy lands.

Pure: no I/O. Every message is created as a draft and then sent by id
(``docs/decisions/0004-send-by-draft.md``); both calls, and the lookups that reconcile an
uncertain one, go to the same mailbox with the same token:

==================  ===========  ============================  ===========  ====================
kind                mode         mailbox of the calls          ``from``     Sent Items copy
==================  ===========  ============================  ===========  ====================
self                delegated    user: ``/me``                 —            the user's
self                application  app: ``/users/{user}``        —            the user's
send_as             delegated    user: ``/me``                 mailbox      the user's
send_as             application  app: ``/users/{mailbox}``     —            the mailbox's
send_on_behalf      delegated    user: ``/me``                 mailbox      the user's
send_on_behalf      application  app: ``/users/{user}``        mailbox      the user's
shared              delegated    user: ``/users/{shared}``     —            the shared mailbox's
shared              application  app: ``/users/{shared}``      —            the shared mailbox's
noreply             application  app: ``/users/{noreply}``     —            the no-reply mailbox's
==================  ===========  ============================  ===========  ====================

Why application-mode Send As names the *mailbox*: Exchange checks the mailbox in the URL
against the app's RBAC for Applications scope, and deploy.md scopes it to the sender
mailboxes, not to the people who use them. Sent from the mailbox itself, the message is what
Send As means to a recipient (the mailbox, nothing else); the copy lands in the mailbox's
Sent Items. Mailroom itself confirms the requester's Send As before (the ``SendGuard``).

Send on Behalf cannot be sent that way: Graph's ``sender`` "must correspond to the actual
mailbox used", so "user on behalf of mailbox" needs the *user's* mailbox in the URL. In
application mode the requester's mailbox must therefore be in the app's RBAC scope too (mark
it like a sender mailbox); so must a user's own mailbox for ``self`` in application mode.
Delegated mode needs neither: Exchange checks the user's own rights.

Delegated drafts live where delegated calls go: the user's own mailbox for ``/me`` (read back
with the user's token and ``Mail.ReadWrite``), the shared mailbox for ``/users/{shared}``
(``Mail.ReadWrite.Shared`` with Full Access).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.send_request import SenderKind, SendMode, SendRequest
from bot.graph import APP, AsUser, Attachment, Caller, EmailAddress, MailMessage
from bot.store.records import Job


@dataclass(frozen=True)
class SendRoute:
    caller: Caller
    mailbox: str | None
    """The ``/users/{mailbox}`` of every call; ``None`` for ``/me``."""
    from_address: str | None
    """``message.from`` (send as / on behalf); ``None`` sends as the URL's mailbox."""
    sent_items_mailbox: str
    """Whose Sent Items the copy lands in (an address, or the user's object id): where a
    person looks when the outcome is unknown."""

    @property
    def delegated(self) -> bool:
        return isinstance(self.caller, AsUser)


def route_for(request: SendRequest) -> SendRoute:
    """The calls for ``request``; raises ``ValueError`` for a combination Mailroom does not
    send (``noreply`` is always application mode)."""
    kind, mode = request.sender_kind, request.mode
    sender = request.sender_address
    user_mailbox = request.requester_upn or request.requester_oid
    user = AsUser(oid=request.requester_oid, mailbox=request.requester_upn)
    delegated = mode is SendMode.DELEGATED
    if kind is SenderKind.SELF:
        if delegated:
            return SendRoute(user, None, None, sender)
        return SendRoute(APP, sender, None, sender)
    if kind is SenderKind.SEND_AS:
        if delegated:
            return SendRoute(user, None, sender, user_mailbox)
        return SendRoute(APP, sender, None, sender)
    if kind is SenderKind.SEND_ON_BEHALF:
        if delegated:
            return SendRoute(user, None, sender, user_mailbox)
        return SendRoute(APP, user_mailbox, sender, user_mailbox)
    if kind is SenderKind.SHARED:
        return SendRoute(user if delegated else APP, sender, None, sender)
    if kind is SenderKind.NOREPLY:
        if delegated:
            raise ValueError("a noreply sender always sends in application mode")
        return SendRoute(APP, sender, None, sender)
    raise ValueError(f"unknown sender kind {kind!r}")  # pragma: no cover - exhaustive enum


def where_to_check(request: SendRequest) -> str:
    """The mailbox whose Sent Items tell whether ``request``'s messages went out (for an
    ``unknown`` outcome: "check the Sent Items of ..."). An address whenever Mailroom knows
    one."""
    try:
        return route_for(request).sent_items_mailbox
    except ValueError:
        return request.sender_address


def build_message(
    job: Job,
    route: SendRoute,
    *,
    from_name: str | None = None,
    reply_to: str | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> MailMessage:
    """The message exactly as stored: the job's rendered subject and HTML body, its
    recipients, its Mailroom id. Raises ``ValueError`` when the body was purged."""
    content = job.content
    if content is None:
        raise ValueError(f"job {job.id}: the rendered body was purged by retention")
    recipients = job.recipients
    return MailMessage(
        mailroom_id=job.mailroom_id,
        subject=content.subject,
        html_body=content.html,
        to=tuple(EmailAddress(a) for a in recipients.to),
        cc=tuple(EmailAddress(a) for a in recipients.cc),
        bcc=tuple(EmailAddress(a) for a in recipients.bcc),
        reply_to=(EmailAddress(reply_to),) if reply_to else (),
        sender=EmailAddress(route.from_address, from_name) if route.from_address else None,
        attachments=attachments,
    )
