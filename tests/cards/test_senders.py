"""The sender card: who I may send as, grouped; who not, and why."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cards import senders, verbs
from cards.views import SenderKindName, SenderOption
from tests.cards.anatomy import (
    HOSTILE,
    MARK,
    assert_valid,
    executes,
    inputs,
    markdown_texts,
    run_text,
    user_text,
)


def option(
    address: str,
    kind: SenderKindName,
    *,
    available: bool = True,
    name: str | None = None,
    reason: str | None = None,
) -> SenderOption:
    display = name or address.split("@", maxsplit=1)[0].title()
    return SenderOption(
        address=address,
        display_name=display,
        kind=kind,
        from_line=f"{display} <{address}>",
        available=available,
        reason=reason,
    )


EVERYONE = (
    option("support@contoso.com", "shared"),
    option("megan@contoso.com", "self", name="Megan Bowen"),
    option("noreply@contoso.com", "noreply", reason="needs approval for external recipients"),
    option("alex@contoso.com", "send_on_behalf", name="Alex Wilber"),
    option("ceo@contoso.com", "send_as", name="Nestor Wilke"),
    option("hr@contoso.com", "shared", available=False, reason="You are not in HR Senders."),
)


def headings(card: dict[str, object]) -> list[str]:
    return [t for t in markdown_texts(card) if t]


def test_available_senders_are_grouped_in_order_with_a_button_each() -> None:
    card = senders.build(EVERYONE)
    assert_valid(card)
    assert headings(card) == [
        "You",
        "Send as",
        "Send on behalf of",
        "Shared mailboxes",
        "No-reply",
        "Not available to you",
    ]
    picks = [a["data"]["sender"] for a in executes(card) if a["verb"] == verbs.PICK_SENDER]
    assert picks == [
        "megan@contoso.com",
        "ceo@contoso.com",  # each kind in a group of its own
        "alex@contoso.com",
        "support@contoso.com",
        "noreply@contoso.com",
    ]


def test_each_available_sender_shows_name_and_from_line_and_its_note() -> None:
    text = run_text(senders.build(EVERYONE))
    assert "Alex Wilber" in text
    assert "Alex Wilber <alex@contoso.com>" in text
    assert "needs approval for external recipients" in text


def test_unavailable_senders_say_why_in_one_line_with_a_why_button() -> None:
    card = senders.build(EVERYONE)
    whys = [a for a in executes(card) if a["verb"] == verbs.WHY]
    assert [a["data"] for a in whys] == [{"sender": "hr@contoso.com"}]
    assert whys[0]["title"] == "Why?"
    assert "You are not in HR Senders." in run_text(card)
    assert not any(
        a["data"].get("sender") == "hr@contoso.com"
        for a in executes(card)
        if a["verb"] == verbs.PICK_SENDER
    )


def test_empty_groups_are_left_out() -> None:
    card = senders.build([option("megan@contoso.com", "self")])
    assert headings(card) == ["You"]


def test_nothing_available_is_said_plainly() -> None:
    card = senders.build([option("hr@contoso.com", "shared", available=False, reason="No.")])
    assert_valid(card)
    assert "There is no sender you can use right now." in run_text(card)
    assert [a["verb"] for a in executes(card)] == [verbs.WHY]


def test_no_senders_at_all_points_to_the_admin() -> None:
    card = senders.build([])
    assert_valid(card)
    assert "Ask your Mailroom administrator" in run_text(card)
    assert executes(card) == []


def test_many_senders_become_one_searchable_choice_list() -> None:
    many = [option(f"box{i:03d}@contoso.com", "shared") for i in range(senders.MAX_BUTTONS + 1)]
    card = senders.build(many)
    assert_valid(card)
    choice = inputs(card)["sender"]
    assert choice["type"] == "Input.ChoiceSet"
    assert choice["isRequired"] is True
    assert [c["value"] for c in choice["choices"]] == [o.address for o in many]
    assert (
        "Shared mailboxes · Box000 — Box000 <box000@contoso.com>" in choice["choices"][0]["title"]
    )
    nxt = [a for a in executes(card) if a["verb"] == verbs.PICK_SENDER]
    assert len(nxt) == 1
    assert nxt[0]["data"] == {}  # the input "sender" carries the choice


def test_hundreds_of_long_senders_stay_under_the_size_limit() -> None:
    long_name = "Very Long Department Name " * 4
    many = [
        option(f"{'x' * 50}{i:03d}@{'d' * 40}.contoso.com", "shared", name=long_name)
        for i in range(150)
    ]
    refused = [
        option(f"{'y' * 50}{i:03d}@contoso.com", "send_as", available=False, reason="r" * 400)
        for i in range(100)
    ]
    card = senders.build(many + refused)
    assert_valid(card)
    assert "more" in run_text(card) + " ".join(markdown_texts(card))


def test_hostile_names_and_reasons_stay_plain_text() -> None:
    for hostile in HOSTILE:
        card = senders.build(
            [
                option("a@contoso.com", "send_as", name=f"{MARK}{hostile}"),
                option("b@contoso.com", "shared", available=False, reason=f"{MARK}{hostile}"),
            ]
        )
        assert_valid(card)
        assert " ".join(hostile.split()) in run_text(card)


@given(
    st.lists(
        st.builds(
            SenderOption,
            address=user_text(max_size=80),
            display_name=user_text(),
            kind=st.sampled_from(["self", "send_as", "send_on_behalf", "shared", "noreply"]),
            from_line=user_text(),
            available=st.booleans(),
            reason=st.none() | user_text(),
        ),
        max_size=30,
    )
)
def test_any_senders_give_a_valid_card(options: list[SenderOption]) -> None:
    assert_valid(senders.build(options))
