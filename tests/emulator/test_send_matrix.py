"""Send As / Send on Behalf / Full Access, table-driven over the demo tenant.

For each demo user × mailbox × delegated call form: the status (and Graph error code),
``from`` and ``sender`` as delivered, and whose Sent Items holds the copy. App-only sends:
the mailboxes in the bot app's RBAC for Applications scope, and only those.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from emu_helpers import Tokens, bearer, mail

from emulator.testing import RunningEmulator

RECIPIENT = "johanna.lorenz@contoso.com"

USERS = ("adele", "alex", "grady", "diego", "megan", "lynne", "johanna")
MAILBOXES = ("support", "hr", "megan", "noreply", "events")
ADDRESS = {
    "adele": "adele.vance@contoso.com",
    "alex": "alex.wilber@contoso.com",
    "grady": "grady.archie@contoso.com",
    "diego": "diego.siciliani@contoso.com",
    "megan": "megan.bowen@contoso.com",
    "lynne": "lynne.robbins@contoso.com",
    "johanna": "johanna.lorenz@contoso.com",
    "support": "support@contoso.com",
    "hr": "hr@contoso.com",
    "noreply": "noreply@contoso.com",
    "events": "events@contoso.com",
}

# The rights the demo seed grants (user → mailbox → right). Anything absent: no right.
#   as+full  Send As and Full Access     as  Send As only
#   behalf   Send on Behalf only         self  the user's own mailbox
RIGHTS = {
    ("adele", "support"): "as+full",
    ("alex", "support"): "as+full",
    ("grady", "support"): "as",
    ("diego", "hr"): "as+full",
    ("megan", "megan"): "self",
    ("lynne", "megan"): "behalf",
    ("megan", "events"): "as",
    ("lynne", "events"): "as",
}


@dataclass(frozen=True)
class Expect:
    status: int
    code: str | None = None
    from_: str | None = None  # "mailbox" | "user"
    sender: str | None = None  # "mailbox" | "user"
    copy_in: str | None = None  # "mailbox" | "user"


SENT_AS_USER_COPY = Expect(202, from_="mailbox", sender="mailbox", copy_in="user")
ON_BEHALF_USER_COPY = Expect(202, from_="mailbox", sender="user", copy_in="user")
SENT_AS_MAILBOX_COPY = Expect(202, from_="mailbox", sender="mailbox", copy_in="mailbox")
SEND_AS_DENIED = Expect(403, "ErrorSendAsDenied")
ACCESS_DENIED = Expect(403, "ErrorAccessDenied")

# (right, form) → outcome. Forms:
#   me_from     delegated POST /me/sendMail with message.from = mailbox
#   users_form  delegated POST /users/{mailbox}/sendMail (needs Full Access as well)
OUTCOMES = {
    ("self", "me_from"): SENT_AS_USER_COPY,
    ("as+full", "me_from"): SENT_AS_USER_COPY,
    ("as", "me_from"): SENT_AS_USER_COPY,
    ("behalf", "me_from"): ON_BEHALF_USER_COPY,
    ("none", "me_from"): SEND_AS_DENIED,
    ("self", "users_form"): SENT_AS_MAILBOX_COPY,
    ("as+full", "users_form"): SENT_AS_MAILBOX_COPY,
    ("as", "users_form"): ACCESS_DENIED,  # Send As without Full Access
    ("behalf", "users_form"): ACCESS_DENIED,
    ("none", "users_form"): ACCESS_DENIED,
}
# The demo seed marks these for the bot app's RBAC scope (CustomAttribute15).
IN_APP_SCOPE = ("support", "hr", "noreply")


# The app's RBAC for Applications scope holds the application-mode senders only.
IN_APP_SCOPE = ("support", "hr", "noreply")


def _expectation(user: str, mailbox: str, form: str) -> Expect:
    return OUTCOMES[(RIGHTS.get((user, mailbox), "none"), form)]


CASES = [
    pytest.param(user, mailbox, form, id=f"{user}-{mailbox}-{form}")
    for user in USERS
    for mailbox in MAILBOXES
    for form in ("me_from", "users_form")
]


def _send(
    https: httpx.Client, tokens: Tokens, user: str, mailbox: str, form: str, subject: str
) -> httpx.Response:
    if form == "me_from":
        return https.post(
            "/v1.0/me/sendMail",
            headers=bearer(tokens.user(ADDRESS[user])),
            json=mail(subject, sender=ADDRESS[mailbox], toRecipients=[_rcpt()]),
        )
    return https.post(
        f"/v1.0/users/{ADDRESS[mailbox]}/sendMail",
        headers=bearer(tokens.user(ADDRESS[user])),
        json=mail(subject, toRecipients=[_rcpt()]),
    )


def _rcpt() -> dict[str, dict[str, str]]:
    return {"emailAddress": {"address": RECIPIENT}}


@pytest.mark.parametrize(("user", "mailbox", "form"), CASES)
def test_delegation_matrix(
    emulator: RunningEmulator,
    https: httpx.Client,
    tokens: Tokens,
    user: str,
    mailbox: str,
    form: str,
) -> None:
    expected = _expectation(user, mailbox, form)
    subject = f"matrix {user} {mailbox} {form}"
    answer = _send(https, tokens, user, mailbox, form, subject)

    assert answer.status_code == expected.status, answer.text
    control = emulator.control
    delivered = [m for m in control.mailbox(RECIPIENT, "inbox") if m["subject"] == subject]
    if expected.status != 202:
        assert answer.json()["error"]["code"] == expected.code
        assert delivered == []
        return
    assert answer.content == b""
    assert len(delivered) == 1
    names = {"mailbox": ADDRESS[mailbox], "user": ADDRESS[user]}
    assert delivered[0]["from"]["emailAddress"]["address"] == names[expected.from_ or ""]
    assert delivered[0]["sender"]["emailAddress"]["address"] == names[expected.sender or ""]
    copy_owner = names[expected.copy_in or ""]
    other = ADDRESS[user] if copy_owner == ADDRESS[mailbox] else ADDRESS[mailbox]
    assert [m["subject"] for m in control.mailbox(copy_owner, "sentitems")] == [subject]
    if other != copy_owner:
        assert control.mailbox(other, "sentitems") == []


@pytest.mark.parametrize("mailbox", IN_APP_SCOPE)
def test_app_only_sends_as_each_mailbox_in_its_rbac_scope(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens, mailbox: str
) -> None:
    answer = https.post(
        f"/v1.0/users/{ADDRESS[mailbox]}/sendMail",
        headers=bearer(tokens.app()),
        json=mail("app only", toRecipients=[_rcpt()]),
    )

    assert answer.status_code == 202, answer.text
    (copy,) = emulator.control.mailbox(ADDRESS[mailbox], "sentitems")
    assert copy["from"] == copy["sender"]
    assert copy["from"]["emailAddress"]["address"] == ADDRESS[mailbox]


@pytest.mark.parametrize("who", ["megan", "events", "johanna", "adele"])
def test_app_only_outside_rbac_scope_is_access_denied(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens, who: str
) -> None:
    answer = https.post(
        f"/v1.0/users/{ADDRESS[who]}/sendMail",
        headers=bearer(tokens.app()),
        json=mail("outside scope", toRecipients=[_rcpt()]),
    )

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "ErrorAccessDenied"
    assert emulator.control.mailbox(RECIPIENT, "inbox") == []


def test_send_on_behalf_shows_both_names_in_the_delivered_copy(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    https.post(
        "/v1.0/me/sendMail",
        headers=bearer(tokens.user("lynne.robbins@contoso.com")),
        json=mail("for Megan", sender="megan.bowen@contoso.com"),
    ).raise_for_status()

    (delivered,) = emulator.control.mailbox(RECIPIENT, "inbox")
    assert delivered["from"]["emailAddress"] == {
        "name": "Megan Bowen",
        "address": "megan.bowen@contoso.com",
    }
    assert delivered["sender"]["emailAddress"] == {
        "name": "Lynne Robbins",
        "address": "lynne.robbins@contoso.com",
    }
