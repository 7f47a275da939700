"""A no-reply sender's message always tells the recipient not to reply; others never do."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import TemplateLoadError, TemplateRenderError
from bot.rendering import DEFAULT_NOREPLY_FOOTER, SENDER_KINDS, RenderSender, TemplateCatalog
from tests.rendering.helpers import NOREPLY, mode_toml, write_template


@pytest.mark.parametrize("name", ["outage-notice", "maintenance-window", "ticket-reply"])
def test_a_noreply_render_carries_the_default_footer_in_html_and_text(
    shipped: TemplateCatalog, name: str
) -> None:
    email = shipped.render(name, shipped.get(name).sample_values(), NOREPLY)
    assert DEFAULT_NOREPLY_FOOTER in email.html
    assert DEFAULT_NOREPLY_FOOTER in email.text


def test_the_footer_wording_and_help_contact_come_from_the_sender(
    shipped: TemplateCatalog,
) -> None:
    sender = RenderSender(
        "alerts@contoso.com",
        "Contoso Alerts",
        "noreply",
        footer_text="Replies to alerts@ are not read.",
        help_contact="the IT Service Desk on ext. 4400",
    )
    values = shipped.get("outage-notice").sample_values()
    email = shipped.render("outage-notice", values, sender)
    for part in (email.html, email.text):
        assert "Replies to alerts@ are not read." in part
        assert "For help, contact the IT Service Desk on ext. 4400." in part
        assert DEFAULT_NOREPLY_FOOTER not in part


@pytest.mark.parametrize("kind", [k for k in SENDER_KINDS if k != "noreply"])
def test_other_senders_get_no_do_not_reply_footer(shipped: TemplateCatalog, kind: str) -> None:
    sender = RenderSender("x@contoso.com", "X", kind, footer_text="Do not reply, ever.")
    for name in shipped.names():
        email = shipped.render(name, shipped.get(name).sample_values(), sender)
        for part in (email.html, email.text):
            assert DEFAULT_NOREPLY_FOOTER not in part
            assert "Do not reply, ever." not in part


def test_a_template_that_drops_the_footer_cannot_even_load(tmp_path: Path) -> None:
    write_template(
        tmp_path,
        html="<html><body><p>{{ name }}</p></body></html>",  # no layout, so no footer
    )
    with pytest.raises(TemplateLoadError) as caught:
        TemplateCatalog.load(tmp_path)
    assert caught.value.path.endswith("t/body.html.j2")
    assert "do-not-reply footer is missing from the HTML body" in caught.value.problem


def test_a_text_body_without_the_footer_cannot_load(tmp_path: Path) -> None:
    write_template(tmp_path, txt="{{ name }}\n")  # the HTML extends the layout; the text not
    with pytest.raises(TemplateLoadError) as caught:
        TemplateCatalog.load(tmp_path)
    assert "missing from the text body" in caught.value.problem


def test_a_footer_dropped_only_for_some_values_fails_the_render(tmp_path: Path) -> None:
    write_template(
        tmp_path,
        toml=mode_toml(),
        html="""
            {% if mode == "evil" %}<p>no layout, no footer</p>{% else %}
            {% include "t/inner.html.j2" %}{% endif %}
        """,
    )
    (tmp_path / "t" / "inner.html.j2").write_text(
        '{% extends "_layouts/default.html.j2" %}{% block body %}fine{% endblock %}',
        encoding="utf-8",
    )
    catalog = TemplateCatalog.load(tmp_path)
    with pytest.raises(TemplateRenderError) as caught:
        catalog.render("t", {"mode": "evil"}, NOREPLY)
    assert "footer is missing" in caught.value.problem
    assert catalog.render("t", {"mode": "evil"}, RenderSender("a@b.com", "A", "shared"))


def test_overriding_a_layout_block_cannot_remove_the_footer(tmp_path: Path) -> None:
    write_template(
        tmp_path,
        html="""
            {% extends "_layouts/default.html.j2" %}
            {% block body %}{{ name }}{% endblock %}
            {% block footer %}{% endblock %}
        """,
    )
    email = TemplateCatalog.load(tmp_path).render("t", {"name": "Ana"}, NOREPLY)
    assert DEFAULT_NOREPLY_FOOTER in email.html
    assert DEFAULT_NOREPLY_FOOTER in email.text


def test_the_footer_is_checked_as_visible_text_not_just_present_bytes(tmp_path: Path) -> None:
    """Markup inside the footer sentence would hide it from the text check; HTML is escaped."""
    sender = RenderSender("n@contoso.com", "N", "noreply", footer_text="Don't reply <here>.")
    write_template(tmp_path)
    email = TemplateCatalog.load(tmp_path).render("t", {"name": "Ana"}, sender)
    assert "Don&#39;t reply &lt;here&gt;." in email.html
    assert "Don't reply <here>." in email.text


def test_a_sender_kind_outside_the_five_is_refused() -> None:
    with pytest.raises(ValueError, match="sender kind"):
        RenderSender("a@b.com", "A", "robot")  # type: ignore[arg-type]
