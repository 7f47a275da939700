"""Loading checks every template up front; a broken one names its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import TemplateLoadError
from bot.rendering import TemplateCatalog, check_templates
from tests.rendering.helpers import SHARED, SIMPLE_TOML, write_template


def load_error(root: Path) -> TemplateLoadError:
    with pytest.raises(TemplateLoadError) as caught:
        TemplateCatalog.load(root)
    return caught.value


def test_the_shipped_templates_load(shipped: TemplateCatalog) -> None:
    assert shipped.names() == (
        "hr-announcement",
        "maintenance-window",
        "message-from-teams",
        "on-behalf-note",
        "outage-notice",
        "ticket-reply",
    )
    assert all(shipped.get(n).title and shipped.get(n).description for n in shipped.names())


def test_a_syntax_error_in_a_body_names_the_file_and_line(tmp_path: Path) -> None:
    write_template(
        tmp_path, html='{% extends "_layouts/default.html.j2" %}\n\n{% block body %}{{ name }'
    )
    error = load_error(tmp_path)
    assert error.path.endswith("t/body.html.j2")
    assert error.line == 3


def test_a_syntax_error_in_a_layout_names_the_layout(tmp_path: Path) -> None:
    write_template(tmp_path)
    (tmp_path / "_layouts" / "default.html.j2").write_text("ok\n{% if %}", encoding="utf-8")
    error = load_error(tmp_path)
    assert error.path.endswith("_layouts/default.html.j2")
    assert error.line == 2


def test_broken_toml_names_the_line(tmp_path: Path) -> None:
    write_template(tmp_path, toml='title = "T"\nsubject = "S"\n[[variables]\n')
    error = load_error(tmp_path)
    assert error.path.endswith("t/template.toml")
    assert error.line == 3


def test_a_syntax_error_in_the_subject_points_at_the_subject_line(tmp_path: Path) -> None:
    write_template(tmp_path, toml=SIMPLE_TOML.replace("Hello {{ name }}", "Hello {{ name"))
    error = load_error(tmp_path)
    assert error.path.endswith("template.toml")
    assert error.line == 3
    assert error.problem.startswith("subject:")


@pytest.mark.parametrize(
    ("change", "words", "line"),
    [
        (('type = "string"', 'type = "colour"'), "'type' must be one of", 7),
        (('sample = "Ana"', 'sample = "Ana\\nLima"'), "'sample' must be on one line", 9),
        (('name = "name"', 'name = "sender"'), "reserved", 6),
        (('name = "name"', 'name = "Bad Name"'), "lower-case", 6),
        (("required = true", 'required = "yes"'), "true or false", 8),
        (('sample = "Ana"', 'sample = "Ana"\nmaxlen = 3'), "unknown key 'maxlen'", 10),
        (('sample = "Ana"', 'options = ["a"]'), "choice variables only", 9),
        (('sample = "Ana"', "max_length = 0"), "'max_length'", 9),
        (('sample = "Ana"', 'max_length = 5\nsample = "Anastasia"'), "'sample' is 9", 10),
        (('sample = "Ana"', ""), "needs a 'sample'", 5),
    ],
)
def test_bad_variable_metadata_is_refused_with_its_line(
    tmp_path: Path, change: tuple[str, str], words: str, line: int
) -> None:
    write_template(tmp_path, toml=SIMPLE_TOML.replace(*change))
    error = load_error(tmp_path)
    assert words in error.problem
    assert error.line == line


def test_a_choice_needs_options(tmp_path: Path) -> None:
    write_template(tmp_path, toml=SIMPLE_TOML.replace('type = "string"', 'type = "choice"'))
    assert "needs 'options'" in load_error(tmp_path).problem


def test_an_unknown_top_level_key_is_refused(tmp_path: Path) -> None:
    write_template(tmp_path, toml='subjekt = "typo"\n' + SIMPLE_TOML)
    error = load_error(tmp_path)
    assert "unknown key 'subjekt'" in error.problem
    assert error.line == 1


def test_a_body_using_an_undeclared_variable_is_refused_with_its_line(tmp_path: Path) -> None:
    write_template(
        tmp_path,
        html='{% extends "_layouts/default.html.j2" %}\n{% block body %}\n{{ nmae }}{% endblock %}',
    )
    error = load_error(tmp_path)
    assert "'nmae'" in error.problem
    assert "declared: name" in error.problem
    assert error.line == 3


def test_a_subject_may_not_use_a_multi_line_text_variable(tmp_path: Path) -> None:
    write_template(tmp_path, toml=SIMPLE_TOML.replace('type = "string"', 'type = "text"'))
    assert "multi-line text variable" in load_error(tmp_path).problem


def test_a_template_folder_without_its_html_body_is_refused(tmp_path: Path) -> None:
    write_template(tmp_path)
    (tmp_path / "t" / "body.html.j2").unlink()
    error = load_error(tmp_path)
    assert error.path.endswith("t/body.html.j2")
    assert error.problem == "is missing"


def test_an_empty_or_missing_templates_folder_is_refused(tmp_path: Path) -> None:
    assert "no templates" in load_error(tmp_path).problem
    assert "not a folder" in load_error(tmp_path / "nope").problem


def test_check_templates_reports_every_broken_template_not_just_the_first(
    tmp_path: Path,
) -> None:
    write_template(tmp_path, "good")
    write_template(tmp_path, "bad-one", html="{{ name ")
    write_template(tmp_path, "bad-two", toml="title = ")
    problems = check_templates(tmp_path)
    assert sorted(Path(p.path).parent.name for p in problems) == ["bad-one", "bad-two"]


def test_compiled_templates_are_reused_not_reread(tmp_path: Path) -> None:
    write_template(tmp_path)
    catalog = TemplateCatalog.load(tmp_path)
    (tmp_path / "t" / "body.html.j2").write_text("{{ broken", encoding="utf-8")
    assert "Ana" in catalog.render("t", {"name": "Ana"}, SHARED).html


def test_a_subject_that_fails_to_render_points_at_the_subject_line(tmp_path: Path) -> None:
    write_template(
        tmp_path, toml=SIMPLE_TOML.replace("Hello {{ name }}", "Hello {{ name.__class__ }}")
    )
    error = load_error(tmp_path)
    assert error.path.endswith("t/template.toml")
    assert error.line == 3
    assert "the subject, line 1" in error.problem
