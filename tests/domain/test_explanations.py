"""Every denial and Graph error has an explanation that names the fix and who can do it."""

from __future__ import annotations

import pytest

from bot.domain.explanations import CATALOGUE, explain, explain_all, explain_graph_error
from bot.errors import GraphError, SendAsDenied


def test_missing_send_as_names_the_admin_center_path_and_the_cmdlet() -> None:
    text = explain(
        "missing_send_as", mailbox="support@contoso.com", user="johanna.lorenz@contoso.com"
    )
    assert "Recipients → Mailboxes → support@contoso.com → Delegation → Send as" in text.fix
    assert (
        "Add-RecipientPermission support@contoso.com -Trustee johanna.lorenz@contoso.com "
        "-AccessRights SendAs" in text.fix
    )
    assert "two hours" in text.fix
    assert "Exchange administrator" in text.who


def test_send_on_behalf_fix_uses_set_mailbox_with_literal_braces() -> None:
    text = explain(
        "missing_send_on_behalf", mailbox="megan.bowen@contoso.com", user="a@contoso.com"
    )
    assert (
        'Set-Mailbox megan.bowen@contoso.com -GrantSendOnBehalfTo @{Add="a@contoso.com"}'
        in text.fix
    )


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_entry_fills_without_leftover_placeholders(key: str) -> None:
    text = explain(key, mailbox="m@contoso.com", user="u@contoso.com", request_id="r-1",
                   groups="g", templates="t", template="x", count="3", max="2",
                   external="e@x.com", domains="d.com", limit="1", problem="p",
                   status="500", code="C")  # fmt: skip
    for part in (text.title, text.what, text.why, text.fix, text.who):
        assert "{" not in part.replace("@{Add", "")
        assert part.strip()


def test_graph_send_as_denied_maps_to_its_entry_with_the_request_id() -> None:
    error = SendAsDenied(403, "ErrorSendAsDenied", "no", request_id="req-42")
    text = explain_graph_error(error, mailbox="support@contoso.com", user="u@contoso.com")
    assert text.key == "ErrorSendAsDenied"
    assert "req-42" in text.what


def test_an_unknown_graph_code_gets_the_generic_entry_that_still_shows_the_request_id() -> None:
    text = explain_graph_error(
        GraphError(418, "ErrorTeapot", request_id="req-7"), mailbox="m@c.com"
    )
    assert text.key == "unknown"
    assert "req-7" in text.what
    assert "ErrorTeapot" in text.what


def test_throttling_is_retryable_and_says_nothing_is_needed() -> None:
    text = explain_graph_error(GraphError(429, "ApplicationThrottled", request_id="r"))
    assert text.key == "TooManyRequests"
    assert text.retry


def test_item_not_found_on_someone_elses_mailbox_is_explained_as_a_missing_right() -> None:
    """Exchange's "The specified object was not found in the store." on a shared or another
    person's mailbox means the sender lacks Full Access, not that the mailbox is missing."""
    error = GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.",
                       request_id="req-9")  # fmt: skip
    text = explain_graph_error(error, mailbox="hr@contoso.com", user="diego@contoso.com")

    assert text.key == "ErrorItemNotFound"
    assert "Full Access" in text.why
    assert "Add-MailboxPermission hr@contoso.com -User diego@contoso.com" in text.fix
    assert "mailroom.toml" not in text.fix
    assert "req-9" in text.what


def test_item_not_found_in_ones_own_mailbox_is_a_missing_item() -> None:
    error = GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    text = explain_graph_error(error, own_mailbox=True, mailbox="adele@contoso.com")

    assert text.key == "item_not_found"
    assert "Full Access" not in text.why + text.fix
    assert text.retry


def test_a_mailbox_that_really_does_not_exist_still_says_so() -> None:
    text = explain_graph_error(GraphError(404, "ErrorInvalidUser"), mailbox="gone@contoso.com")
    assert text.key == "ErrorInvalidUser"
    assert "mailroom.toml" in text.fix


def test_a_policy_rule_and_an_exchange_right_missing_together_give_both_fixes() -> None:
    mailbox, user = "hr@contoso.com", "adele.vance@contoso.com"
    text = explain_all(
        [
            ("not_in_allowed_group", {"mailbox": mailbox, "user": user, "groups": "HR Team"}),
            ("missing_send_as", {"mailbox": mailbox, "user": user}),
        ]
    )
    assert text.title == "hr@contoso.com is limited to certain groups (and 1 more to fix)"
    first, second = text.fix.split("\n")
    assert first.startswith("1. Ask the group's owner to add you")
    assert "allowed_groups" in first
    assert second.startswith("2. An Exchange admin adds you")
    assert "Add-RecipientPermission hr@contoso.com -Trustee adele.vance@contoso.com" in second
    assert "HR Team" in text.why
    assert "Send As trustee" in text.why
    assert "Mailroom administrator" in text.who
    assert "Exchange administrator" in text.who


def test_a_single_problem_is_explained_as_before() -> None:
    params = {"mailbox": "support@contoso.com", "user": "a@contoso.com"}
    assert explain_all([("missing_send_as", params)]) == explain("missing_send_as", **params)
