"""The compose card: template first, then recipients and the template's typed variables."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cards import compose, verbs
from cards.views import ComposeView, FieldView, TemplateOption
from tests.cards.anatomy import (
    HOSTILE,
    MARK,
    assert_valid,
    by_verb,
    inputs,
    nodes,
    run_text,
    runs,
    user_text,
)

TEMPLATES = (
    TemplateOption("ticket-reply", "Ticket reply", "Answer a support ticket"),
    TemplateOption("outage", "Outage notice"),
)
PICKING = ComposeView(
    draft_id="d-42",
    version=3,
    from_line="Contoso Support <support@contoso.com>",
    sender_kind="shared",
    templates=TEMPLATES,
    template=None,
)
FIELDS = (
    FieldView("var_ticket", "Ticket", "string", required=True, max_length=20, regex=r"^\d+$"),
    FieldView("var_notes", "Notes", "text", max_length=2000, value="line one\nline two"),
    FieldView("var_contact", "Contact", "email", value="a@contoso.com"),
    FieldView("var_watchers", "Watchers", "email_list"),
    FieldView("var_link", "Link", "url"),
    FieldView("var_due", "Due", "date", required=True, value="2026-12-01"),
    FieldView("var_window", "Window", "datetime", value="2026-12-01T09:30"),
    FieldView("var_count", "Count", "number", value="12"),
    FieldView("var_tier", "Tier", "choice", options=("gold", "silver"), value="silver"),
)
FILLING = replace(
    PICKING,
    template="ticket-reply",
    to=FieldView("to", "To", "email_list", required=True, value="a@contoso.com, b@fabrikam.com"),
    importance="high",
    fields=FIELDS,
)


def body_index(card: dict[str, object], input_id: str) -> int:
    body = card["body"]
    assert isinstance(body, list)
    return next(i for i, e in enumerate(body) if e.get("id") == input_id)


# --- step 1 --------------------------------------------------------------------------------


def test_without_a_template_the_card_asks_for_one() -> None:
    card = compose.build(PICKING)
    assert_valid(card)
    choice = inputs(card)["template"]
    assert choice["type"] == "Input.ChoiceSet"
    assert choice["isRequired"] is True
    assert [(c["title"], c["value"]) for c in choice["choices"]] == [
        ("Ticket reply — Answer a support ticket", "ticket-reply"),
        ("Outage notice", "outage"),
    ]
    assert set(inputs(card)) == {"template"}
    assert by_verb(card, verbs.PICK_TEMPLATE)["data"] == {"draft": "d-42", "version": 3}
    assert by_verb(card, verbs.COMPOSE_CANCEL)["data"] == {"draft": "d-42", "version": 3}


def test_the_from_line_is_at_the_top() -> None:
    for view in (PICKING, FILLING):
        card = compose.build(view)
        assert card["body"][1]["inlines"][1]["text"] == "Contoso Support <support@contoso.com>"


def test_no_templates_means_no_next_button() -> None:
    card = compose.build(replace(PICKING, templates=()))
    assert_valid(card)
    assert "No templates are available" in run_text(card)
    assert [a["verb"] for a in card["actions"]] == [verbs.COMPOSE_CANCEL]


# --- step 2 --------------------------------------------------------------------------------


def test_the_form_has_recipients_importance_and_every_variable() -> None:
    card = compose.build(FILLING)
    assert_valid(card)
    ids = list(inputs(card))
    assert ids[:4] == ["to", "cc", "bcc", "importance"]
    assert ids[4:] == [
        "var_ticket",
        "var_notes",
        "var_contact",
        "var_watchers",
        "var_link",
        "var_due",
        "var_window",
        "var_window__time",
        "var_count",
        "var_tier",
    ]
    assert "Ticket reply" in run_text(card)


def test_each_variable_kind_becomes_its_typed_input() -> None:
    found = inputs(compose.build(FILLING))
    expected = {
        "var_ticket": "Input.Text",
        "var_notes": "Input.Text",
        "var_contact": "Input.Text",
        "var_watchers": "Input.Text",
        "var_link": "Input.Text",
        "var_due": "Input.Date",
        "var_window": "Input.Date",
        "var_window__time": "Input.Time",
        "var_count": "Input.Number",
        "var_tier": "Input.ChoiceSet",
    }
    assert {k: found[k]["type"] for k in expected} == expected
    assert found["var_ticket"]["maxLength"] == 20
    assert found["var_ticket"]["regex"] == r"^\d+$"
    assert found["var_ticket"]["isRequired"] is True
    assert found["var_notes"]["isMultiline"] is True
    assert found["var_contact"]["style"] == "Email"
    assert found["var_link"]["style"] == "Url"
    assert [c["value"] for c in found["var_tier"]["choices"]] == ["gold", "silver"]


def test_every_input_has_a_label_and_checked_ones_an_error_message() -> None:
    for input_id, node in inputs(compose.build(FILLING)).items():
        assert node.get("label"), input_id
        if node.get("isRequired") or node.get("regex") or node.get("maxLength"):
            assert node.get("errorMessage"), input_id


def test_values_are_prefilled() -> None:
    found = inputs(compose.build(FILLING))
    assert found["to"]["value"] == "a@contoso.com, b@fabrikam.com"
    assert found["importance"]["value"] == "high"
    assert found["var_notes"]["value"] == "line one\nline two"
    assert found["var_due"]["value"] == "2026-12-01"
    assert found["var_window"]["value"] == "2026-12-01"
    assert found["var_window__time"]["value"] == "09:30"
    assert found["var_count"]["value"] == 12
    assert found["var_tier"]["value"] == "silver"


def test_whole_numbers_are_written_as_json_integers() -> None:
    found = inputs(compose.build(FILLING))
    assert type(found["var_ticket"]["maxLength"]) is int
    assert type(found["var_count"]["value"]) is int
    assert '"maxLength":20,' in json.dumps(compose.build(FILLING), separators=(",", ":"))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("12", 12), ("2.5", 2.5), ("-3", -3), ("abc", None), ("nan", None), ("1e300", None)],
)
def test_a_number_is_prefilled_only_when_it_survives_json(typed: str, expected: object) -> None:
    view = replace(FILLING, fields=(FieldView("var_n", "N", "number", value=typed),))
    assert inputs(compose.build(view))["var_n"].get("value") == expected


def test_a_field_error_shows_in_red_right_under_its_input() -> None:
    fields = (
        FieldView("var_ticket", "Ticket", "string", error="Use digits only."),
        FieldView("var_window", "Window", "datetime", error="Pick a time in the future."),
    )
    card = compose.build(replace(FILLING, fields=fields))
    after = card["body"][body_index(card, "var_ticket") + 1]
    assert after["type"] == "RichTextBlock"
    assert after["inlines"][0] == {
        "type": "TextRun",
        "text": "Use digits only.",
        "color": "Attention",
    }
    after_time = card["body"][body_index(card, "var_window__time") + 1]
    assert after_time["inlines"][0]["text"] == "Pick a time in the future."


def test_general_errors_come_first() -> None:
    card = compose.build(replace(FILLING, errors=("Too many recipients (max 500).",)))
    first_input = min(body_index(card, i) for i in ("to",))
    errors = [
        i
        for i, e in enumerate(card["body"])
        if e["type"] == "RichTextBlock"
        and e["inlines"][0].get("color") == "Attention"
        and e["inlines"][0]["text"] == "Too many recipients (max 500)."
    ]
    assert errors
    assert errors[0] < first_input


def test_recipients_default_when_the_bot_gives_none() -> None:
    card = compose.build(replace(FILLING, to=None))
    found = inputs(card)
    assert found["to"]["isRequired"] is True
    assert found["to"]["label"] == "To"
    assert "isRequired" not in found["cc"]
    assert found["bcc"]["label"].startswith("Bcc")


def test_preview_and_cancel_carry_the_draft_and_version() -> None:
    card = compose.build(FILLING)
    assert by_verb(card, verbs.PREVIEW)["data"] == {"draft": "d-42", "version": 3}
    assert by_verb(card, verbs.COMPOSE_CANCEL)["data"] == {"draft": "d-42", "version": 3}
    assert card["actions"][0]["verb"] == verbs.PREVIEW


def test_bulk_csv_sits_in_a_container_the_user_can_show() -> None:
    csv = FieldView("bulk_csv", "Recipients CSV", "text")
    card = compose.build(replace(FILLING, bulk_csv=csv))
    assert_valid(card)
    toggles = [n for n in nodes(card) if n.get("type") == "Action.ToggleVisibility"]
    assert toggles[0]["targetElements"] == [compose.BULK_CONTAINER_ID]
    container = next(n for n in nodes(card) if n.get("id") == compose.BULK_CONTAINER_ID)
    assert container["isVisible"] is False
    assert [i["id"] for i in container["items"] if i["type"] == "Input.Text"] == ["bulk_csv"]
    assert inputs(card)["bulk_csv"]["isMultiline"] is True


def test_bulk_csv_with_content_or_an_error_is_shown_open() -> None:
    csv = FieldView("bulk_csv", "CSV", "text", value="email,name\na@b.com,A")
    card = compose.build(replace(FILLING, bulk_csv=csv))
    container = next(n for n in nodes(card) if n.get("id") == compose.BULK_CONTAINER_ID)
    assert container["isVisible"] is True
    assert inputs(card)["bulk_csv"]["value"] == "email,name\na@b.com,A"


# --- client-side checks --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regex", "good", "bad"),
    [
        (compose.EMAIL_REGEX, ["a@contoso.com", " a.b@x.co.uk "], ["a", "a@b", "a@b.com, c@d.com"]),
        (
            compose.EMAIL_LIST_REGEX,
            [
                "",
                "a@contoso.com",
                "a@contoso.com, b@fabrikam.com;c@d.org",
                "a@b.com,",
                '"Doe, John" <john@contoso.com>; Jane Roe <jane@contoso.com>',
            ],
            ["a", "Doe, John", "a@@b", "@contoso.com"],
        ),
        (
            compose.URL_REGEX,
            ["https://contoso.com/x?y=1", "http://a.b"],
            ["contoso.com", "ftp://x"],
        ),
    ],
)
def test_default_regexes_accept_and_reject_what_they_should(
    regex: str, good: list[str], bad: list[str]
) -> None:
    pattern = re.compile(regex)
    assert all(pattern.search(v) for v in good)
    assert not any(pattern.search(v) for v in bad)


def test_error_messages_are_the_cards_own_words() -> None:
    hostile = FieldView("var_x", f"{MARK}[x](https://evil.example)", "string", required=True)
    card = compose.build(replace(FILLING, fields=(hostile,)))
    assert_valid(card)  # the label never reaches a markdown text


# --- size ----------------------------------------------------------------------------------


def maximal_view(csv_chars: int = 0) -> ComposeView:
    addresses = ", ".join(f"person{i:03d}@fabrikam.example" for i in range(500))
    fields = tuple(
        FieldView(
            f"var_v{i:02d}",
            f"Variable number {i} with a long label",
            "string",
            required=True,
            max_length=200,
            regex=r"^[A-Za-z0-9 ,.'-]+$",
            help="A helpful explanation of what goes into this field. " * 3,
            placeholder="Type something here",
            value="v" * 200,
            error="This value is not allowed here, for a reason the bot explains at length.",
        )
        for i in range(39)
    )
    body = FieldView("var_body", "Body", "text", max_length=5000, value="b" * 5000)
    return replace(
        FILLING,
        to=FieldView("to", "To", "email_list", required=True, value=addresses),
        fields=(*fields, body),
        bulk_csv=FieldView("bulk_csv", "CSV", "text", value="c" * csv_chars) if csv_chars else None,
        errors=tuple(f"Problem {i} " * 20 for i in range(20)),
    )


def test_maximal_inputs_stay_under_28_kb_and_keep_every_input() -> None:
    card = compose.build(maximal_view())
    assert_valid(card)
    assert {"to", "cc", "bcc", "importance", "var_body"} <= set(inputs(card))
    assert len([i for i in inputs(card) if i.startswith("var_v")]) == 39


def test_values_too_long_for_the_card_are_withheld_and_named_in_the_data() -> None:
    card = compose.build(maximal_view(csv_chars=40_000))
    assert_valid(card)
    data = by_verb(card, verbs.PREVIEW)["data"]
    kept = data[compose.KEPT_KEY].split(",")
    assert "bulk_csv" in kept
    found = inputs(card)
    for name in kept:
        assert "value" not in found[name]
        assert "isRequired" not in found[name]
    assert "too long to show here and is kept" in run_text(card)
    assert found["var_v00"]["value"] == "v" * 200  # short values stay


def test_a_card_that_fits_names_nothing_as_kept() -> None:
    assert compose.KEPT_KEY not in by_verb(compose.build(FILLING), verbs.PREVIEW)["data"]


def test_many_templates_stay_under_the_limit() -> None:
    templates = tuple(
        TemplateOption(f"t{i}", "Title " * 20, "Description " * 40) for i in range(120)
    )
    card = compose.build(replace(PICKING, templates=templates))
    assert_valid(card)
    assert len(inputs(card)["template"]["choices"]) == 120


# --- escaping ------------------------------------------------------------------------------


def test_hostile_values_and_errors_stay_plain() -> None:
    for hostile in HOSTILE:
        marked = f"{MARK}{hostile}"
        field = FieldView("var_x", "X", "string", value=marked, error=marked, help=marked)
        view = replace(FILLING, from_line=marked, fields=(field,), errors=(marked,))
        card = compose.build(view)
        assert_valid(card)
        assert inputs(card)["var_x"]["value"] == marked
        assert runs(card).count(" ".join(marked.split())) == 4  # from, error, help, general


@given(
    from_line=user_text(),
    value=user_text(),
    error=user_text(),
    general=st.lists(user_text(), max_size=3),
    options=st.lists(user_text(max_size=40), max_size=5),
)
def test_any_user_text_gives_a_valid_card(
    from_line: str, value: str, error: str, general: list[str], options: list[str]
) -> None:
    fields = (
        FieldView("var_a", "A", "string", value=value, error=error),
        FieldView("var_b", "B", "choice", options=tuple(options), value=value),
        FieldView("var_c", "C", "datetime", value=value, error=error),
    )
    view = replace(FILLING, from_line=from_line, fields=fields, errors=tuple(general))
    assert_valid(compose.build(view))
    assert_valid(compose.build(replace(view, template=None)))


def test_a_realistic_maximum_keeps_every_value_prefilled() -> None:
    addresses = ", ".join(f"person{i:03d}@fabrikam.example" for i in range(500))
    fields = tuple(
        FieldView(f"var_v{i:02d}", f"Variable {i}", "string", True, 100, value="v" * 40)
        for i in range(39)
    )
    body = FieldView("var_body", "Body", "text", max_length=5000, value="b" * 5000)
    view = replace(
        FILLING,
        to=FieldView("to", "To", "email_list", required=True, value=addresses),
        fields=(*fields, body),
    )
    card = compose.build(view)
    assert_valid(card)
    assert compose.KEPT_KEY not in by_verb(card, verbs.PREVIEW)["data"]
    assert inputs(card)["to"]["value"] == addresses
    assert inputs(card)["var_body"]["value"] == "b" * 5000


def test_a_built_card_is_its_own_deep_copy_and_still_plain_json() -> None:
    card = compose.build(FILLING)
    assert copy.deepcopy(card) is card
    assert json.loads(json.dumps(card)) == card
