"""Recipient lists as people paste them (from Outlook, from a spreadsheet), parsed by the
standard library's address parser and checked with email-validator."""

from __future__ import annotations

import pytest

from bot.flow.recipients import parse_addresses, parse_bulk_csv


def test_outlooks_copied_list_with_a_comma_inside_a_quoted_name_is_two_people() -> None:
    pasted = '"Doe, John" <john@contoso.com>; Jane Roe <jane@contoso.com>'
    assert parse_addresses(pasted, "to") == (("john@contoso.com", "jane@contoso.com"), [])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a@contoso.com, b@fabrikam.com", ("a@contoso.com", "b@fabrikam.com")),
        ("a@contoso.com;b@fabrikam.com;", ("a@contoso.com", "b@fabrikam.com")),
        ("a@contoso.com\nb@fabrikam.com\r\n", ("a@contoso.com", "b@fabrikam.com")),
        ('"Roe; Jane" <jane@contoso.com>', ("jane@contoso.com",)),
        ("John (Sales; EMEA) <john@contoso.com>", ("john@contoso.com",)),
        ("<john@contoso.com>", ("john@contoso.com",)),
        ("JOHN@Contoso.com; john@contoso.com", ("john@contoso.com",)),
        (";; ,", ()),
    ],
)
def test_separators_quotes_comments_and_case_are_read_as_outlook_means_them(
    raw: str, expected: tuple[str, ...]
) -> None:
    assert parse_addresses(raw, "cc") == (expected, [])


def test_an_unquoted_name_with_a_comma_is_named_as_the_entry_that_is_not_an_address() -> None:
    addresses, errors = parse_addresses("Doe, John <john@contoso.com>", "to")
    assert addresses == ("john@contoso.com",)
    assert [(e.field, e.problem) for e in errors] == [("to", "“Doe” is not an email address")]


def test_every_bad_entry_is_named_and_the_good_ones_kept() -> None:
    addresses, errors = parse_addresses('not-an-address; "Jo" <jo@>; ok@contoso.com', "bcc")
    assert addresses == ("ok@contoso.com",)
    assert [e.problem for e in errors] == [
        "“not-an-address” is not an email address",
        "“Jo” is not an email address",  # named by what the user sees: the name
    ]


def test_a_csv_row_takes_an_outlook_style_address_and_reports_its_own_problems() -> None:
    raw = 'email,name\n"""Doe, John"" <john@contoso.com>",John\nnobody,X\njohn@contoso.com,J\n'
    sheet, errors = parse_bulk_csv(raw, ("name",), "bulk_csv")
    assert errors == []
    assert sheet.columns == ("name",)
    assert [(r.line, r.recipient, r.values, r.problems) for r in sheet.rows] == [
        (2, "john@contoso.com", {"name": "John"}, ()),
        (3, "", {"name": "X"}, ("column email: not one valid address",)),
        (4, "", {"name": "J"}, ("john@contoso.com appears twice",)),
    ]
