"""The result card: sent — when, from, to, what, and the ids to trace it."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given

from cards import result, verbs
from cards.views import ResultView
from tests.cards.anatomy import HOSTILE, MARK, assert_valid, executes, of_type, runs, user_text

VIEW = ResultView(
    request_id="r-1",
    from_line="Contoso Support <support@contoso.com>",
    to=("a@contoso.com", "b@fabrikam.com"),
    subject="Your ticket 123",
    sent_at="Tue 3 Nov 2026, 10:32",
    graph_request_id="0f1e2d3c-aaaa-bbbb-cccc-1234567890ab",
)


def line(card: dict[str, object], label: str) -> str:
    for block in of_type(card, "RichTextBlock"):
        if block["inlines"][0]["text"] == f"{label}: ":
            return str(block["inlines"][1]["text"])
    raise AssertionError(label)


def test_the_confirmation_says_when_from_to_and_what() -> None:
    card = result.build(VIEW)
    assert_valid(card)
    assert line(card, "Sent at") == "Tue 3 Nov 2026, 10:32"
    assert line(card, "From") == VIEW.from_line
    assert line(card, "To") == "a@contoso.com, b@fabrikam.com"
    assert line(card, "Subject") == "Your ticket 123"
    assert executes(card) == []  # nothing to do here but for the requester


def test_the_requester_may_send_it_again_as_a_new_request() -> None:
    card = result.build(replace(VIEW, can_send_again=True))
    assert_valid(card)
    assert [(a["title"], a["verb"], a["data"]) for a in executes(card)] == [
        ("Send again", verbs.SEND_AGAIN, {"request": VIEW.request_id})
    ]


def test_the_graph_request_id_is_small_and_subtle() -> None:
    card = result.build(VIEW)
    ids = next(r for r in of_type(card, "TextRun") if VIEW.graph_request_id in r["text"])
    assert ids["size"] == "Small"
    assert ids["isSubtle"] is True
    no_id = result.build(replace(VIEW, graph_request_id=None))
    assert not any("Graph" in t for t in runs(no_id))


def test_a_bulk_result_counts_the_messages() -> None:
    card = result.build(replace(VIEW, message_count=400))
    assert runs(card)[0] == "Sent 400 messages"


def test_many_recipients_are_summarised_and_fit() -> None:
    many = tuple(f"person{i:03d}@fabrikam.example" for i in range(500))
    card = result.build(replace(VIEW, to=many, subject="S" * 5000, from_line="F" * 5000))
    assert_valid(card)
    assert line(card, "To").endswith("and 490 more")


def test_hostile_text_stays_plain() -> None:
    for hostile in HOSTILE:
        marked = f"{MARK}{hostile}"
        card = result.build(replace(VIEW, subject=marked, to=(marked,), from_line=marked))
        assert_valid(card)
        assert line(card, "Subject") == " ".join(marked.split())


@given(subject=user_text(), sent_at=user_text(), graph_id=user_text())
def test_any_result_gives_a_valid_card(subject: str, sent_at: str, graph_id: str) -> None:
    view = replace(VIEW, subject=subject, sent_at=sent_at, graph_request_id=graph_id)
    assert_valid(result.build(view))
