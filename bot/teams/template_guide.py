"""What ``/templates <name>`` shows: each variable with an example, and a one-line
``/send`` that the parser reads back to exactly those values (a test holds it to that)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.permissions import Outcome
from bot.domain.senders import SenderConfig, SenderKind
from bot.flow.send_flow import SenderChoice
from bot.rendering import Variable
from bot.rendering.metadata import Template
from bot.rendering.variables import VariableType
from cards.template_guide import TemplateGuideView, VariableGuide

# For a variable without a sample or default: a value of its type the form accepts.
_BY_TYPE = {
    VariableType.STRING: "text",
    VariableType.TEXT: "text",
    VariableType.EMAIL: "someone@contoso.com",
    VariableType.EMAIL_LIST: "someone@contoso.com",
    VariableType.DATE: "2026-12-31",
    VariableType.DATETIME: "2026-12-31 09:00",
    VariableType.NUMBER: "1",
    VariableType.URL: "https://www.contoso.com",
}
_DOUBLE_QUOTES = ('"', "“", "”", "„", "«", "»")
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@.-_+/:,#")


def guide(template: Template, senders: Sequence[SenderChoice], to: str) -> TemplateGuideView:
    """``senders``: the user's choices (first: their own mailbox); ``to``: where the example
    sends — the user's own address, so a pasted command previews a message to themselves."""
    sender = sender_for(template.name, senders)
    return TemplateGuideView(
        name=template.name,
        title=template.title,
        description=template.description,
        variables=tuple(
            VariableGuide(v.name, v.type.value, v.required, example_of(v), v.label)
            for v in template.variables
        ),
        command=ready_command(template, _typed(sender) if sender else "<sender>", to),
        sender=sender.address if sender else None,
    )


def _typed(sender: SenderConfig) -> str:
    """How the user names the sender in ``from:`` (their own mailbox is "me")."""
    return "me" if sender.kind is SenderKind.SELF else sender.key


def sender_for(name: str, senders: Sequence[SenderChoice]) -> SenderConfig | None:
    """The sender the example uses: one the user may use that names this template, else
    any they may use that offers it (their own mailbox last)."""
    usable = [
        c.sender
        for c in senders
        if c.decision.outcome is not Outcome.DENIED and c.sender.allows_template(name)
    ]
    ranked = sorted(
        usable,
        key=lambda s: (s.templates is None, s.kind is SenderKind.SELF),
    )
    return ranked[0] if ranked else None


def example_of(variable: Variable) -> str:
    """The variable's sample, else its default, else its first option or a value of its type,
    on one line."""
    value = variable.sample or variable.default or ""
    if not value and variable.options:
        value = variable.options[0]
    if not value:
        value = _BY_TYPE.get(variable.type, "text")
    return " ".join(value.split())


def ready_command(template: Template, sender: str, to: str) -> str:
    """``/send`` with the sender, the template, ``to`` and a value for every variable that
    needs one (optional ones with a sample too, to show their shape)."""
    parts = ["/send", f"from:{sender}", f"template:{template.name}", f"to:{quoted(to)}"]
    for variable in template.variables:
        if variable.required or variable.sample:
            parts.append(f"{variable.name}={quoted(example_of(variable))}")
    return " ".join(parts)


def quoted(value: str) -> str:
    """``value`` as the parser reads one token: bare when it is plain, else in double quotes
    with ``\\`` and ``"`` escaped."""
    if value and set(value) <= _PLAIN:
        return value
    escaped = value.replace("\\", "\\\\")
    for quote in _DOUBLE_QUOTES:  # Teams' curly quotes too: the parser reads them as "
        escaped = escaped.replace(quote, "\\" + quote)
    return f'"{escaped}"'
