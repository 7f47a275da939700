"""The typed payload of each verb: what a card sends parses back to what it was built from;
anything else is a clear ``Invalid`` naming the field — never an exception."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cards import verbs
from cards.verbs import (
    ComposeInputs,
    Decision,
    DraftRef,
    Invalid,
    NoData,
    RequestAt,
    RequestRef,
    SenderChoice,
    TemplateChoice,
)

REQUEST = "7f3a9c0e" * 4
DRAFT = "d0d0" * 8


def as_sent(data: dict[str, Any], **inputs: str) -> dict[str, str]:
    """What the bot's invoke parser hands a payload: every value a string, inputs merged."""
    return {k: str(v) for k, v in data.items()} | inputs


@pytest.mark.parametrize(
    "payload",
    [
        NoData(),
        SenderChoice("support@contoso.com"),
        DraftRef(DRAFT, 3),
        RequestAt(REQUEST, 4),
        RequestRef(REQUEST),
        RequestRef(REQUEST, 2),
    ],
    ids=repr,
)
def test_a_cards_data_parses_back_to_its_payload(payload: verbs.Payload) -> None:
    assert type(payload).parse(as_sent(payload.data())) == payload


def test_inputs_come_with_the_data_they_belong_to() -> None:
    template = TemplateChoice.parse(as_sent(DraftRef(DRAFT, 1).data(), template="ticket-reply"))
    decision = Decision.parse(as_sent(RequestAt(REQUEST, 5).data(), comment="  Checked.  "))
    compose = ComposeInputs.parse(
        as_sent(DraftRef(DRAFT, 2).data(), to="a@b.com", var_ticket_id="48213")
    )
    assert template == TemplateChoice(DRAFT, 1, "ticket-reply")
    assert decision == Decision(REQUEST, 5, "Checked.")
    assert compose == ComposeInputs(DRAFT, 2, {"to": "a@b.com", "var_ticket_id": "48213"})


@pytest.mark.parametrize(
    ("payload_type", "data", "field"),
    [
        (RequestAt, {"version": "1"}, "request"),
        (RequestAt, {"request": REQUEST}, "version"),
        (RequestAt, {"request": REQUEST, "version": "²"}, "version"),
        (RequestAt, {"request": REQUEST, "version": "1" * 10}, "version"),
        (RequestAt, {"request": REQUEST, "version": "-1"}, "version"),
        (RequestRef, {"request": "../../etc/passwd"}, "request"),
        (RequestRef, {"request": "x" * 65}, "request"),
        (RequestRef, {"request": "ñandú"}, "request"),
        (DraftRef, {"draft": DRAFT}, "version"),
        (ComposeInputs, {"version": "2"}, "draft"),
        (TemplateChoice, {"draft": DRAFT, "version": "1", "template": "t" * 101}, "template"),
        (SenderChoice, {"sender": "a" * 321}, "sender"),
        (Decision, {"request": REQUEST, "version": "1", "comment": "c" * 1001}, "comment"),
    ],
)
def test_data_no_card_of_ours_sends_is_invalid_and_names_the_field(
    payload_type: type[verbs.Payload], data: dict[str, str], field: str
) -> None:
    parsed = payload_type.parse(data)
    assert isinstance(parsed, Invalid)
    assert parsed.field == field


def test_a_missing_choice_is_not_a_data_error_the_flow_explains_it() -> None:
    assert SenderChoice.parse({}) == SenderChoice("")
    assert TemplateChoice.parse({"draft": DRAFT, "version": "1"}) == TemplateChoice(DRAFT, 1)


@given(
    verb=st.sampled_from(verbs.all_verbs()),
    data=st.dictionaries(
        st.sampled_from(["request", "draft", "version", "sender", "template", "comment"])
        | st.text(max_size=10),
        st.text(max_size=80),
        max_size=6,
    ),
)
def test_any_data_parses_to_the_payload_or_invalid(verb: str, data: dict[str, str]) -> None:
    payload_type = verbs.payload_type(verb)
    assert payload_type is not None
    parsed = payload_type.parse(data)
    assert isinstance(parsed, payload_type | Invalid)
