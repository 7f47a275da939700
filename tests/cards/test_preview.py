"""The preview card: exactly what recipients will see, then Send or Request approval."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from cards import preview, verbs
from cards.views import PreviewView
from tests.cards.anatomy import (
    HOSTILE,
    MARK,
    assert_outside_warning_in_attention_style,
    assert_valid,
    by_verb,
    of_type,
    outside_warnings,
    run_text,
    runs,
    user_text,
    verbs_of,
)

VIEW = PreviewView(
    request_id="r-7",
    version=2,
    from_line="Alex Wilber on behalf of Megan Bowen <megan@contoso.com>",
    to=("a@contoso.com", "b@fabrikam.com"),
    cc=("c@contoso.com",),
    bcc=(),
    subject="Your ticket 123",
    text_body="Hello Ana,\n\nYour ticket is solved.\n\nRegards",
    has_noreply_footer=False,
    footer_text=None,
    preview_url="https://mailroom.contoso.com/preview/r-7?sig=abc",
    needs_approval=False,
    external_recipients=("b@fabrikam.com",),
)


def labelled(card: dict[str, object], label: str) -> str:
    for block in of_type(card, "RichTextBlock"):
        inlines = block["inlines"]
        if len(inlines) == 2 and inlines[0]["text"] == f"{label}: ":
            return str(inlines[1]["text"])
    raise AssertionError(f"no {label!r} line")


def test_the_from_line_is_shown_exactly_as_recipients_see_it() -> None:
    card = preview.build(VIEW)
    assert_valid(card)
    assert labelled(card, "From") == VIEW.from_line


def test_recipients_subject_and_body_are_shown() -> None:
    card = preview.build(VIEW)
    assert labelled(card, "To") == "a@contoso.com, b@fabrikam.com"
    assert labelled(card, "Cc") == "c@contoso.com"
    assert labelled(card, "Subject") == "Your ticket 123"
    assert [t for t in runs(card) if t in ("Hello Ana,", "Your ticket is solved.", "Regards")] == [
        "Hello Ana,",
        "Your ticket is solved.",
        "Regards",
    ]


def test_bcc_is_marked_hidden_and_external_recipients_are_flagged() -> None:
    card = preview.build(replace(VIEW, bcc=("boss@contoso.com",)))
    assert labelled(card, "Bcc (hidden from other recipients)") == "boss@contoso.com"
    assert labelled(card, "Outside your organisation") == "b@fabrikam.com"
    assert_outside_warning_in_attention_style(card, "b@fabrikam.com")


def test_no_empty_cc_or_bcc_lines() -> None:
    card = preview.build(replace(VIEW, cc=(), external_recipients=()))
    text = run_text(card)
    assert "Cc: " not in text
    assert "Bcc" not in text
    assert "Outside" not in text


def test_send_edit_cancel_and_the_full_preview_link() -> None:
    card = preview.build(VIEW)
    assert [v for v in verbs_of(card) if v != verbs.SEND_LATER] == [
        verbs.SEND,
        verbs.EDIT,
        verbs.CANCEL,
    ]
    for verb in (verbs.SEND, verbs.EDIT, verbs.CANCEL):
        assert by_verb(card, verb)["data"] == {"request": "r-7", "version": 2}
    link = of_type(card, "Action.OpenUrl")
    assert [(a["title"], a["url"]) for a in link] == [("View full preview", VIEW.preview_url)]


def test_without_a_preview_url_there_is_no_link() -> None:
    assert of_type(preview.build(replace(VIEW, preview_url=None)), "Action.OpenUrl") == []
    assert of_type(preview.build(replace(VIEW, preview_url="javascript:x")), "Action.OpenUrl") == []


def test_a_send_needing_approval_offers_request_approval_instead_of_send() -> None:
    card = preview.build(
        replace(VIEW, needs_approval=True, approval_reasons=("External recipients from HR.",))
    )
    assert_valid(card)
    assert verbs_of(card) == [verbs.REQUEST_APPROVAL, verbs.EDIT, verbs.CANCEL]
    assert by_verb(card, verbs.REQUEST_APPROVAL)["data"] == {"request": "r-7", "version": 2}
    assert "• External recipients from HR." in runs(card)


def test_notes_are_shown() -> None:
    card = preview.build(replace(VIEW, notes=("not verified: Exchange checks when sending",)))
    assert "• not verified: Exchange checks when sending" in runs(card)


def test_a_long_body_is_cut_politely_after_about_1500_characters() -> None:
    body = ("All work and no play makes Jack a dull boy. " * 200).strip()
    card = preview.build(replace(VIEW, text_body=body))
    shown = [t for t in runs(card) if "Jack" in t]
    assert len(shown) == 1
    assert shown[0].endswith("…")
    assert len(shown[0]) <= preview.BODY_CHARS
    assert not shown[0].endswith(" …")


def test_the_noreply_footer_shows_once_when_it_applies() -> None:
    footer = "This mailbox is not monitored. Please do not reply."
    in_body = replace(
        VIEW, has_noreply_footer=True, footer_text=footer, text_body=f"Hello\n\n{footer}"
    )
    assert runs(preview.build(in_body)).count(footer) == 1
    cut_off = replace(in_body, text_body="x " * 3000 + footer)
    text = runs(preview.build(cut_off))
    assert footer in text
    assert "Footer added to every message:" in text
    default = replace(VIEW, has_noreply_footer=True, footer_text=None)
    assert preview.DEFAULT_FOOTER in runs(preview.build(default))
    assert preview.DEFAULT_FOOTER not in runs(preview.build(VIEW))


def test_a_bulk_send_says_which_row_the_preview_shows() -> None:
    card = preview.build(replace(VIEW, message_count=400))
    assert "400 personalised messages · row 1 of 400" in runs(card)
    assert "personalised" not in run_text(preview.build(VIEW))


def _row_buttons(card: dict[str, object]) -> dict[str, object]:
    found = {}
    for element in card["body"]:  # type: ignore[attr-defined]
        if element.get("type") == "ActionSet":
            for action in element["actions"]:
                assert action["verb"] == verbs.PREVIEW_ROW
                found[action["title"]] = action["data"]["row"]
    return found


def test_a_bulk_preview_pages_through_rows_with_previous_and_next() -> None:
    middle = preview.build(replace(VIEW, message_count=120, row=3))
    assert "120 personalised messages · row 3 of 120" in runs(middle)
    assert _row_buttons(middle) == {"Previous row": 2, "Next row": 4}
    assert _row_buttons(preview.build(replace(VIEW, message_count=120, row=1))) == {"Next row": 2}
    assert _row_buttons(preview.build(replace(VIEW, message_count=120, row=120))) == {
        "Previous row": 119
    }
    assert _row_buttons(preview.build(VIEW)) == {}


def test_500_recipients_and_a_long_body_stay_under_28_kb() -> None:
    many = tuple(f"person.with.a.long.name{i:03d}@fabrikam-example.com" for i in range(500))
    view = replace(
        VIEW,
        from_line="F" * 1000,
        to=many,
        cc=many,
        bcc=many,
        external_recipients=many,
        subject="S" * 2000,
        text_body=("line " * 20 + "\n") * 250,
        notes=tuple("n" * 500 for _ in range(50)),
        needs_approval=True,
        approval_reasons=tuple("r" * 500 for _ in range(50)),
        has_noreply_footer=True,
        footer_text="f" * 5000,
        message_count=500,
    )
    card = preview.build(view)
    assert_valid(card)
    assert labelled(card, "To").endswith("and 490 more")


def test_hostile_subject_and_body_stay_plain_text() -> None:
    for hostile in HOSTILE:
        marked = f"{MARK}{hostile}"
        view = replace(
            VIEW,
            subject=marked,
            from_line=marked,
            to=(marked,),
            text_body=marked,
            notes=(marked,),
            footer_text=marked,
            has_noreply_footer=True,
        )
        card = preview.build(view)
        assert_valid(card)
        assert labelled(card, "Subject") == " ".join(marked.split())


@given(
    subject=user_text(),
    body=user_text(max_size=3000),
    people=st.lists(user_text(max_size=60), max_size=20),
    count=st.integers(min_value=1, max_value=10_000),
)
def test_any_user_text_gives_a_valid_card(
    subject: str, body: str, people: list[str], count: int
) -> None:
    view = replace(
        VIEW,
        subject=subject,
        text_body=body,
        to=tuple(people),
        bcc=tuple(people),
        external_recipients=tuple(people),
        approval_reasons=tuple(people),
        message_count=count,
    )
    assert_valid(preview.build(view))


PROMPTED = replace(
    VIEW,
    exposed=tuple(f"c{n}@fabrikam.com" for n in range(12)),
    offer_one_each=True,
)


def test_many_exposed_addresses_get_an_attention_prompt_with_both_remedies() -> None:
    card = preview.build(PROMPTED)
    assert_valid(card)
    (prompt,) = [
        c for c in of_type(card, "Container")
        if c.get("style") == "attention" and of_type(c, "ActionSet")
    ]  # fmt: skip
    shown = run_text(prompt)
    assert "12 addresses outside your organisation are in To or Cc" in shown
    assert "Every recipient will see all of them." in shown
    (buttons,) = of_type(prompt, "ActionSet")
    assert [(a["title"], a["verb"]) for a in buttons["actions"]] == [
        ("Put everyone in Bcc", verbs.TO_BCC),
        ("Send one email to each", verbs.ONE_EACH),
    ]
    for button in buttons["actions"]:
        assert button["data"] == {"request": "r-7", "version": 2}


def test_no_prompt_without_exposed_addresses_and_no_one_each_when_not_offered() -> None:
    assert verbs.TO_BCC not in verbs_of(preview.build(VIEW))
    bcc_only = preview.build(replace(PROMPTED, offer_one_each=False))
    assert verbs.TO_BCC in verbs_of(bcc_only)
    assert verbs.ONE_EACH not in verbs_of(bcc_only)


def test_the_outside_your_organisation_warning_uses_teams_attention_style() -> None:
    assert_outside_warning_in_attention_style(preview.build(VIEW), "b@fabrikam.com")
    internal_only = preview.build(replace(VIEW, external_recipients=()))
    assert outside_warnings(internal_only) == []


def later_card(card: dict[str, object]) -> dict[str, object]:
    shown = of_type(card, "Action.ShowCard")
    assert [a["title"] for a in shown] == ["Send later"]
    inner = shown[0]["card"]
    assert isinstance(inner, dict)
    return inner


def test_send_later_offers_quick_picks_and_a_date_and_time() -> None:
    inner = later_card(preview.build(VIEW))
    (when,) = of_type(inner, "Input.ChoiceSet")
    assert when["id"] == "pick"
    assert [c["value"] for c in when["choices"]] == ["", *verbs.QUICK_PICKS]
    assert [c["title"] for c in when["choices"]][1:] == list(verbs.QUICK_PICKS.values())
    assert {a["verb"] for a in of_type(inner, "Action.Execute")} == {verbs.SEND_LATER}
    assert [i["id"] for i in of_type(inner, "Input.Date")] == ["send_date"]
    assert [i["id"] for i in of_type(inner, "Input.Time")] == ["send_time"]
    chosen = [a for a in of_type(inner, "Action.Execute") if "pick" not in a["data"]]
    assert [a["data"] for a in chosen] == [{"request": "r-7", "version": 2}]
    assert "your own time zone" in run_text(inner)


def test_a_send_needing_approval_offers_no_send_later() -> None:
    card = preview.build(replace(VIEW, needs_approval=True))
    assert of_type(card, "Action.ShowCard") == []


def test_a_sender_that_cannot_send_later_offers_no_send_later() -> None:
    card = preview.build(replace(VIEW, can_send_later=False))
    assert of_type(card, "Action.ShowCard") == []
    assert verbs.SEND in verbs_of(card)


def test_a_refused_send_later_time_is_shown_on_the_card() -> None:
    card = preview.build(replace(VIEW, schedule_error="That time has passed."))
    assert_valid(card)
    assert "Not scheduled: That time has passed." in run_text(card)
    later_card(card)  # still offered, to pick again
