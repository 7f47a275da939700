"""The explanation card: what happened, why, how to fix it and who can."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from cards import explanation, verbs
from cards.views import ExplanationView
from tests.cards.anatomy import (
    HOSTILE,
    MARK,
    assert_valid,
    by_verb,
    executes,
    markdown_texts,
    of_type,
    run_text,
    runs,
    user_text,
)

CMDLET = "Add-RecipientPermission support@contoso.com -Trustee u@contoso.com -AccessRights SendAs"
VIEW = ExplanationView(
    title="You can't send as support@contoso.com",
    what="Nothing was sent.",
    why="You (u@contoso.com) do not have Send As on support@contoso.com.",
    fix=f"An Exchange admin grants Send As (`{CMDLET}`) or Send on Behalf. "
    "It can take two hours. Check with `mailroom doctor` first.",
    who="An Exchange administrator.",
    request_id="r-3",
    graph_request_id="g-77",
)


def test_the_sections_come_in_order_under_an_attention_title() -> None:
    card = explanation.build(VIEW)
    assert_valid(card)
    title = card["body"][0]["inlines"][0]
    assert title["text"] == VIEW.title
    assert title["color"] == "Attention"
    assert markdown_texts(card) == ["What happened", "Why", "How to fix it", "Who can fix it"]


def test_a_cmdlet_gets_its_own_monospace_line_and_short_code_stays_inline() -> None:
    card = explanation.build(VIEW)
    mono = [r["text"] for r in of_type(card, "TextRun") if r.get("fontType") == "Monospace"]
    assert mono == [CMDLET, "mailroom doctor"]
    assert "An Exchange admin grants Send As:" in runs(card)
    assert "or Send on Behalf. It can take two hours. Check with " in runs(card)
    assert "`" not in run_text(card)


def test_addresses_in_the_texts_never_become_links() -> None:
    card = explanation.build(VIEW)
    assert not any("@" in t for t in markdown_texts(card))


def test_request_ids_are_subtle() -> None:
    card = explanation.build(VIEW)
    ids = next(r for r in of_type(card, "TextRun") if "g-77" in r["text"])
    assert ids["text"] == "Mailroom request r-3 · Graph request id g-77"
    assert ids["isSubtle"] is True
    assert ids["size"] == "Small"


def test_retry_only_when_a_verb_is_given() -> None:
    assert executes(explanation.build(VIEW)) == []
    card = explanation.build(
        replace(VIEW, retry_verb=verbs.RETRY, retry_data={"request": "r-3", "version": "4"})
    )
    assert by_verb(card, verbs.RETRY)["data"] == {"request": "r-3", "version": "4"}


def test_other_reasons_are_listed() -> None:
    card = explanation.build(replace(VIEW, other_reasons=("Too many recipients.", "No template.")))
    assert "Also" in markdown_texts(card)
    assert [t for t in runs(card) if t[:1] == "•"] == ["• Too many recipients.", "• No template."]


def test_unbalanced_backticks_are_left_as_text() -> None:
    card = explanation.build(replace(VIEW, fix="Run `Get-Mailbox and wait."))
    assert "Run `Get-Mailbox and wait." in runs(card)


def test_hostile_substitutions_stay_plain_even_inside_code() -> None:
    for hostile in HOSTILE:
        marked = f"{MARK}{hostile}"
        view = replace(
            VIEW,
            title=marked,
            what=marked,
            why=marked,
            fix=f"Run `Set-Mailbox {marked}` now.",
            who=marked,
            other_reasons=(marked,),
        )
        assert_valid(explanation.build(view))


def test_long_texts_stay_under_the_limit() -> None:
    long = "word " * 3000
    view = replace(
        VIEW, what=long, why=long, fix=long, who=long, other_reasons=tuple(long for _ in range(50))
    )
    assert_valid(explanation.build(view))


@given(
    title=user_text(),
    fix=st.lists(user_text(max_size=40) | st.just("`"), max_size=12).map("".join),
    reasons=st.lists(user_text(), max_size=5),
)
def test_any_explanation_gives_a_valid_card(title: str, fix: str, reasons: list[str]) -> None:
    view = replace(VIEW, title=title, fix=fix, other_reasons=tuple(reasons))
    assert_valid(explanation.build(view))
