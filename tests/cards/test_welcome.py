"""The welcome card: what Mailroom does, a way in, and help."""

from __future__ import annotations

from hypothesis import given

from cards import verbs, welcome
from tests.cards.anatomy import HOSTILE, MARK, assert_valid, by_verb, run_text, user_text, verbs_of


def test_welcome_offers_send_and_help() -> None:
    card = welcome.build("Megan Bowen")
    assert_valid(card)
    assert verbs_of(card) == [verbs.SEND_START, verbs.HELP]
    assert by_verb(card, verbs.SEND_START)["title"] == "Send an email"
    assert by_verb(card, verbs.SEND_START)["data"] == {}
    assert by_verb(card, verbs.HELP)["title"] == "Help"


def test_welcome_greets_by_name_or_without_one() -> None:
    assert "Welcome to Mailroom, Megan Bowen" in run_text(welcome.build("Megan Bowen"))
    assert "Welcome to Mailroom" in run_text(welcome.build(None))
    assert "Welcome to Mailroom," not in run_text(welcome.build("  "))


def test_welcome_says_what_mailroom_does_in_two_lines() -> None:
    card = welcome.build(None)
    lines = [b["text"] for b in card["body"] if b["type"] == "TextBlock"]
    assert len(lines) == 2
    assert "shared mailbox" in lines[0]


def test_a_hostile_name_stays_plain_text() -> None:
    for hostile in HOSTILE:
        card = welcome.build(f"{MARK}{hostile}")
        assert_valid(card)
        assert " ".join(hostile.split()) in run_text(card)


@given(user_text(max_size=500))
def test_any_name_gives_a_valid_card(name: str) -> None:
    assert_valid(welcome.build(name))
