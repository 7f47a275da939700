"""The compose card: pick a template, then fill in recipients and the template's variables.

Each ``FieldView`` becomes the typed input for its kind, labelled, with client-side checks
(``isRequired``, ``maxLength``, ``regex``) and, when the bot found a problem, the message in
red right under it. The bot validates everything again; the client checks only save a trip.

Size: the card must stay under 28 KB whatever was typed. It is built as fully as possible
(help lines, placeholders), then leaner, and as a last resort the largest pre-filled values are
*withheld*: the input is shown empty with a note, it is no longer required, and the Preview
button's data carries ``"kept": "name,name"`` — the bot keeps the stored value for a listed
input that comes back empty.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from microsoft_teams.cards import (
    ActionSet,
    AdaptiveCard,
    CardElement,
    Choice,
    ChoiceSetInput,
    Column,
    ColumnSet,
    Container,
    DateInput,
    NumberInput,
    TeamsCardProperties,
    TextInput,
    TimeInput,
    ToggleVisibilityAction,
)

from bot.i18n import N_, _, n_
from cards import verbs
from cards._common import whole_numbers
from cards._parts import (
    MAX_CARD_BYTES,
    card_bytes,
    draft_data,
    execute,
    finish,
    fit,
    heading,
    hint,
    labelled,
    text,
)
from cards.blocks import one_line
from cards.views import ComposeView, FieldView, TemplateOption

EMAIL_REGEX = r"^\s*[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+\s*$"
# To, Cc and Bcc take what Outlook copies ("Doe, John" <john@contoso.com>; Jane Roe <…>),
# which no regex reads reliably: the client only asks for one address somewhere in it,
# the bot parses the list properly and names each entry it can't read.
EMAIL_LIST_REGEX = r"^\s*$|^[\s\S]*[^@\s,;<>]@[^@\s,;<>]+\.[^@\s,;<>]+[\s\S]*$"
URL_REGEX = r"^\s*https?://\S+\s*$"

TIME_SUFFIX = "__time"  # a datetime field's time part: input id "<name>__time"
BULK_CONTAINER_ID = "bulk"
KEPT_KEY = "kept"  # Preview data: inputs whose long values were withheld from the card

IMPORTANCE = ((N_("Low"), "low"), (N_("Normal"), "normal"), (N_("High"), "high"))

_RECIPIENT_LABELS = {
    "to": N_("To"),
    "cc": N_("Cc"),
    "bcc": N_("Bcc (hidden from other recipients)"),
}
_HELP_CHARS = 300
_DATETIME = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}))?")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class _Style:
    helps: bool  # help lines and placeholders
    checks: bool  # client-side regex checks (the bot validates again anyway)
    choice_chars: int  # template choice titles
    error_chars: int
    max_errors: int  # general errors shown
    row_errors: int = 20  # the bulk CSV's problems shown, one a line
    withheld: frozenset[str] = frozenset()


_FULL = _Style(helps=True, checks=True, choice_chars=160, error_chars=300, max_errors=10)
_LEAN = _Style(helps=False, checks=True, choice_chars=80, error_chars=160, max_errors=5,
               row_errors=10)  # fmt: skip
_BARE = _Style(helps=False, checks=False, choice_chars=60, error_chars=80, max_errors=3,
               row_errors=3)  # fmt: skip


def build(view: ComposeView) -> dict[str, Any]:
    if view.template is None:
        return fit(*(partial(_picker, view, style) for style in (_FULL, _LEAN, _BARE)))
    for style in (_FULL, _LEAN, _BARE):
        card = _form(view, style)
        if card_bytes(card) < MAX_CARD_BYTES:
            return card
    for style in (_LEAN, _BARE):
        card = _withholding(view, style)
        if card_bytes(card) < MAX_CARD_BYTES:
            break
    return card


def _withholding(view: ComposeView, style: _Style) -> dict[str, Any]:
    """Withhold the longest pre-filled values, one at a time, until the card fits."""
    values = sorted(
        ((len(f.value), name) for name, f in _named_fields(view) if f.value),
        reverse=True,
    )
    withheld: set[str] = set()
    card = _form(view, style)
    for _length, name in values:
        withheld.add(name)
        card = _form(view, replace(style, withheld=frozenset(withheld)))
        if card_bytes(card) < MAX_CARD_BYTES:
            break
    return card


def _named_fields(view: ComposeView) -> list[tuple[str, FieldView]]:
    named = [(name, _recipient_field(view, name)) for name in _RECIPIENT_LABELS]
    named += [(f.name, f) for f in view.fields]
    if view.bulk_csv is not None:
        named.append((view.bulk_csv.name, view.bulk_csv))
    return named


# --- step 1: the template ------------------------------------------------------------------


def _picker(view: ComposeView, style: _Style) -> dict[str, Any]:
    body: list[CardElement] = [
        heading(_("New email")),
        labelled(_("From"), one_line(view.from_line, 300)),
    ]
    body += _general_errors(view.errors, style)
    actions = []
    if view.templates:
        body.append(
            ChoiceSetInput(
                id="template",
                label=_("Template"),
                style="filtered" if len(view.templates) > 8 else "compact",
                choices=[_template_choice(t, style.choice_chars) for t in view.templates],
                is_required=True,
                error_message=_("Pick a template."),
                placeholder=_("Choose a template") if style.helps else None,
                spacing="Medium",
            )
        )
        actions.append(
            execute(
                _("Next"),
                verbs.PICK_TEMPLATE,
                draft_data(view.draft_id, view.version),
                style="positive",
            )
        )
    else:
        body.append(
            text(_("No templates are available for this sender. Ask your Mailroom administrator."))
        )
    actions.append(
        execute(_("Cancel"), verbs.COMPOSE_CANCEL, draft_data(view.draft_id, view.version))
    )
    return finish(AdaptiveCard(body=body, actions=actions, msteams=_WIDE))


def _template_choice(template: TemplateOption, limit: int) -> Choice:
    title = template.title or template.name
    if template.description:
        title = f"{title} — {template.description}"
    return Choice(title=one_line(title, limit), value=template.name)


# --- step 2: the form ----------------------------------------------------------------------


def _form(view: ComposeView, style: _Style) -> dict[str, Any]:
    body: list[CardElement] = [
        heading(_("New email")),
        labelled(_("From"), one_line(view.from_line, 300)),
    ]
    chosen = next((t for t in view.templates if t.name == view.template), None)
    template_title = chosen.title if chosen and chosen.title else (view.template or "")
    body.append(labelled(_("Template"), one_line(template_title, 160), spacing="None"))
    body += _general_errors(view.errors, style)
    for name in _RECIPIENT_LABELS:
        body += _input(_recipient_field(view, name), style)
    body.append(
        ChoiceSetInput(
            id="importance",
            label=_("Importance"),
            style="compact",
            choices=[Choice(title=_(title), value=value) for title, value in IMPORTANCE],
            value=view.importance if view.importance in dict(IMPORTANCE).values() else "normal",
        )
    )
    for field in view.fields:
        body += _input(field, style)
    if view.bulk_csv is not None:
        body += _bulk(view.bulk_csv, style)
    body += _files(view, style)
    data: dict[str, str | int] = draft_data(view.draft_id, view.version)
    if style.withheld:
        data[KEPT_KEY] = ",".join(sorted(style.withheld))
    actions = [
        execute(_("Preview"), verbs.PREVIEW, data, style="positive"),
        execute(_("Cancel"), verbs.COMPOSE_CANCEL, draft_data(view.draft_id, view.version)),
    ]
    return finish(AdaptiveCard(body=body, actions=actions, msteams=_WIDE))


_WIDE = TeamsCardProperties(width="full")


def _files(view: ComposeView, style: _Style) -> list[CardElement]:
    """The files on the email, each with its size and a Remove button; how to add one."""
    shown: list[CardElement] = []
    if view.files:
        shown.append(text(_("Files"), weight="Bolder", spacing="Medium"))
    for file in view.files:
        remove = verbs.FileChoice(view.draft_id, view.version, file.sha256).data()
        shown.append(
            ColumnSet(
                columns=[
                    Column(
                        width="stretch", items=[text(f"{one_line(file.name, 120)} — {file.size}")]
                    ),
                    Column(
                        width="auto",
                        items=[
                            ActionSet(actions=[execute(_("Remove"), verbs.REMOVE_FILE, remove)])
                        ],
                    ),
                ],
                spacing="Small",
            )
        )
    if style.helps:
        shown.append(hint(_("To attach a file, send it here in the chat while this card is open.")))
    return shown


def _recipient_field(view: ComposeView, name: str) -> FieldView:
    given: FieldView | None = getattr(view, name)
    label = _(_RECIPIENT_LABELS[name])
    if given is None:
        return FieldView(name=name, label=label, type="email_list", required=name == "to")
    return replace(given, name=name, type="email_list", label=given.label or label)


def _general_errors(errors: tuple[str, ...], style: _Style) -> list[CardElement]:
    shown: list[CardElement] = [
        text(one_line(error, style.error_chars), color="Attention", spacing="Small")
        for error in errors[: style.max_errors]
    ]
    if len(errors) > style.max_errors:
        shown.append(hint(_("and {count} more problems", count=len(errors) - style.max_errors)))
    return shown


def _input(field: FieldView, style: _Style) -> list[CardElement]:
    withheld_chars = len(field.value) if field.name in style.withheld else 0
    if withheld_chars:
        field = replace(field, value="", required=False)
    elements = _typed_inputs(field, style)
    if withheld_chars:
        elements.append(
            text(
                n_(
                    "Your earlier entry ({count} character) is too long to show here and is "
                    "kept. Leave this empty to keep it, or type a new value.",
                    "Your earlier entry ({count} characters) is too long to show here and is "
                    "kept. Leave this empty to keep it, or type a new value.",
                    withheld_chars,
                )
                if style.helps or style.checks
                else _("Kept from before (too long to show). Leave empty to keep it."),
                color="Warning",
                spacing="None",
            )
        )
    if style.helps and field.help:
        elements.append(text(one_line(field.help, _HELP_CHARS), subtle=True, spacing="None"))
    if field.error:
        elements.append(
            text(one_line(field.error, style.error_chars), color="Attention", spacing="None")
        )
    return elements


def _typed_inputs(field: FieldView, style: _Style) -> list[CardElement]:
    common: dict[str, Any] = {
        "id": field.name,
        "label": field.label,
        "is_required": field.required or None,
        "error_message": _error_message(field),
    }
    placeholder = field.placeholder if style.helps else None
    if field.type == "date":
        value = field.value if _DATE.match(field.value.strip()) else None
        return [DateInput(value=value.strip() if value else None, **common)]
    if field.type == "datetime":
        date, time = _split_datetime(field.value)
        time_input = TimeInput(
            id=f"{field.name}{TIME_SUFFIX}",
            label=_("{label} (time)", label=field.label),
            is_required=field.required or None,
            error_message=_("Pick a time."),
            value=time,
            spacing="Small",
        )
        return [DateInput(value=date, **common), time_input]
    if field.type == "number":
        number = NumberInput(placeholder=placeholder, **common)
        return [whole_numbers(number, value=_number(field.value))]
    if field.type == "choice":
        value = field.value if field.value in field.options else None
        choices = [Choice(title=one_line(o, 120), value=o) for o in field.options]
        return [
            ChoiceSetInput(
                choices=choices,
                value=value,
                style="filtered" if len(choices) > 8 else "compact",
                # Never a sample here: grey option text looks selected when it is not.
                placeholder=_("Choose one") if style.helps and value is None else None,
                **common,
            )
        ]
    box = TextInput(
        value=field.value or None,
        regex=_regex(field) if style.checks else None,
        is_multiline=field.type == "text" or None,
        style=_TEXT_STYLES.get(field.type),
        placeholder=placeholder,
        **common,
    )
    return [whole_numbers(box, max_length=field.max_length)]


_TEXT_STYLES: dict[str, Any] = {"email": "Email", "url": "Url"}

_FORMAT_MESSAGES = {
    "email": N_("Enter an email address."),
    "email_list": N_("Enter email addresses, separated by commas or semicolons."),
    "url": N_("Enter a web address starting with https://."),
    "number": N_("Enter a number."),
    "date": N_("Pick a date."),
    "datetime": N_("Pick a date."),
    "choice": N_("Pick one of the options."),
}


def _error_message(field: FieldView) -> str | None:
    """The client-side message, when the client checks anything: the card's own words only
    (renderers may parse it as markdown, so no label or value goes in)."""
    if field.type in _FORMAT_MESSAGES:
        return _(_FORMAT_MESSAGES[field.type])
    if field.regex:
        return _("Check the format of this value.")
    if field.required:
        return _("This value is required.")
    if field.max_length:
        return _("This value is too long.")
    return None


def _regex(field: FieldView) -> str | None:
    if field.regex:
        return field.regex
    return {"email": EMAIL_REGEX, "email_list": EMAIL_LIST_REGEX, "url": URL_REGEX}.get(field.type)


def _split_datetime(value: str) -> tuple[str | None, str | None]:
    match = _DATETIME.match(value)
    if not match:
        return None, None
    return match.group(1), match.group(2)


def _number(value: str) -> float | None:
    """The pre-filled number, when it survives the trip through a JSON number exactly."""
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number) or abs(number) >= 2**53:
        return None
    return number


def _bulk(field: FieldView, style: _Style) -> list[CardElement]:
    opened = bool(field.value or field.error or field.name in style.withheld)
    items: list[CardElement] = [
        hint(
            _(
                "Paste CSV text: the first row names the variables, each further row is one "
                "personalised message."
            )
        )
    ]
    items += _input(replace(field, type="text", error=None), style)
    problems = [line for line in (field.error or "").split("\n") if line.strip()]
    if len(problems) > 1:
        items.append(
            text(
                n_("{count} problem in the CSV:", "{count} problems in the CSV:", len(problems)),
                color="Attention",
                spacing="Small",
            )
        )
    items += [
        text(one_line(problem, style.error_chars), color="Attention", spacing="None")
        for problem in problems[: style.row_errors]
    ]
    if len(problems) > style.row_errors:
        items.append(hint(_("and {count} more problems", count=len(problems) - style.row_errors)))
    return [
        ActionSet(
            actions=[
                ToggleVisibilityAction(
                    title=_("Send to a list (CSV)"), target_elements=[BULK_CONTAINER_ID]
                )
            ],
            spacing="Medium",
        ),
        Container(id=BULK_CONTAINER_ID, items=items, is_visible=opened),
    ]
