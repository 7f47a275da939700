"""The template guide card: every variable's name, type, need and example, and the ready
one-line /send in monospace."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cards import template_guide, verbs
from cards.template_guide import TemplateGuideView, VariableGuide
from tests.cards.anatomy import assert_valid, by_verb, of_type, run_text, user_text

VIEW = TemplateGuideView(
    name="ticket-reply",
    title="Reply to a support ticket",
    description="Answer a customer from the support mailbox.",
    variables=(
        VariableGuide("customer_name", "string", True, "Dana", "Customer's name"),
        VariableGuide("portal_url", "url", False, "https://support.contoso.com/t/1"),
    ),
    command="/send from:support template:ticket-reply to:me@contoso.com customer_name=Dana",
    sender="support@contoso.com",
)


def test_each_variable_shows_its_name_type_need_and_example() -> None:
    card = template_guide.build(VIEW)
    assert_valid(card)
    shown = run_text(card)
    for line in (
        "customer_name\n · string · required\nCustomer's name\nExample: \nDana",
        "portal_url\n · url · optional\nExample: \nhttps://support.contoso.com/t/1",
    ):
        assert line in shown


def test_the_ready_command_is_shown_whole_in_monospace() -> None:
    card = template_guide.build(VIEW)
    command = [r for r in of_type(card, "TextRun") if r["text"] == VIEW.command]
    assert len(command) == 1
    assert command[0]["fontType"] == "Monospace"


def test_the_button_fills_the_template_in_from_the_commands_sender() -> None:
    card = template_guide.build(VIEW)
    assert by_verb(card, verbs.PICK_SENDER)["data"] == {"sender": "support@contoso.com"}
    bare = template_guide.build(TemplateGuideView("t", "T", "", (), "/send", None))
    assert_valid(bare)
    assert "actions" not in bare
    assert "This template has no variables." in str(bare)


@given(
    title=user_text(max_size=300),
    description=user_text(max_size=2000),
    names=st.lists(user_text(max_size=60), max_size=40),
    example=user_text(max_size=3000),
    command=user_text(max_size=5000),
)
def test_any_guide_is_a_valid_card_with_catalogue_text_kept_plain(
    title: str, description: str, names: list[str], example: str, command: str
) -> None:
    variables = tuple(VariableGuide(n, "string", True, example, n) for n in names)
    assert_valid(template_guide.build(TemplateGuideView("x", title, description, variables,
                                                        command, "a@contoso.com")))  # fmt: skip
