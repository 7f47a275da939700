"""The message model and its Graph JSON: the Mailroom id travels as header and property."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.graph import (
    MAILROOM_ID_HEADER,
    MAILROOM_ID_PROPERTY,
    Attachment,
    EmailAddress,
    MailMessage,
)
from bot.graph.message import (
    MAX_INLINE_ATTACHMENT_BYTES,
    MAX_REQUEST_BYTES,
    mailroom_id_filter,
    most_request_bytes,
    request_bytes_for,
    request_size_problem,
)


def _message(**overrides: object) -> MailMessage:
    fields: dict[str, object] = {
        "mailroom_id": "mr-0001",
        "subject": "Your ticket",
        "html_body": "<p>Hello</p>",
        "to": (EmailAddress("customer@example.com", "A Customer"),),
    }
    fields.update(overrides)
    return MailMessage(**fields)  # type: ignore[arg-type]


def test_mailroom_id_is_both_an_internet_header_and_an_extended_property() -> None:
    data = _message(headers=(("x-ticket", "123"),)).to_graph()

    assert data["internetMessageHeaders"] == [
        {"name": MAILROOM_ID_HEADER, "value": "mr-0001"},
        {"name": "x-ticket", "value": "123"},
    ]
    assert data["singleValueExtendedProperties"] == [
        {"id": MAILROOM_ID_PROPERTY, "value": "mr-0001"}
    ]
    assert MAILROOM_ID_PROPERTY == "String {71c4cd5a-e31c-4c9c-83b1-138216e831ed} Name MailroomId"


def test_graph_json_has_from_recipients_reply_to_importance_and_html_body() -> None:
    data = _message(
        sender=EmailAddress("support@contoso.com"),
        cc=(EmailAddress("cc@example.com"),),
        bcc=(EmailAddress("bcc@example.com"),),
        reply_to=(EmailAddress("replies@contoso.com"),),
        importance="high",
    ).to_graph()

    assert data["from"] == {"emailAddress": {"address": "support@contoso.com"}}
    assert data["toRecipients"] == [
        {"emailAddress": {"address": "customer@example.com", "name": "A Customer"}}
    ]
    assert data["ccRecipients"] == [{"emailAddress": {"address": "cc@example.com"}}]
    assert data["bccRecipients"] == [{"emailAddress": {"address": "bcc@example.com"}}]
    assert data["replyTo"] == [{"emailAddress": {"address": "replies@contoso.com"}}]
    assert data["importance"] == "high"
    assert data["body"] == {"contentType": "HTML", "content": "<p>Hello</p>"}
    assert "sender" not in data


def test_attachments_go_inline_as_base64_file_attachments() -> None:
    pdf = Attachment("a.pdf", "application/pdf", b"%PDF-1.7", inline=False)
    data = _message(attachments=(pdf,)).to_graph()

    assert data["attachments"] == [
        {
            "@odata.type": "#microsoft.graph.fileAttachment",
            "name": "a.pdf",
            "contentType": "application/pdf",
            "contentBytes": base64.b64encode(b"%PDF-1.7").decode(),
            "isInline": False,
        }
    ]


def test_attachments_of_three_megabytes_together_stay_out_of_the_draft_request() -> None:
    big = Attachment("big.bin", "application/octet-stream", b"\0" * MAX_INLINE_ATTACHMENT_BYTES)
    message = _message(attachments=(big,))

    assert not message.attachments_inline
    assert "attachments" not in message.to_graph()


@pytest.mark.parametrize("name", ["X-Priority-Bad!", "Priority", "x-mailroom-id"])
def test_only_x_headers_other_than_the_mailroom_id_are_accepted(name: str) -> None:
    with pytest.raises(ValueError, match=r"header|mailroom_id"):
        _message(headers=((name, "v"),))


def test_more_than_500_recipients_are_refused() -> None:
    many = tuple(EmailAddress(f"u{i}@example.com") for i in range(501))
    with pytest.raises(ValueError, match="500"):
        _message(to=many)


@pytest.mark.parametrize("bad", ["", "has space", "quote'd", "x" * 129])
def test_a_mailroom_id_outside_its_alphabet_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="mailroom_id"):
        _message(mailroom_id=bad)


def test_the_filter_searches_the_extended_property() -> None:
    assert mailroom_id_filter("mr-0001") == (
        "singleValueExtendedProperties/any(ep:ep/id eq "
        "'String {71c4cd5a-e31c-4c9c-83b1-138216e831ed} Name MailroomId' "
        "and ep/value eq 'mr-0001')"
    )


def test_the_body_and_attachment_bytes_stay_out_of_repr() -> None:
    secret_body = "<p>salary details</p>"
    message = _message(
        html_body=secret_body,
        attachments=(Attachment("p.txt", "text/plain", b"payslip-bytes"),),
    )

    assert secret_body not in repr(message)
    assert "payslip-bytes" not in repr(message)


def test_at_most_five_internet_headers_with_the_mailroom_id_among_them() -> None:
    four = tuple((f"x-h{n}", "v") for n in range(4))
    assert len(_message(headers=four).to_graph()["internetMessageHeaders"]) == 5

    with pytest.raises(ValueError, match="at most 5 internet headers"):
        _message(headers=(*four, ("x-h4", "v")))


def test_the_request_size_is_measured_as_it_goes_on_the_wire() -> None:
    message = _message(html_body="<p>" + "é" * 1000 + "</p>")
    wire = json.dumps(message.to_graph(), ensure_ascii=False, separators=(",", ":"))

    assert message.request_bytes() == len(wire.encode("utf-8"))


def test_a_message_over_graphs_4_mb_request_limit_is_refused_before_sending_in_words() -> None:
    recipients = (("customer@example.com",), (), ())
    fits = request_size_problem("s", "<p>" + "x" * (3 * 2**20) + "</p>", recipients)
    problem = request_size_problem("s", "<p>" + "x" * (4 * 2**20) + "</p>", recipients)

    assert fits is None
    assert problem is not None
    assert "over the 4 MB Graph takes in one request" in problem
    assert "4.0 MB" in problem
    assert request_bytes_for("s", "x", recipients) < MAX_REQUEST_BYTES


ADDRESSES = st.lists(st.emails(), max_size=30).map(tuple)
ANY_TEXT = st.text(max_size=300)  # controls, quotes, any plane: JSON's costliest characters


@given(ANY_TEXT, ANY_TEXT, ADDRESSES, ADDRESSES, ADDRESSES, st.none() | st.emails())
def test_the_size_bound_is_never_below_the_request_it_bounds(
    subject: str,
    html: str,
    to: tuple[str, ...],
    cc: tuple[str, ...],
    bcc: tuple[str, ...],
    sender: str | None,
) -> None:
    recipients = (to, cc, bcc)
    try:
        size = request_bytes_for(subject, html, recipients, sender)
    except UnicodeEncodeError:  # a lone surrogate: no request is ever made of it
        return
    assert most_request_bytes(subject, html, recipients, sender) >= size


def test_a_message_near_the_limit_is_measured_not_bounded() -> None:
    recipients = (("customer@example.com",), (), ())
    html = "<p>" + "\n" * (2**20) + "</p>"  # 1 MB of text, 2 MB as JSON: under the limit
    assert most_request_bytes("s", html, recipients) > MAX_REQUEST_BYTES
    assert request_size_problem("s", html, recipients) is None
