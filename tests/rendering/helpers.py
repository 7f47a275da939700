"""Building small template folders for the rendering tests."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from bot.rendering import RenderSender

SHIPPED = Path(__file__).resolve().parents[2] / "templates"

SIMPLE_TOML = """
    title = "Test"
    description = "A template for tests."
    subject = "Hello {{ name }}"

    [[variables]]
    name = "name"
    type = "string"
    required = true
    sample = "Ana"
"""

SIMPLE_HTML = """
    {% extends "_layouts/default.html.j2" %}
    {% block body %}<p>Hello {{ name }}</p>{% endblock %}
"""


def mode_toml(sample: str = "safe") -> str:
    """A template with a ``mode`` choice: samples use ``sample``, tests render the others."""
    return f"""
    title = "Modes"
    subject = "Mode {{{{ mode }}}}"

    [[variables]]
    name = "mode"
    type = "choice"
    required = true
    options = ["safe", "evil"]
    sample = "{sample}"
"""


def mode_html(evil: str) -> str:
    """A body that behaves unless ``mode`` is "evil", where it runs ``evil``."""
    return (
        '{% extends "_layouts/default.html.j2" %}\n'
        "{% block body %}\n"
        '{% if mode == "evil" %}\n'
        f"{evil}\n"
        "{% endif %}\n"
        "<p>fine</p>\n"
        "{% endblock %}\n"
    )


def write_template(
    root: Path,
    name: str = "t",
    *,
    toml: str = SIMPLE_TOML,
    html: str = SIMPLE_HTML,
    txt: str | None = None,
    layouts: bool = True,
) -> Path:
    """Write ``root/name`` (and, once, the shipped layouts); return the template folder."""
    if layouts and not (root / "_layouts").exists():
        shutil.copytree(SHIPPED / "_layouts", root / "_layouts")
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "template.toml").write_text(textwrap.dedent(toml).lstrip(), encoding="utf-8")
    (folder / "body.html.j2").write_text(textwrap.dedent(html).lstrip(), encoding="utf-8")
    if txt is not None:
        (folder / "body.txt.j2").write_text(textwrap.dedent(txt).lstrip(), encoding="utf-8")
    return folder


SHARED = RenderSender("support@contoso.com", "Contoso Support", "shared")
NOREPLY = RenderSender("noreply@contoso.com", "Contoso IT", "noreply")
