"""Email templates: typed variables, a bounded Jinja sandbox, layouts and the no-reply footer.

Public API::

    from bot.rendering import TemplateCatalog, RenderSender

    catalog = TemplateCatalog.load(Path("templates"))   # TemplateLoadError(path, line)
    catalog.names()                                      # ("hr-announcement", ...)
    template = catalog.get("ticket-reply")               # Template: title, variables, ...
    values = catalog.validate("ticket-reply", raw)       # ValuesInvalid([FieldError, ...])
    email = catalog.render("ticket-reply", raw, RenderSender(
        address="support@contoso.com", display_name="Contoso Support", kind="shared"))
    email.subject, email.html, email.text
    html_to_text(html)                                   # readable text for previews

``check_templates(dir)`` returns every problem instead of raising the first.
Modules: :mod:`~bot.rendering.catalog` (loading, validation, rendering),
:mod:`~bot.rendering.metadata` (``template.toml``), :mod:`~bot.rendering.variables` (types),
:mod:`~bot.rendering.sandbox` (the bounded Jinja environment and its limits),
:mod:`~bot.rendering.filters`, :mod:`~bot.rendering.datetimes`, :mod:`~bot.rendering.text`,
:mod:`~bot.rendering.sender`.
"""

from bot.rendering.catalog import (
    MAX_SUBJECT_LENGTH,
    RenderedEmail,
    TemplateCatalog,
    check_templates,
)
from bot.rendering.metadata import Template
from bot.rendering.sandbox import MAX_OUTPUT_BYTES
from bot.rendering.sender import (
    DEFAULT_NOREPLY_FOOTER,
    SENDER_KINDS,
    NoReplyFooter,
    RenderSender,
    SenderKind,
)
from bot.rendering.text import html_to_text
from bot.rendering.variables import Variable, VariableType

__all__ = [
    "DEFAULT_NOREPLY_FOOTER",
    "MAX_OUTPUT_BYTES",
    "MAX_SUBJECT_LENGTH",
    "SENDER_KINDS",
    "NoReplyFooter",
    "RenderSender",
    "RenderedEmail",
    "SenderKind",
    "Template",
    "TemplateCatalog",
    "Variable",
    "VariableType",
    "check_templates",
    "html_to_text",
]
