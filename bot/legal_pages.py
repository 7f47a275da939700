"""``GET /privacy`` and ``GET /terms``: the pages the Teams app's ``developer.privacyUrl`` and
``developer.termsOfUseUrl`` lead to when the organisation names none of its own.

The Teams Store rules ask for a privacy statement that says how user data is stored, kept and
deleted, names a contact and needs no sign-in, and terms of use specific to the offering on
an https link (docs/platform.md, "Teams Store rules"). Both pages are plain HTML, public, and
say only what this Mailroom does; the contact is ``MAILROOM_ADMIN_CONTACT``, and how long
email bodies are kept is the running policy's ``retention_days``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape

from aiohttp import web

PRIVACY_PATH = "/privacy"
TERMS_PATH = "/terms"
ACTIVITY_DAYS = 7  # keep equal to RetentionPolicy.activity_days (a test checks)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RetentionDays = Callable[[], int | None]
"""The policy's retention_days while the services run; None before they start."""

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5}h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:1.5rem}"
)


def page_url(public_url: str | None, path: str) -> str:
    """The page under the bot's public URL ("" without one)."""
    return f"{public_url.rstrip('/')}{path}" if public_url else ""


def legal_handlers(
    admin_contact: str | None, retention_days: RetentionDays
) -> tuple[Handler, Handler]:
    """The ``/privacy`` and ``/terms`` handlers."""

    async def privacy(request: web.Request) -> web.Response:
        return _page("Mailroom privacy statement", privacy_html(admin_contact, retention_days()))

    async def terms(request: web.Request) -> web.Response:
        return _page("Mailroom terms of use", terms_html(admin_contact))

    return privacy, terms


def _contact(admin_contact: str | None) -> str:
    if admin_contact:
        return f"<strong>{escape(admin_contact)}</strong>, who runs Mailroom for your organisation"
    return "your organisation's Mailroom administrator (the IT team that runs Mailroom)"


def privacy_html(admin_contact: str | None, retention_days: int | None) -> str:
    kept = (
        f"{retention_days} days" if retention_days else "the number of days your administrator set"
    )
    return f"""<p>Mailroom is a Microsoft Teams bot with which people in your organisation send
email as a colleague, a shared mailbox or a no-reply mailbox. Your organisation runs it on its
own servers and keeps everything below in its own database; Mailroom sends nothing to anyone
else. This statement covers the Mailroom service, its Teams app and its web pages.</p>
<h2>What Mailroom stores</h2>
<ul>
<li><strong>Send requests</strong>: who asked, the sender mailbox, the recipients, the subject,
the template and the values filled in, the rendered email, approvals and what happened to each
message.</li>
<li><strong>An audit record</strong> of every send and decision: who, as whom, to how many
recipients, when, and the outcome.</li>
<li><strong>Sign-in tokens</strong> of people who send as themselves or as a colleague
(Microsoft's token cache for each user), encrypted in the database, or kept only in memory when
your administrator configured no encryption key.</li>
<li>Where to reach you in Teams (the chat with Mailroom), and the ids of recent Teams messages,
so a message Teams delivers twice is answered once.</li>
</ul>
<h2>How long, and how it is deleted</h2>
<ul>
<li>The email body and the filled-in values of a finished request are deleted after {kept};
the subject, recipients and audit record stay, as your organisation's record of what was
sent.</li>
<li>A draft you started and left (the values you typed in before a preview) is deleted after
{kept} without a change.</li>
<li>Teams message ids are deleted after {ACTIVITY_DAYS} days.</li>
<li>Your sign-in tokens are deleted when you type <code>/signout</code> in the chat with
Mailroom, or when they can no longer be decrypted.</li>
</ul>
<h2>How it is protected</h2>
<p>Mailroom checks your rights with Microsoft 365 before every send, answers only people of
your organisation's tenant, accepts Teams traffic only with Microsoft's signed tokens, and
never writes tokens, passwords or email bodies to its logs. Token caches are encrypted and
authenticated (Fernet).</p>
<h2>Contact</h2>
<p>Questions about your data, or a request to see or delete it: {_contact(admin_contact)}.</p>
"""


def terms_html(admin_contact: str | None) -> str:
    return f"""<p>Mailroom lets you send email from Microsoft Teams as a colleague who granted
you Send As or Send on Behalf, from a shared mailbox, or from a no-reply mailbox, within the
rights Microsoft 365 and your organisation's Mailroom policy give you.</p>
<ul>
<li>Use it for your organisation's work only, and send only what you may send as that
sender. Mailroom checks the sender's rights and your organisation's approval rules before each
send; an administrator may change or withdraw them at any time.</li>
<li>What you send is recorded as described in the
<a href="privacy">privacy statement</a>.</li>
<li>Mailroom is provided by your organisation as it is; an email Microsoft 365 refused or
could not deliver is reported to you in Teams, and a send whose outcome is unclear is checked
with Microsoft 365 before anything is sent again.</li>
</ul>
<p>Questions: {_contact(admin_contact)}.</p>
"""


def _page(title: str, body: str) -> web.Response:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{title}</h1>{body}</body></html>"
    )
    return web.Response(
        text=html,
        content_type="text/html",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
