"""Templates run in a bounded sandbox; values are data and never run as template code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.errors import TemplateLoadError, TemplateRenderError
from bot.rendering import TemplateCatalog
from bot.rendering.sandbox import autoescape_for
from tests.rendering.helpers import NOREPLY, SHARED, mode_html, mode_toml, write_template

INJECTIONS = ["{{ 7*7 }}", "{% for x in range(3) %}x{% endfor %}", "{{ ''.__class__.__mro__ }}"]


@pytest.mark.parametrize("value", INJECTIONS)
def test_template_syntax_in_a_value_comes_out_literally_and_escaped(
    shipped: TemplateCatalog, value: str
) -> None:
    values = {**shipped.get("ticket-reply").sample_values(), "customer_name": value}
    email = shipped.render("ticket-reply", values, SHARED)
    escaped = value.replace("'", "&#39;")
    assert f"Hello {escaped}," in email.html
    assert f"Hello {value}," in email.text
    assert "49" not in email.html
    assert "xxx" not in email.html
    assert "<class" not in email.html
    assert "&lt;class" not in email.html


def test_template_syntax_in_the_subject_stays_literal(shipped: TemplateCatalog) -> None:
    values = {**shipped.get("ticket-reply").sample_values(), "ticket_subject": "{{ 7*7 }}"}
    email = shipped.render("ticket-reply", values, SHARED)
    assert email.subject == "Re: [Ticket #48213] {{ 7*7 }}"


def test_html_bodies_named_html_j2_are_autoescaped_and_text_bodies_are_not(
    tmp_path: Path,
) -> None:
    write_template(
        tmp_path,
        html="""
            {% extends "_layouts/default.html.j2" %}
            {% block body %}<p>{{ name }}</p>{% endblock %}
        """,
        txt="""
            {% extends "_layouts/default.txt.j2" %}
            {% block body %}{{ name }}{% endblock %}
        """,
    )
    catalog = TemplateCatalog.load(tmp_path)
    email = catalog.render("t", {"name": "<script>alert('x')</script> & co"}, SHARED)
    assert "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co</p>" in email.html
    assert "<script>" not in email.html
    assert email.text.startswith("<script>alert('x')</script> & co\n")


def test_autoescape_covers_the_html_j2_ending_that_select_autoescape_misses() -> None:
    assert autoescape_for("ticket-reply/body.html.j2")
    assert autoescape_for("_layouts/default.HTML.J2")
    assert autoescape_for("page.html")
    assert not autoescape_for("ticket-reply/body.txt.j2")
    assert not autoescape_for(None)


def load_evil(root: Path, evil: str) -> TemplateCatalog:
    """A catalog whose template misbehaves only when ``mode`` is "evil" (samples are safe)."""
    write_template(root, "evil", toml=mode_toml(), html=mode_html(evil))
    return TemplateCatalog.load(root)


def render_evil(root: Path, evil: str) -> TemplateRenderError:
    catalog = load_evil(root, evil)
    with pytest.raises(TemplateRenderError) as caught:
        catalog.render("evil", {"mode": "evil"}, SHARED)
    assert caught.value.template == "evil"
    assert "evil" in str(caught.value)
    return caught.value


@pytest.mark.parametrize(
    "evil",
    [
        "{{ mode.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ sender.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ mode._private }}",
    ],
)
def test_a_template_reaching_for_dunder_attributes_fails_with_a_render_error(
    tmp_path: Path, evil: str
) -> None:
    render_evil(tmp_path, evil)


@pytest.mark.parametrize(
    "evil",
    [
        "{{ [1, 2].append(3) }}",
        "{{ {'a': 1}.update(b=2) }}",
        "{{ '{0.__class__}'.format(mode) }}",
        "{{ '{x}'.format_map({'x': 1}) }}",
    ],
)
def test_a_template_calling_unsafe_callables_fails_with_a_render_error(
    tmp_path: Path, evil: str
) -> None:
    render_evil(tmp_path, evil)


def test_a_render_error_says_which_file_and_line(tmp_path: Path) -> None:
    error = render_evil(tmp_path, "{{ mode.__class__.__mro__ }}")
    assert "evil/body.html.j2, line 4" in error.problem


@pytest.mark.parametrize(
    ("evil", "words"),
    [
        ("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", "steps"),
        ("{% for i in range(200000) %}{% endfor %}", "100000"),
        ("{{ 'x' * 2000000 }}", "characters"),
        ("{{ (['x'] * 1000) * 100000 }}", "characters"),
        ("{{ 2 ** 10000000 }}", "bits"),
        ("{{ 'x'|center(1000000000) }}", "100000"),
        ("{{ 'x'.ljust(1000000000) }}", "100000"),
        ("{{ '%0999999999d' % 1 }}", "format"),
        ("{{ '%0999999999d'|format(1) }}", "format"),
        ("{{ ('x' * 999999)|replace('', 'yy') }}", "characters"),
        ("{% for i in range(20000) %}{{ 'x' * 100 }}{% endfor %}", "1000000 bytes"),
    ],
)
def test_runaway_templates_are_stopped_by_the_bounded_sandbox(
    tmp_path: Path, evil: str, words: str
) -> None:
    error = render_evil(tmp_path, evil)
    assert words in error.problem


def test_a_string_doubled_by_recursion_is_stopped(tmp_path: Path) -> None:
    evil = (
        "{% macro grow(s, n) %}{% if n %}{{ grow(s ~ s, n - 1) }}{% else %}{{ s|length }}"
        "{% endif %}{% endmacro %}{{ grow('x', 60) }}"
    )
    assert "characters" in render_evil(tmp_path, evil).problem


def test_endless_recursion_is_a_render_error_not_a_crash(tmp_path: Path) -> None:
    render_evil(tmp_path, "{% macro again() %}{{ again() }}{% endmacro %}{{ again() }}")


def test_a_render_failure_while_loading_names_the_file_and_line(tmp_path: Path) -> None:
    write_template(tmp_path, "evil", toml=mode_toml("evil"), html=mode_html("{{ 1 / 0 }}"))
    with pytest.raises(TemplateLoadError) as caught:
        TemplateCatalog.load(tmp_path)
    assert caught.value.path.endswith("evil/body.html.j2")
    assert caught.value.line == 4
    assert "ZeroDivisionError" in caught.value.problem


def test_namespace_is_not_available_so_loops_cannot_accumulate(tmp_path: Path) -> None:
    with pytest.raises(TemplateLoadError) as caught:
        load_evil(tmp_path, "{% set ns = namespace(s='x') %}{{ ns.s }}")
    assert "'namespace'" in caught.value.problem


def test_includes_cannot_leave_the_templates_folder(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    root.mkdir()
    (tmp_path / "secret.j2").write_text("TOP SECRET", encoding="utf-8")
    render_evil(root, '{% include "../secret.j2" %}')


def test_includes_cannot_follow_a_symlink_out_of_the_templates_folder(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    root.mkdir()
    (tmp_path / "secret.j2").write_text("TOP SECRET", encoding="utf-8")
    write_template(root, "evil", toml=mode_toml(), html=mode_html('{% include "evil/leak.j2" %}'))
    os.symlink(tmp_path / "secret.j2", root / "evil" / "leak.j2")
    catalog = TemplateCatalog.load(root)
    with pytest.raises(TemplateRenderError):
        catalog.render("evil", {"mode": "evil"}, SHARED)


def test_includes_only_read_j2_files(tmp_path: Path) -> None:
    render_evil(tmp_path, '{% include "evil/template.toml" %}')


def test_rendering_twice_gives_the_same_result(shipped: TemplateCatalog) -> None:
    values = shipped.get("outage-notice").sample_values()
    assert shipped.render("outage-notice", values, NOREPLY) == shipped.render(
        "outage-notice", values, NOREPLY
    )
