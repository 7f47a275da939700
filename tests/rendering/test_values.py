"""Values users type are checked against the declared types before anything renders."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from bot.errors import FieldError, UnknownTemplate, ValuesInvalid
from bot.rendering import TemplateCatalog
from tests.rendering.helpers import write_template

ALL_TYPES_TOML = """
    title = "All types"
    subject = "Types"

    [[variables]]
    name = "line"
    type = "string"
    max_length = 10
    sample = "short"

    [[variables]]
    name = "body"
    type = "text"
    sample = "one"

    [[variables]]
    name = "who"
    type = "email"
    sample = "ana@contoso.com"

    [[variables]]
    name = "people"
    type = "email_list"
    sample = "ana@contoso.com"

    [[variables]]
    name = "day"
    type = "date"
    sample = "2026-11-26"

    [[variables]]
    name = "moment"
    type = "datetime"
    sample = "2026-11-26T22:00"

    [[variables]]
    name = "count"
    type = "number"
    minimum = 0
    maximum = 500
    sample = "3"

    [[variables]]
    name = "level"
    type = "choice"
    options = ["Low", "High"]
    sample = "Low"

    [[variables]]
    name = "link"
    type = "url"
    sample = "https://contoso.com"

    [[variables]]
    name = "needed"
    type = "string"
    required = true
    sample = "yes"

    [[variables]]
    name = "greeting"
    type = "string"
    default = "Hello"
"""


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> TemplateCatalog:
    root = tmp_path_factory.mktemp("values")
    html = '{% extends "_layouts/default.html.j2" %}{% block body %}{{ needed }}{% endblock %}'
    write_template(root, "types", toml=ALL_TYPES_TOML, html=html)
    return TemplateCatalog.load(root)


def check(catalog: TemplateCatalog, **raw: str) -> dict[str, object]:
    return catalog.validate("types", {"needed": "yes", **raw})


def problems(catalog: TemplateCatalog, **raw: str) -> dict[str, FieldError]:
    with pytest.raises(ValuesInvalid) as caught:
        check(catalog, **raw)
    return {e.field: e for e in caught.value.errors}


def test_every_bad_field_is_listed_at_once_with_what_would_be_accepted(
    catalog: TemplateCatalog,
) -> None:
    with pytest.raises(ValuesInvalid) as caught:
        catalog.validate(
            "types",
            {"who": "not-an-address", "day": "11/26/2026", "count": "lots", "colour": "red"},
        )
    errors = {e.field: e for e in caught.value.errors}
    assert set(errors) == {"colour", "needed", "who", "day", "count"}
    assert all(e.problem and e.accepted for e in errors.values())
    assert "26 Nov 2026" in errors["day"].accepted


def test_an_unknown_variable_is_refused_listing_the_allowed_ones(catalog: TemplateCatalog) -> None:
    error = problems(catalog, colour="red")["colour"]
    assert "not a variable" in error.problem
    assert "line" in error.accepted
    assert "needed" in error.accepted


def test_a_missing_required_value_is_an_error(catalog: TemplateCatalog) -> None:
    with pytest.raises(ValuesInvalid) as caught:
        catalog.validate("types", {})
    assert [e.field for e in caught.value.errors] == ["needed"]
    assert caught.value.errors[0].problem == "is required"


def test_a_blank_required_value_counts_as_missing(catalog: TemplateCatalog) -> None:
    assert problems(catalog, needed="   ")["needed"].problem == "is required"


def test_an_over_long_value_is_an_error_naming_the_limit(catalog: TemplateCatalog) -> None:
    error = problems(catalog, line="x" * 11)["line"]
    assert "11 characters" in error.problem
    assert "at most 10" in error.accepted


def test_an_empty_optional_value_takes_its_default_or_none(catalog: TemplateCatalog) -> None:
    values = check(catalog)
    assert values["greeting"] == "Hello"
    assert values["line"] is None
    assert values["people"] is None


def test_a_single_line_value_with_a_line_break_is_refused(catalog: TemplateCatalog) -> None:
    for broken in ("a\rb", "a\nb", "a\r\nb", "a\u2028b"):
        assert "one line" in problems(catalog, line=broken)["line"].problem


def test_control_characters_are_refused(catalog: TemplateCatalog) -> None:
    assert "control" in problems(catalog, body="bell\x07")["body"].problem


def test_text_keeps_its_lines_with_unix_line_ends(catalog: TemplateCatalog) -> None:
    assert check(catalog, body="one\r\ntwo\rthree\n")["body"] == "one\ntwo\nthree"


def test_an_email_is_parsed_properly_and_normalised(catalog: TemplateCatalog) -> None:
    assert check(catalog, who="Ana Lima <Ana@Contoso.COM>")["who"] == "Ana@contoso.com"
    for bad in ("ana@", "ana@contoso", "a..b@contoso.com", "ana contoso.com"):
        assert "not a valid email" in problems(catalog, who=bad)["who"].problem


def test_an_email_list_splits_on_commas_semicolons_and_new_lines(catalog: TemplateCatalog) -> None:
    raw = "ana@contoso.com, ben@contoso.com;carl@contoso.com\n\nANA@contoso.com\n"
    assert check(catalog, people=raw)["people"] == (
        "ana@contoso.com",
        "ben@contoso.com",
        "carl@contoso.com",
    )


def test_an_email_list_names_the_entries_that_are_not_addresses(catalog: TemplateCatalog) -> None:
    error = problems(catalog, people="ana@contoso.com, nobody, also wrong")["people"]
    assert "'nobody'" in error.problem
    assert "'also wrong'" in error.problem


@pytest.mark.parametrize(
    "raw",
    ["2026-11-26", "26 Nov 2026", "26 November 2026", "Nov 26, 2026", "november 26 2026"],
)
def test_dates_are_read_in_iso_and_month_name_forms(catalog: TemplateCatalog, raw: str) -> None:
    assert check(catalog, day=raw)["day"] == date(2026, 11, 26)


@pytest.mark.parametrize(
    "raw", ["11/26/2026", "26/11/2026", "2026-02-30", "tomorrow", "26 Foo 2026"]
)
def test_ambiguous_or_impossible_dates_are_refused(catalog: TemplateCatalog, raw: str) -> None:
    assert "day" in problems(catalog, day=raw)


def test_datetimes_are_read_with_and_without_an_offset(catalog: TemplateCatalog) -> None:
    assert check(catalog, moment="2026-11-26 22:00")["moment"] == datetime(2026, 11, 26, 22, 0)
    assert check(catalog, moment="26 Nov 2026 22:00")["moment"] == datetime(2026, 11, 26, 22, 0)
    aware = check(catalog, moment="2026-11-26T22:00+01:00")["moment"]
    assert aware == datetime(2026, 11, 26, 22, 0, tzinfo=timezone(timedelta(hours=1)))
    assert "moment" in problems(catalog, moment="2026-11-26 25:00")


def test_numbers_are_integers_or_decimals_within_bounds(catalog: TemplateCatalog) -> None:
    assert check(catalog, count="42")["count"] == 42
    assert check(catalog, count="12.5")["count"] == Decimal("12.5")
    assert "above 500" in problems(catalog, count="501")["count"].problem
    for bad in ("1,5", "1e3", "NaN", "12 apples"):
        assert "not a number" in problems(catalog, count=bad)["count"].problem


def test_a_choice_matches_its_options_ignoring_case(catalog: TemplateCatalog) -> None:
    assert check(catalog, level="high")["level"] == "High"
    assert problems(catalog, level="Medium")["level"].accepted == "one of: Low, High"


@pytest.mark.parametrize(
    "raw",
    ["javascript:alert(1)", "ftp://contoso.com", "https://", "https://user:pw@contoso.com", "a b"],
)
def test_only_plain_http_and_https_urls_are_accepted(catalog: TemplateCatalog, raw: str) -> None:
    assert "link" in problems(catalog, link=raw)


def test_a_value_that_is_not_text_is_refused(catalog: TemplateCatalog) -> None:
    with pytest.raises(ValuesInvalid) as caught:
        catalog.validate("types", {"needed": 7})  # type: ignore[dict-item]
    assert caught.value.errors[0].problem == "must be text"


def test_an_unknown_template_names_the_ones_there_are(catalog: TemplateCatalog) -> None:
    with pytest.raises(UnknownTemplate) as caught:
        catalog.get("nope")
    assert caught.value.available == ("types",)


def test_variables_carry_what_a_form_needs(catalog: TemplateCatalog) -> None:
    template = catalog.get("types")
    who = template.variable("who")
    level = template.variable("level")
    body = template.variable("body")
    assert who is not None
    assert who.input_regex is not None
    assert who.max_length == 254
    assert level is not None
    assert level.options == ("Low", "High")
    assert body is not None
    assert body.multiline
    assert [v.label for v in template.variables][:2] == ["Line", "Body"]


def test_shipped_samples_are_valid_values(shipped: TemplateCatalog) -> None:
    for name in shipped.names():
        assert shipped.validate(name, shipped.get(name).sample_values())
