"""What people type, parsed: every command, the fast path, and arbitrary text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.teams.command_parser import Command, FastSend, ParseError, parse
from bot.teams.commands import COMMANDS
from bot.teams.plain_words import KEYWORDS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Command("help")),
        ("/help", Command("help")),
        ("help", Command("help")),
        ("/HELP", Command("help")),
        ("/send", Command("send")),
        ("/senders", Command("senders")),
        ("/templates", Command("templates")),
        ("/templates ticket-reply", Command("templates", "ticket-reply")),
        ("/why support", Command("why", "support")),
        ("why support@contoso.com", Command("why", "support@contoso.com")),
        ("/status", Command("status")),
        ("/status 7f3a", Command("status", "7f3a")),
        ("/history", Command("history")),
        ("/approvals", Command("approvals")),
        ("/cancel 7f3a", Command("cancel", "7f3a")),
    ],
)
def test_commands(text: str, expected: Command) -> None:
    assert parse(text) == expected


def test_the_fast_path_reads_every_option_and_quoted_values() -> None:
    result = parse(
        "/send from:support template:ticket-reply to:a@contoso.com,b@fabrikam.com "
        "cc:c@contoso.com bcc:d@contoso.com importance:High ticket_id=123 "
        'ticket_subject="Printer on fire"'
    )
    assert result == Command(
        "send",
        fast=FastSend(
            sender="support",
            template="ticket-reply",
            to=("a@contoso.com", "b@fabrikam.com"),
            cc=("c@contoso.com",),
            bcc=("d@contoso.com",),
            importance="high",
            values={"ticket_id": "123", "ticket_subject": "Printer on fire"},
        ),
    )


def test_teams_smart_quotes_are_understood() -> None:
    result = parse("/send from:support subject_line=“two words”")
    assert isinstance(result, Command)
    assert result.fast is not None
    assert result.fast.values == {"subject_line": "two words"}


def test_a_value_may_contain_colons_and_equals_signs() -> None:
    result = parse('/send from:support link=https://x.com/a?b=c note="a:b"')
    assert isinstance(result, Command)
    assert result.fast is not None
    assert result.fast.values == {"link": "https://x.com/a?b=c", "note": "a:b"}


@pytest.mark.parametrize(
    ("text", "token", "suggestion"),
    [
        ("/sned", "/sned", "/send"),
        ("/sender", "/sender", "/senders"),
        ("/send frm:support", "frm:support", "from:"),
        ("/send from:support hello", "hello", None),
        ("/send importance:urgent", "importance:urgent", None),
        ("/send from:a from:b", "from:b", None),
        ("/history now", "now", None),
    ],
)
def test_errors_name_the_token_and_suggest(text: str, token: str, suggestion: str | None) -> None:
    result = parse(text)
    assert isinstance(result, ParseError)
    assert result.token == token
    assert result.suggestion == suggestion
    assert result.usage


def test_missing_arguments_and_unclosed_quotes_get_the_usage() -> None:
    why = parse("/why")
    assert isinstance(why, ParseError)
    assert why.usage == "/why <sender>"
    quote = parse('/send note="open')
    assert isinstance(quote, ParseError)
    assert "quote" in quote.message


@given(st.text(max_size=300))
def test_arbitrary_text_never_raises_and_always_gets_an_answer(text: str) -> None:
    result = parse(text)
    assert isinstance(result, Command | ParseError)
    if isinstance(result, ParseError):
        assert result.message


@given(
    st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30), max_size=8)
)
def test_send_with_arbitrary_tokens_never_raises(tokens: list[str]) -> None:
    result = parse("/send " + " ".join(tokens))
    assert isinstance(result, Command | ParseError)


# --- plain sentences -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I need to send an email from support",
            Command("send", fast=FastSend(sender="support")),
        ),
        ("Send from the support mailbox please", Command("send", fast=FastSend(sender="support"))),
        (
            "can I email as events@contoso.com?",
            Command("send", fast=FastSend(sender="events@contoso.com")),
        ),
        ("I want to write an email", Command("send")),
        ("who can I send as", Command("senders")),
        ("Which mailboxes may I use?", Command("senders")),
        ("why can't I send as events", Command("why", "events")),
        ("approve", Command("approvals")),
        ("what is waiting for my approval?", Command("approvals")),
        ("what's the status of MR-7F3K", Command("status", "mr-7f3k")),
        ("where is my email?", Command("status")),
        ("cancel MR-7F3K please", Command("cancel", "mr-7f3k")),
        ("cancel MR-ABCD please", Command("cancel", "mr-abcd")),  # a reference of letters only
        ("please stop request 7f3a9c", Command("cancel", "7f3a9c")),
        ("show me the templates", Command("templates")),
        ("what have I sent recently", Command("history")),
        ("what can you do?", Command("help")),
        ("please sign me out", Command("signout")),
        ("log out", Command("signout")),
        ("show my unfinished emails", Command("drafts")),
    ],
)
def test_plain_sentences_map_to_commands(text: str, expected: Command) -> None:
    assert parse(text) == expected


def test_the_fast_path_stays_the_fast_path_without_its_slash() -> None:
    result = parse("send from:support to:a@contoso.com")
    assert result == Command("send", fast=FastSend(sender="support", to=("a@contoso.com",)))


def test_cancel_in_words_without_a_reference_asks_for_one() -> None:
    result = parse("cancel my request")
    assert isinstance(result, ParseError)
    assert result.usage == "/cancel <reference>"
    assert "reference" in result.message


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("the weather is nice today", None),
        ("I'd like a list of my requests", "history"),
        ("/sned", "send"),
        ("tmplates", "templates"),
    ],
)
def test_text_not_understood_gets_the_three_closest_commands(text: str, first: str | None) -> None:
    result = parse(text)
    assert isinstance(result, ParseError)
    assert "I don't know the command “I”" not in result.message
    assert len(result.likely) == 3
    assert len(set(result.likely)) == 3
    assert set(result.likely) <= {c.name for c in COMMANDS}
    if first:
        assert result.likely[0] == first


_NAME = st.from_regex(r"[a-z][a-z0-9-]{0,20}(@contoso\.com)?", fullmatch=True).filter(
    lambda name: name not in KEYWORDS
)


@given(_NAME)
def test_a_sentence_naming_a_sender_opens_a_send_from_it(name: str) -> None:
    assert parse(f"I need to send an email from {name}") == Command(
        "send", fast=FastSend(sender=name)
    )


@given(st.text(max_size=200))
def test_the_same_text_always_means_the_same_command(text: str) -> None:
    assert parse(text) == parse(text)
