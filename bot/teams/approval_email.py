"""The email an approver gets when Mailroom cannot post the approval card to them in Teams
(``bot.teams.reach``), and the Teams links in it: one that opens the request (their chat
with Mailroom, ``/status MR-XXXX`` typed in), one that opens Mailroom's install dialog."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from bot.domain.references import reference_of
from bot.domain.send_request import JsonValue, SendRequest
from bot.flow.approvals import Approver
from bot.graph import EmailAddress, MailMessage


def app_link(catalog_app_id: str | None, tenant_id: str) -> str | None:
    """The Teams link that opens Mailroom (its install-or-open dialog): ``/l/app/<org
    catalog id>?tenantId=<tenant>`` (learn.microsoft.com/microsoftteams/platform/concepts/
    build-and-test/deep-link-application, "Deep link to open an app install dialog"; an
    app of the organisation's catalog is named by its catalog id)."""
    if not catalog_app_id:
        return None
    return f"https://teams.microsoft.com/l/app/{quote(catalog_app_id)}?tenantId={quote(tenant_id)}"


def bot_id(bot_app_id: str | None, origin: Mapping[str, JsonValue]) -> str | None:
    """Mailroom's id as a Teams chat member, ``28:<bot app id>``: from the configured app id,
    else as Teams named the bot in the requester's conversation (its ``recipient``)."""
    if bot_app_id:
        return f"28:{bot_app_id}"
    bot = origin.get("bot")
    found = bot.get("id") if isinstance(bot, dict) else None
    return found if isinstance(found, str) and found.startswith("28:") else None


def status_text(request: SendRequest) -> str:
    """What an approver types in Mailroom to see the request with Approve and Reject."""
    return f"/status {reference_of(request.id)}"


def chat_link(bot: str | None, request: SendRequest) -> str | None:
    """The Teams link that opens the user's 1:1 chat with Mailroom with ``/status MR-XXXX``
    in the compose box, ready to send. Microsoft's deep link to a chat is ``/l/chat/0/0?
    tenantId=&users=&message=`` (``message``: text inserted into the compose box;
    learn.microsoft.com/microsoftteams/platform/concepts/build-and-test/deep-link-teams,
    "Configure deep link to start a chat manually"), and a chat with a bot names it as
    ``users=28:<botId>`` (learn.microsoft.com/microsoftteams/platform/bots/how-to/
    conversations/copilot-handoff, "Configure a deep link URL")."""
    if bot is None:
        return None
    query = {"tenantId": request.tenant_id, "users": bot, "message": status_text(request)}
    return "https://teams.microsoft.com/l/chat/0/0?" + urlencode(query, quote_via=quote, safe=":")


@dataclass(frozen=True)
class EmailLinks:
    chat: str | None  # opens the request: the chat with Mailroom, its /status typed in
    app: str | None  # opens Mailroom's install dialog (for someone who lacks it)


def approval_email(
    request: SendRequest,
    approver: Approver,
    sender_address: str,
    sender_name: str,
    links: EmailLinks,
) -> MailMessage:
    typed = html.escape(status_text(request))
    subject = request.subject if len(request.subject) <= 120 else request.subject[:117] + "..."
    if links.chat:
        opener = (
            f'<p><a href="{html.escape(links.chat)}">Open the request in Teams</a>: your chat '
            f"with Mailroom opens with <b>{typed}</b> typed in; send it, and the request shows "
            "with Approve and Reject.</p>"
        )
    else:
        opener = (
            f"<p>Open Mailroom in Teams and type <b>{typed}</b> to see it and approve or "
            "reject it.</p>"
        )
    if links.app:
        opener += (
            f'<p>If Teams says you don\'t have Mailroom, <a href="{html.escape(links.app)}">'
            "add it</a> first.</p>"
        )
    body = (
        f"<p>Hello {html.escape(approver.name)},</p>"
        f"<p>{html.escape(request.requester_upn or 'A colleague')} asks you to approve a send "
        f"from {html.escape(request.sender_address)}: “{html.escape(subject)}”, to "
        f"{len(request.recipients.all())} recipient(s).</p>"
        f"{opener}"
        "<p>Mailroom could not post the approval card to you in Teams.</p>"
    )
    return MailMessage(
        mailroom_id=f"approval-{request.id}-{approver.oid}"[:128],
        subject=f"Approval needed: {subject}",
        html_body=body,
        to=(EmailAddress(approver.upn, approver.name),),
        sender=EmailAddress(sender_address, sender_name),
    )
