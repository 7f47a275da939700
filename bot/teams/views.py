"""Domain objects → the card views in ``cards/views.py`` (and so → cards)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bot.domain.explanations import Explanation
from bot.domain.permissions import Outcome
from bot.domain.references import reference_of
from bot.domain.senders import Policy
from bot.flow import privacy
from bot.flow.send_flow import (
    BULK_FIELD,
    TIME_SUFFIX,
    VAR_PREFIX,
    Compose,
    Preview,
    Refused,
    SenderChoice,
)
from bot.i18n import _
from bot.rendering import TemplateCatalog, Variable
from bot.teams.file_views import compose_files, file_views
from cards.views import (
    ComposeView,
    ExplanationView,
    FieldView,
    PreviewView,
    SenderKindName,
    SenderOption,
    TemplateOption,
)


def sender_options(choices: list[SenderChoice]) -> list[SenderOption]:
    options = []
    for choice in choices:
        decision = choice.decision
        available = decision.outcome is not Outcome.DENIED
        reason = None
        if not available:
            reason = decision.denials[0].text if decision.denials else _("not available")
        elif any(r.key == "not_verified" for r in decision.reasons):
            reason = _("not verified in advance: Exchange checks when sending")
        name = choice.sender.display_name
        if choice.sender.kind.value == "self":
            name = _("{name} (you)", name=name)
        options.append(
            SenderOption(
                address=choice.sender.address,
                display_name=name,
                kind=_kind(choice.sender.kind.value),
                from_line=choice.from_line,
                available=available,
                reason=reason,
                mode=choice.sender.mode.value,
            )
        )
    return options


def explanation_view(refused: Refused, *, retry_verb: str | None = None) -> ExplanationView:
    return explanation_of(refused.explanation, others=refused.others, request_id=refused.request_id,
                          retry_verb=retry_verb)  # fmt: skip


def explanation_of(
    text: Explanation,
    *,
    others: tuple[str, ...] = (),
    request_id: str | None = None,
    graph_request_id: str | None = None,
    retry_verb: str | None = None,
    retry_data: Mapping[str, str] | None = None,
) -> ExplanationView:
    return ExplanationView(
        title=text.title,
        what=text.what,
        why=text.why,
        fix=text.fix,
        who=text.who,
        request_id=request_id,
        graph_request_id=graph_request_id,
        retry_verb=retry_verb if text.retry else None,
        retry_data=dict(retry_data or {}),
        other_reasons=others,
        reference=reference_of(request_id) if request_id else "",
    )


def compose_view(step: Compose, catalog: TemplateCatalog) -> ComposeView:
    draft = step.draft
    templates = tuple(
        TemplateOption(n, catalog.get(n).title, catalog.get(n).description) for n in step.templates
    )
    values = dict(draft.fields)
    errors = step.errors
    base = ComposeView(
        draft_id=draft.id,
        version=draft.version,
        from_line=step.from_line,
        sender_kind=_kind(step.sender.kind.value),
        templates=templates,
        template=None,
        errors=_general(step, "template"),
        files=compose_files(draft.fields),
    )
    if draft.template is None:
        return base

    def address(name: str, label: str, required: bool) -> FieldView:
        return FieldView(
            name=name, label=label, type="email_list", required=required, max_length=20_000,
            placeholder="name@contoso.com, other@fabrikam.com", value=values.get(name, ""),
            error=errors.get(name),
        )  # fmt: skip

    template = catalog.get(draft.template)
    return replace(
        base,
        template=draft.template,
        to=address("to", _("To"), required=False),
        cc=address("cc", _("Cc"), required=False),
        bcc=address("bcc", _("Bcc"), required=False),
        importance=values.get("importance", "normal"),
        fields=tuple(_field(v, values, errors) for v in template.variables),
        bulk_csv=FieldView(
            name=BULK_FIELD,
            label=_(
                "Personalised bulk send (optional): CSV, first row = email,{names}",
                names=",".join(template.variable_names),
            ),
            type="text",
            max_length=200_000,
            value=values.get(BULK_FIELD, ""),
            error=errors.get(BULK_FIELD),
            help=_(
                "One message per row. A column fills its variable from each row (the field "
                "above is then not used); an empty cell of a required variable is an error."
            ),
        ),
    )


def _kind(value: str) -> SenderKindName:
    kinds: dict[str, SenderKindName] = {
        "self": "self", "send_as": "send_as", "send_on_behalf": "send_on_behalf",
        "shared": "shared", "noreply": "noreply",
    }  # fmt: skip
    return kinds[value]


def _field(variable: Variable, values: Mapping[str, str], errors: Mapping[str, str]) -> FieldView:
    name = VAR_PREFIX + variable.name
    # The template's default is the field's value until the user changes it (even to
    # nothing): a choice shows its default selected, never a sample that only looks so.
    # A datetime keeps its time: the card splits it into a date and a time input.
    value = values.get(name, variable.default or "")
    # Not required on the card itself: a bulk CSV's column may supply it, and Teams would
    # refuse the Preview click over an empty field the CSV fills. The label says so; the
    # bot checks, and answers next to the field (or the CSV's row) when it is missing.
    label = _("{label} (required)", label=variable.label) if variable.required else variable.label
    return FieldView(
        name=name,
        label=label,
        type=variable.type.value,
        required=False,
        max_length=variable.max_length,
        help=variable.help or None,
        placeholder=(variable.sample or None) if variable.type.value in _TYPED else None,
        options=variable.options,
        regex=variable.input_regex,
        value=value,
        error=errors.get(name) or errors.get(name + TIME_SUFFIX),
    )


#: Inputs a person types into, where a grey sample reads as an example: the only ones that
#: show the template's sample as a placeholder (a choice or a date would look filled in).
_TYPED = frozenset({"string", "text", "email", "email_list", "url", "number"})


def _general(step: Compose, *extra_fields: str) -> tuple[str, ...]:
    extra = tuple(step.errors[f] for f in extra_fields if f in step.errors)
    return step.general + extra


def preview_view(
    step: Preview, policy: Policy, preview_url: str | None, privacy_threshold: int = 10
) -> PreviewView:
    """The card's view of the preview; for a bulk request, of row ``step.row``'s message
    (the signed link then opens that row's full HTML)."""
    request = step.request
    content = request.content
    recipients = request.recipients
    subject = request.subject
    everyone = recipients.all()  # the outside warning counts every row's recipients
    exposed = privacy.exposed(recipients, policy.is_internal)
    if not privacy.needs_prompt(len(exposed), privacy_threshold, request.message_count):
        exposed = ()
    offer_one_each = bool(exposed) and privacy.can_send_one_each(recipients)
    if step.shown is not None:
        content, recipients = step.shown.content, step.shown.recipients
        subject = content.subject
    if preview_url and step.row > 1:
        preview_url = f"{preview_url}&message={step.row}"
    return PreviewView(
        request_id=request.id,
        version=request.version,
        from_line=step.from_line,
        to=recipients.to,
        cc=recipients.cc,
        bcc=recipients.bcc,
        subject=subject,
        text_body=content.text if content else "",
        has_noreply_footer=step.footer_text is not None,
        footer_text=step.footer_text,
        preview_url=preview_url,
        needs_approval=step.decision.outcome is Outcome.NEEDS_APPROVAL,
        approval_reasons=tuple(r.text for r in step.decision.approval_reasons),
        notes=tuple(r.text for r in step.decision.reasons if r.effect == "note"),
        external_recipients=tuple(a for a in everyone if not policy.is_internal(a)),
        message_count=request.message_count,
        reference=reference_of(request.id),
        exposed=exposed,
        offer_one_each=offer_one_each,
        row=step.row,
        schedule_error=step.schedule_error,
        can_send_later=step.sender.can_send_later,
        files=() if step.row_files else file_views(content.attachments if content else ()),
        row_files=tuple(
            f"{who}: {', '.join(names) if names else _('no files')}"
            for who, names in step.row_files
        ),
    )
