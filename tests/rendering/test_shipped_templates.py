"""The five shipped templates: realistic, Outlook-friendly HTML and natural plain text."""

from __future__ import annotations

import re

import pytest

from bot.rendering import SENDER_KINDS, RenderSender, TemplateCatalog, html_to_text

SHIPPED_NAMES = [
    "hr-announcement",
    "maintenance-window",
    "on-behalf-note",
    "outage-notice",
    "ticket-reply",
]
SENDERS = {
    "ticket-reply": RenderSender("support@contoso.com", "Contoso Support", "shared"),
    "outage-notice": RenderSender("noreply@contoso.com", "Contoso IT Status", "noreply"),
    "maintenance-window": RenderSender("noreply@contoso.com", "Contoso IT", "noreply"),
    "hr-announcement": RenderSender("hr@contoso.com", "Contoso People Team", "shared"),
    "on-behalf-note": RenderSender("maria@contoso.com", "Maria Garcia", "send_on_behalf"),
}


@pytest.mark.parametrize("name", SHIPPED_NAMES)
def test_the_html_is_outlook_friendly(shipped: TemplateCatalog, name: str) -> None:
    html = shipped.render(name, shipped.get(name).sample_values(), SENDERS[name]).html
    assert html.startswith("<!DOCTYPE html>")
    assert 'role="presentation"' in html
    assert "<style" not in html
    assert "<link" not in html
    assert "class=" not in html
    assert "<div" not in html.split("</div>", 1)[1], "layout is tables, not divs"
    widths = [int(w) for w in re.findall(r'width[=:]"?(\d+)(?:px)?', html)]
    assert widths
    assert max(widths) <= 600
    assert "max-width:600px" in html


@pytest.mark.parametrize("name", SHIPPED_NAMES)
def test_the_text_part_reads_naturally(shipped: TemplateCatalog, name: str) -> None:
    email = shipped.render(name, shipped.get(name).sample_values(), SENDERS[name])
    assert not re.search(r"<[a-zA-Z/]", email.text), "no markup in the text part"
    assert "&amp;" not in email.text
    assert "&#" not in email.text
    assert "\n\n\n" not in email.text
    assert email.text.endswith("\n")
    assert SENDERS[name].display_name in email.text


@pytest.mark.parametrize("name", SHIPPED_NAMES)
def test_each_template_shows_its_sample_values(shipped: TemplateCatalog, name: str) -> None:
    template = shipped.get(name)
    email = shipped.render(name, template.sample_values(), SENDERS[name])
    shown = (email.subject + "\n" + email.text).casefold()
    for variable in template.variables:
        if variable.type.value in ("string", "url", "email"):
            assert variable.sample.casefold() in shown, variable.name


@pytest.mark.parametrize("name", SHIPPED_NAMES)
@pytest.mark.parametrize("kind", SENDER_KINDS)
def test_each_template_renders_for_every_sender_kind_with_only_required_values(
    shipped: TemplateCatalog, name: str, kind: str
) -> None:
    template = shipped.get(name)
    required = {v.name: v.sample for v in template.variables if v.required}
    sender = RenderSender("x@contoso.com", "X Mailbox", kind)  # type: ignore[arg-type]
    email = shipped.render(name, required, sender)
    assert email.subject
    assert "None" not in email.text
    assert "None" not in email.html


def test_the_ticket_number_threads_into_the_subject(shipped: TemplateCatalog) -> None:
    email = shipped.render(
        "ticket-reply", shipped.get("ticket-reply").sample_values(), SENDERS["ticket-reply"]
    )
    assert email.subject == "Re: [Ticket #48213] Cannot sign in to the customer portal"


def test_maintenance_times_are_spelled_out_with_their_time_zone(
    shipped: TemplateCatalog,
) -> None:
    email = shipped.render(
        "maintenance-window",
        {
            **shipped.get("maintenance-window").sample_values(),
            "starts_at": "26 Nov 2026 22:00",
            "ends_at": "2026-11-26 23:30",
            "time_zone": "CET",
        },
        SENDERS["maintenance-window"],
    )
    assert email.subject == "Planned maintenance: Payroll portal on 26 Nov 2026"
    assert "on Thursday 26 November 2026 from 22:00 to 23:30 (CET)." in email.text


def test_an_outage_with_an_offset_shows_it(shipped: TemplateCatalog) -> None:
    values = {
        **shipped.get("outage-notice").sample_values(),
        "started_at": "2026-11-26T08:40+01:00",
    }
    email = shipped.render("outage-notice", values, SENDERS["outage-notice"])
    assert "Thursday 26 November 2026 at 08:40 (UTC+01:00)" in email.text


def test_the_on_behalf_note_says_who_wrote_it_for_whom(shipped: TemplateCatalog) -> None:
    email = shipped.render(
        "on-behalf-note", shipped.get("on-behalf-note").sample_values(), SENDERS["on-behalf-note"]
    )
    assert "Alex Kim\nExecutive Assistant\non behalf of Maria Garcia" in email.text


def test_a_derived_text_part_matches_the_html(shipped: TemplateCatalog) -> None:
    email = shipped.render(
        "hr-announcement",
        shipped.get("hr-announcement").sample_values(),
        SENDERS["hr-announcement"],
    )
    derived = html_to_text(email.html)
    assert "Updated hybrid working policy from 1 January" in derived
    assert "Read more (https://intranet.contoso.com/hr/policies/hybrid-working)" in derived
