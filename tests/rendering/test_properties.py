"""Property-based: whatever a user types, it cannot add markup or break the subject line."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from bot.errors import ValuesInvalid
from bot.rendering import MAX_SUBJECT_LENGTH, RenderedEmail, TemplateCatalog
from tests.rendering.helpers import NOREPLY, SHARED, write_template

PROPERTY_TOML = """
    title = "Property"
    subject = "About {{ topic }}"

    [[variables]]
    name = "topic"
    type = "string"
    required = true
    max_length = 300
    sample = "things"

    [[variables]]
    name = "v"
    type = "string"
    max_length = 1000
    sample = "value"

    [[variables]]
    name = "t"
    type = "text"
    max_length = 1000
    sample = "text"
"""
PROPERTY_HTML = """
    {% extends "_layouts/default.html.j2" %}
    {% block body %}<div id="v">{{ v }}</div><div id="t">{{ t|paragraphs }}</div>{% endblock %}
"""
MARKUP = "<>&\"'{}%#/\\=;: ab"
PIECES = ["<", "<script>", "</p>", "<b", "&", "&amp;", '"', "'", "{{ 7*7 }}", "{% if %}", " "]
BREAKS = "\r\n\t\x0b\x85\u2028"
values = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=MARKUP, max_size=60),
    st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
    st.text(alphabet=MARKUP + BREAKS, max_size=60),
    st.builds(
        lambda a, b, c: a + b + c,
        st.text(max_size=20),
        st.sampled_from(MARKUP + BREAKS),
        st.text(max_size=20),
    ),
)
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, database=None)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> TemplateCatalog:
    root = tmp_path_factory.mktemp("property")
    write_template(root, "prop", toml=PROPERTY_TOML, html=PROPERTY_HTML)
    return TemplateCatalog.load(root)


def render_or_none(
    catalog: TemplateCatalog, name: str, raw: Mapping[str, str]
) -> RenderedEmail | None:
    try:
        return catalog.render(name, raw, NOREPLY)
    except ValuesInvalid:
        return None


@PROPERTY_SETTINGS
@given(text=values)
def test_a_value_lands_in_the_html_escaped_and_nowhere_else(
    catalog: TemplateCatalog, text: str
) -> None:
    email = render_or_none(catalog, "prop", {"topic": "x", "v": text})
    if email is None:
        return
    value = catalog.validate("prop", {"topic": "x", "v": text})["v"]
    baseline = catalog.render("prop", {"topic": "x", "v": "MARKER"}, NOREPLY).html
    if value is None:  # blank: the optional value is left out
        assert '<div id="v"></div>' in email.html
        return
    assert email.html == baseline.replace(">MARKER<", f">{escape(value)}<")
    assert email.html.count("<") == baseline.count("<")


@PROPERTY_SETTINGS
@given(text=values)
def test_multi_line_text_only_ever_adds_paragraph_and_break_tags(
    catalog: TemplateCatalog, text: str
) -> None:
    email = render_or_none(catalog, "prop", {"topic": "x", "t": text})
    if email is None:
        return
    section = email.html.split('<div id="t">', 1)[1].split("</div>", 1)[0]
    assert "<" not in re.sub(r"</?p>|<br>", "", section)


@PROPERTY_SETTINGS
@given(text=values)
def test_the_subject_is_always_one_line_and_at_most_255_characters(
    catalog: TemplateCatalog, text: str
) -> None:
    email = render_or_none(catalog, "prop", {"topic": text})
    if re.search(r"[\r\n]", text):
        assert email is None, "CR/LF in a value is refused"
    if email is None:
        return
    assert "\r" not in email.subject
    assert "\n" not in email.subject
    assert len(email.subject.splitlines()) == 1
    assert len(email.subject) <= MAX_SUBJECT_LENGTH
    assert f"<title>{escape(email.subject)}</title>" in email.html


@PROPERTY_SETTINGS
@given(
    field=st.sampled_from(["customer_name", "ticket_subject", "agent_name", "ticket_id"]),
    text=values,
)
def test_no_value_adds_markup_to_a_shipped_template(
    shipped: TemplateCatalog, field: str, text: str
) -> None:
    samples = shipped.get("ticket-reply").sample_values()
    baseline = shipped.render("ticket-reply", samples, SHARED)
    try:
        email = shipped.render("ticket-reply", {**samples, field: text}, SHARED)
    except ValuesInvalid:
        return
    assert email.html.count("<") == baseline.html.count("<")
    assert "\r" not in email.subject
    assert "\n" not in email.subject
    assert len(email.subject) <= MAX_SUBJECT_LENGTH


def test_a_value_making_the_subject_too_long_is_blamed_on_that_value(
    catalog: TemplateCatalog,
) -> None:
    with pytest.raises(ValuesInvalid) as caught:
        catalog.render("prop", {"topic": "x" * 260}, NOREPLY)
    (error,) = caught.value.errors
    assert error.field == "topic"
    assert "subject 266 characters long" in error.problem
