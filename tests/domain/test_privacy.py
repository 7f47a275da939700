"""The privacy prompt's pure parts: what is exposed, when to ask, and the two rewrites."""

from __future__ import annotations

import csv
import io

from bot.domain.send_request import Recipients
from bot.flow.privacy import exposed, needs_prompt, rewritten


def internal(address: str) -> bool:
    return address.endswith("@contoso.com")


def test_only_external_addresses_in_to_and_cc_are_exposed() -> None:
    recipients = Recipients(("a@contoso.com", "b@fabrikam.com"), ("c@tailspin.com",),
                            ("hidden@fabrikam.com",))  # fmt: skip
    assert exposed(recipients, internal) == ("b@fabrikam.com", "c@tailspin.com")


def test_the_prompt_is_for_one_message_over_the_threshold() -> None:
    assert not needs_prompt(10, 10, 1)
    assert needs_prompt(11, 10, 1)
    assert needs_prompt(1, 0, 1)
    assert not needs_prompt(500, 10, 2)  # a bulk send writes to each alone already


FIELDS = {
    "to": '"Doe, John" <john@fabrikam.com>; jane@fabrikam.com',
    "cc": "boss@contoso.com",
    "bcc": "audit@contoso.com",
    "importance": "high",
    "var_ticket_id": "7",
}


def test_bcc_puts_the_sender_in_to_and_everyone_else_in_bcc() -> None:
    out = rewritten(FIELDS, "bcc", "support@contoso.com")
    assert (out["to"], out["cc"]) == ("support@contoso.com", "")
    assert out["bcc"] == (
        "john@fabrikam.com, jane@fabrikam.com, boss@contoso.com, audit@contoso.com"
    )
    assert (out["importance"], out["var_ticket_id"]) == ("high", "7")  # nothing else changes


def test_one_each_lists_every_recipient_as_a_csv_row() -> None:
    out = rewritten(FIELDS, "one_each", "support@contoso.com")
    assert (out["to"], out["cc"], out["bcc"]) == ("", "", "")
    rows = list(csv.reader(io.StringIO(out["bulk_csv"])))
    assert rows == [["email"], ["john@fabrikam.com"], ["jane@fabrikam.com"],
                    ["boss@contoso.com"], ["audit@contoso.com"]]  # fmt: skip
