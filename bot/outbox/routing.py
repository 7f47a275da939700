"""Which Graph call sends a job, on whose token, and where its Sent Items copy lands.

Pure: no I/O. The table (ARCHITECTURE.md, "Sender kinds"):

==================  ===========  ==========================  ===========  ==================
kind                mode         call                        ``from``     Sent Items copy
==================  ===========  ==========================  ===========  ==================
self                delegated    user: ``/me/sendMail``      —            the user's
self                application  app: ``/users/{me}/…``      —            the user's
send_as, on_behalf  delegated    user: ``/me/sendMail``      mailbox      the user's
send_as, on_behalf  application  app: ``/users/{user}/…``    mailbox      the user's
shared              delegated    user: ``/users/{shared}/…`` —            the shared mailbox's
shared              application  app: ``/users/{shared}/…``  —            the shared mailbox's
noreply             application  app: ``/users/{noreply}/…`` —           the no-reply mailbox's
==================  ===========  ==========================  ===========  ==================

In application mode Graph would send as anyone, so Exchange does not check the requester's
rights: the worker asks the ``SendGuard`` first (``needs_guard``). For send as / on behalf
in application mode the URL names the *requester's* mailbox, so Exchange still checks the
requester's right on ``from`` exactly as it does for a delegated ``/me`` call.

Reconciliation searches with the token that sent: the user's (delegated ``Mail.ReadWrite``
/ ``Mail.ReadWrite.Shared``) or the app's (RBAC for Applications "Application Mail.ReadWrite"
on the application-mode senders; no Entra mail permission reaches the users' mailboxes).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.send_request import SenderKind, SendMode, SendRequest
from bot.graph import APP, AsUser, Caller, EmailAddress, MailMessage
from bot.store.records import Job


@dataclass(frozen=True)
class SendRoute:
    caller: Caller
    mailbox: str | None
    """The ``/users/{mailbox}`` of the call; ``None`` for ``/me``."""
    from_address: str | None
    """``message.from`` (send as / on behalf); ``None`` sends as the URL's mailbox."""
    sent_items_mailbox: str
    """Where the Sent Items copy lands (an address or an object id), for reconciliation."""
    needs_guard: bool
    """Application mode: confirm the requester's Exchange right before sending."""

    @property
    def delegated(self) -> bool:
        return isinstance(self.caller, AsUser)


def route_for(request: SendRequest) -> SendRoute:
    """The Graph call for ``request``; raises ``ValueError`` for a combination Mailroom
    does not send (``noreply`` is always application mode)."""
    kind, mode = request.sender_kind, request.mode
    sender = request.sender_address
    user_mailbox = request.requester_upn or request.requester_oid
    user = AsUser(oid=request.requester_oid, mailbox=request.requester_upn)
    delegated = mode is SendMode.DELEGATED
    if kind is SenderKind.SELF:
        if delegated:
            return SendRoute(user, None, None, sender, needs_guard=False)
        return SendRoute(APP, sender, None, sender, needs_guard=True)
    if kind in (SenderKind.SEND_AS, SenderKind.SEND_ON_BEHALF):
        if delegated:
            return SendRoute(user, None, sender, user_mailbox, needs_guard=False)
        return SendRoute(APP, user_mailbox, sender, user_mailbox, needs_guard=True)
    if kind is SenderKind.SHARED:
        if delegated:
            return SendRoute(user, sender, None, sender, needs_guard=False)
        return SendRoute(APP, sender, None, sender, needs_guard=True)
    if kind is SenderKind.NOREPLY:
        if delegated:
            raise ValueError("a noreply sender always sends in application mode")
        return SendRoute(APP, sender, None, sender, needs_guard=True)
    raise ValueError(f"unknown sender kind {kind!r}")  # pragma: no cover - exhaustive enum


def build_message(
    job: Job,
    route: SendRoute,
    *,
    from_name: str | None = None,
    reply_to: str | None = None,
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
    )
