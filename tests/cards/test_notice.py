"""The notice card: a title, a few lines, and Retry only when asked for."""

from __future__ import annotations

from hypothesis import given

from cards import notice, verbs
from tests.cards.anatomy import HOSTILE, MARK, assert_valid, by_verb, runs, user_text


def test_a_notice_has_a_title_and_its_lines() -> None:
    card = notice.build("Temporarily unavailable", "Exchange is busy.\nTry again in a minute.")
    assert_valid(card)
    assert runs(card) == ["Temporarily unavailable", "Exchange is busy.", "Try again in a minute."]
    assert "actions" not in card


def test_retry_appears_only_with_a_verb_and_carries_the_data() -> None:
    card = notice.build(
        "Out of date", "This card is out of date.", retry_verb=verbs.STATUS, data={"request": "r-1"}
    )
    assert_valid(card)
    assert by_verb(card, verbs.STATUS)["data"] == {"request": "r-1"}
    assert by_verb(card, verbs.STATUS)["title"] == "Retry"


def test_hostile_text_stays_plain() -> None:
    for hostile in HOSTILE:
        assert_valid(notice.build(f"{MARK}{hostile}", f"{MARK}{hostile}"))


@given(title=user_text(max_size=1000), text=user_text(max_size=10_000))
def test_any_notice_gives_a_valid_card(title: str, text: str) -> None:
    assert_valid(notice.build(title, text))


def test_the_button_can_be_named_for_what_it_does() -> None:
    card = notice.build(
        "Support: you may send",
        "• nothing limits this sender",
        retry_verb=verbs.PICK_SENDER,
        data={"sender": "support@contoso.com"},
        action_title="Use this sender",
    )
    assert by_verb(card, verbs.PICK_SENDER)["title"] == "Use this sender"


def test_bullets_and_blank_lines_in_the_text_are_kept_as_lines() -> None:
    card = notice.build("Ticket reply", "Answer a ticket.\n\n• Ticket (string, required)")
    assert runs(card)[1:] == ["Answer a ticket.", "• Ticket (string, required)"]
    assert card["body"][2]["spacing"] == "Medium"
