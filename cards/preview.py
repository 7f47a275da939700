"""The preview card: the message exactly as recipients will see it, then Send (or Request
approval), Edit, Cancel and a link to the full HTML preview.

It is built as JSON (``cards.elements``, ``cards.blocks``) rather than as models: it is the
card of every compose turn, and validating then dumping its models was about a sixth of a
preview turn's CPU.

A bulk send's preview shows one row's message at a time ("Row 3 of 120") with Previous and
Next (verb ``preview.row``); the flow holds the row to the request's rows."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from microsoft_teams.cards import (
    AdaptiveCard,
    Choice,
    ChoiceSetInput,
    DateInput,
    ShowCardAction,
    TimeInput,
)

from bot.i18n import _, current, format_number, n_
from cards import verbs
from cards._parts import execute as execute_model
from cards._parts import fit, is_web_url, request_data
from cards._parts import text as text_model
from cards.blocks import (
    bullets,
    heading,
    labelled,
    one_line,
    outside_warning,
    paragraphs,
    people,
    section,
    text,
)
from cards.elements import Element, action_set, card, container, execute, open_url
from cards.views import PreviewView

DEFAULT_FOOTER = "This message was sent from an unmonitored mailbox. Please do not reply to it."
BODY_CHARS = 1500


@dataclass(frozen=True)
class _Limits:
    recipients: int  # shown per line, then "and N more"
    body_chars: int
    body_lines: int
    line_chars: int  # subject, From line


_LIMITS = (_Limits(10, BODY_CHARS, 40, 400), _Limits(5, 800, 20, 200), _Limits(3, 400, 10, 120))


def build(view: PreviewView) -> dict[str, Any]:
    return fit(*(partial(_build, view, limits) for limits in _LIMITS))


def _build(view: PreviewView, limits: _Limits) -> dict[str, Any]:
    body: list[Element] = [heading(_("Check before sending"))]
    if view.message_count > 1:
        body += _rows(view)
    body += _envelope(view, limits)
    if view.exposed:
        body.append(_privacy_prompt(view))
    body.append(_message(view, limits))
    if view.row_files:
        body += [section(_("Each recipient's files")), *bullets(view.row_files, limit=10)]
    if view.notes:
        body += [section(_("Notes"), subtle=True), *bullets(view.notes, limit=5, subtle=True)]
    if view.schedule_error:
        body.append(
            text(
                _("Not scheduled: {reason}", reason=view.schedule_error),
                color="Attention",
                weight="Bolder",
            )
        )
    if view.needs_approval:
        body.append(section(_("Needs approval before it is sent")))
        if view.approval_reasons:
            body += bullets(view.approval_reasons, limit=5)
        else:
            body.append(text(_("Policy asks for an approval before this is sent.")))
        if view.approvers:
            body.append(
                labelled(_("Who can approve"), one_line(view.approvers, 300), spacing="Small")
            )
    built = card(body, _actions(view), full_width=True)
    # A bulk send's timing is its sender's send window, and the privacy prompt comes first:
    # their buttons need the room (six actions at most).
    if (
        not view.needs_approval
        and view.can_send_later
        and view.message_count == 1
        and not view.exposed
    ):
        built["actions"].insert(1, _send_later(view))  # after Send
    return built


def _rows(view: PreviewView) -> list[Element]:
    """ "Row 3 of 120" and the buttons to the rows either side."""
    count, row = view.message_count, min(max(view.row, 1), view.message_count)
    parts: list[Element] = [
        text(
            n_(
                "{count} personalised message · row {row} of {count}",
                "{count} personalised messages · row {row} of {count}",
                count,
                row=format_number(row),
            ),
            color="Accent",
            weight="Bolder",
            spacing="Small",
        )
    ]
    steps: list[Element] = []
    if row > 1:
        steps.append(execute(_("Previous row"), verbs.PREVIEW_ROW, _row(view, row - 1)))
    if row < count:
        steps.append(execute(_("Next row"), verbs.PREVIEW_ROW, _row(view, row + 1)))
    parts.append(action_set(steps, spacing="Small"))
    return parts


def _row(view: PreviewView, row: int) -> dict[str, str | int]:
    return verbs.RequestRow(view.request_id, view.version, row).data()


def _envelope(view: PreviewView, limits: _Limits) -> list[Element]:
    shown = limits.recipients
    lines: list[Element] = [
        labelled(_("From"), one_line(view.from_line, limits.line_chars), spacing="Medium"),
        labelled(_("To"), people(view.to, shown=shown) or _("nobody"), spacing="None"),
    ]
    if view.cc:
        lines.append(labelled(_("Cc"), people(view.cc, shown=shown), spacing="None"))
    if view.bcc:
        lines.append(
            labelled(
                _("Bcc (hidden from other recipients)"),
                people(view.bcc, shown=shown),
                spacing="None",
            )
        )
    if view.external_recipients:
        lines.append(outside_warning(people(view.external_recipients, shown=shown)))
    lines.append(
        labelled(_("Subject"), one_line(view.subject, limits.line_chars) or _("(no subject)"))
    )
    if view.files:
        listed = ", ".join(f"{one_line(f.name, 80)} ({f.size})" for f in view.files[:20])
        lines.append(labelled(_("Files"), listed, spacing="None"))
    if view.reference:
        lines.append(labelled(_("Reference"), one_line(view.reference, 20), subtle=True))
    return lines


def _privacy_prompt(view: PreviewView) -> Element:
    """Many external addresses in To/Cc: every recipient would see all of them."""
    data = request_data(view.request_id, view.version)
    buttons: list[Element] = [execute(_("Put everyone in Bcc"), verbs.TO_BCC, data)]
    if view.offer_one_each:
        buttons.append(execute(_("Send one email to each"), verbs.ONE_EACH, data))
    count = len(view.exposed)
    return container(
        [
            text(
                n_(
                    "{count} address outside your organisation is in To or Cc",
                    "{count} addresses outside your organisation are in To or Cc",
                    count,
                ),
                weight="Bolder",
            ),
            text(
                _(
                    "Every recipient will see all of them. Put everyone in Bcc (one email, "
                    "nobody sees the others), or send one email to each recipient."
                ),
                spacing="Small",
            ),
            action_set(buttons, spacing="Small"),
        ],
        style="attention",
        spacing="Medium",
    )


def _message(view: PreviewView, limits: _Limits) -> Element:
    lines = paragraphs(view.text_body, max_chars=limits.body_chars, max_lines=limits.body_lines)
    items: list[Element] = [*lines] or [text(_("(no text)"), subtle=True)]
    if view.has_noreply_footer:
        footer = one_line(view.footer_text or "", 500) or DEFAULT_FOOTER
        if footer not in one_line(" ".join(_texts(lines)), 100_000):
            items += [
                text(_("Footer added to every message:"), subtle=True, separator=True),
                text(footer, subtle=True, spacing="None"),
            ]
    return container(items, style="emphasis", spacing="Medium")


def _texts(blocks: list[Element]) -> list[str]:
    return [str(inline["text"]) for block in blocks for inline in block["inlines"]]


def _actions(view: PreviewView) -> list[Element]:
    data = request_data(view.request_id, view.version)
    actions: list[Element] = [
        execute(_("Request approval"), verbs.REQUEST_APPROVAL, data, style="positive")
        if view.needs_approval
        else execute(_("Send"), verbs.SEND, data, style="positive"),
    ]
    actions += [execute(_("Edit"), verbs.EDIT, data), execute(_("Cancel"), verbs.CANCEL, data)]
    if view.preview_url and is_web_url(view.preview_url):
        actions.append(open_url(_("View full preview"), view.preview_url))
    return actions


def _send_later(view: PreviewView) -> dict[str, Any]:
    """ "Send later": a quick pick, or a date and a time — both read in the user's time zone
    (the one their Teams client reports) when sent. One button, so the preview stays within
    the Teams Store's six actions.

    The button and its card are the same in every preview of a language but for the request
    their button sends: they are built once per language and given this request's data
    (validating their models anew was about 4 % of a preview turn's CPU)."""
    later = _send_later_json(current().code)
    form = later["card"]
    chosen = verbs.SendLater(view.request_id, view.version).data()
    button = {**form["actions"][0], "data": chosen}
    return {**later, "card": {**form, "actions": [button]}}


@cache
def _send_later_json(language: str) -> dict[str, Any]:
    """``_send_later``'s button as JSON in ``language`` (the current one), its data empty.
    Shared by every card that shows it: nothing changes a card once built."""
    choices = [Choice(title=_("At the date and time below"), value="")]
    choices += [Choice(title=_(label), value=key) for key, label in verbs.QUICK_PICKS.items()]
    later = AdaptiveCard(
        body=[
            text_model(_("Send it at a time of your choosing, in your own time zone.")),
            ChoiceSetInput(id="pick", label=_("When"), style="compact", choices=choices, value=""),
            DateInput(id="send_date", label=_("Date"), spacing="Medium"),
            TimeInput(id="send_time", label=_("Time"), value="09:00"),
        ],
        actions=[execute_model(_("Send at this time"), verbs.SEND_LATER, {}, style="positive")],
    )
    return ShowCardAction(title=_("Send later"), card=later).model_dump(
        by_alias=True, exclude_none=True
    )
