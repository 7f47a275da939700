"""The template catalog: load and check every template once, then validate values and render.

A template is a folder ``templates/<name>/`` with ``template.toml`` (see
:mod:`bot.rendering.metadata`), ``body.html.j2`` and, optionally, ``body.txt.j2``. Layouts
live in ``templates/_layouts/``; a body extends one (``{% extends "_layouts/default.html.j2"
%}``). Without ``body.txt.j2`` the text part is derived from the HTML.

Loading compiles every file once (the compiled templates are kept for the catalog's life),
checks that templates use only declared variables, and renders every template with its sample
values for every sender kind, with and without the optional values. Anything wrong stops the
load with a :class:`~bot.errors.TemplateLoadError` naming the file and, when known, the line.

Templates see their variables by name, plus ``sender`` (a :class:`RenderSender`),
``noreply_footer`` (a :class:`NoReplyFooter` for no-reply senders, else None) and, in bodies,
``subject`` (the rendered subject).
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta, nodes
from markupsafe import escape

from bot.errors import (
    FieldError,
    TemplateLoadError,
    TemplateRenderError,
    UnknownTemplate,
    ValuesInvalid,
)
from bot.rendering.metadata import RESERVED_NAMES, Template, TomlLines, read_metadata
from bot.rendering.sandbox import MailroomSandbox, render_bounded
from bot.rendering.sender import (
    DEFAULT_NOREPLY_FOOTER,
    SENDER_KINDS,
    NoReplyFooter,
    RenderSender,
)
from bot.rendering.text import html_to_text
from bot.rendering.variables import VariableType

MAX_SUBJECT_LENGTH = 255
LAYOUTS_FOLDER = "_layouts"

_TEMPLATE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_BLANK_RUNS = re.compile(r"\n{3,}")
_LINE_BREAK = re.compile(r"[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
#: What a template expression can raise while rendering; each becomes a TemplateRenderError.
_RENDER_FAILURES = (
    jinja2.TemplateError,
    ArithmeticError,
    AttributeError,
    LookupError,
    RecursionError,
    TypeError,
    ValueError,
)


@dataclass(frozen=True)
class RenderedEmail:
    """A rendered message: a one-line subject, an HTML body and its plain-text rendition."""

    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class _Compiled:
    template: Template
    folder: Path
    lines: TomlLines
    subject: jinja2.Template
    subject_variables: tuple[str, ...]
    html: jinja2.Template
    text: jinja2.Template | None


def _squash(text: str) -> str:
    return " ".join(text.split())


def _tidy(text: str) -> str:
    """Text bodies: no trailing spaces, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy = _BLANK_RUNS.sub("\n\n", "\n".join(lines))
    return tidy + "\n" if tidy else ""


def _contains(haystack: str, needle: str) -> bool:
    return needle in haystack or _squash(needle) in _squash(haystack)


def _template_frame(exc: BaseException) -> tuple[str, int] | None:
    """The innermost template file and line in ``exc``'s traceback (Jinja rewrites frames)."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.lineno:
        return exc.filename or exc.name or "<template>", exc.lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2") or frame.filename == "<template>":
            return frame.filename, frame.lineno or 0
    return None


def _assigned_names(ast: nodes.Template) -> set[str]:
    """Names the template itself defines anywhere (set, import, macro).

    Blocks read top-level assignments through the context, and a macro may call itself,
    so these never count as undeclared. StrictUndefined still catches misuse at render.
    """
    names: set[str] = set()
    for node in ast.find_all(
        (nodes.Assign, nodes.AssignBlock, nodes.Import, nodes.FromImport, nodes.Macro)
    ):
        if isinstance(node, nodes.Assign | nodes.AssignBlock):
            names.update(n.name for n in node.target.find_all(nodes.Name))
            if isinstance(node.target, nodes.Name):
                names.add(node.target.name)
        elif isinstance(node, nodes.Import):
            names.add(node.target)
        elif isinstance(node, nodes.FromImport):
            names.update(n if isinstance(n, str) else n[1] for n in node.names)
        elif isinstance(node, nodes.Macro):
            names.add(node.name)
    return names


def _describe(exc: BaseException) -> str:
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"no template file {exc.name!r} inside the templates folder (only *.j2 files)"
    if isinstance(exc, jinja2.TemplateError):
        return exc.message or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


class TemplateCatalog:
    """Every template of one folder, compiled and checked. Build it with :meth:`load`."""

    def __init__(self, root: Path, environment: MailroomSandbox) -> None:
        self._root = root
        self._environment = environment
        self._entries: dict[str, _Compiled] = {}

    # --- loading ------------------------------------------------------------------------

    @classmethod
    def load(cls, templates_dir: Path) -> TemplateCatalog:
        """Load, compile and check every template; raise the first problem found."""
        catalog, problems = cls.load_checked(templates_dir)
        if problems:
            raise problems[0]
        return catalog

    @classmethod
    def load_checked(cls, root: Path) -> tuple[TemplateCatalog, list[TemplateLoadError]]:
        """The catalog and every problem found (``load`` raises the first)."""
        if not root.is_dir():
            raise TemplateLoadError(str(root), "is not a folder")
        catalog = cls(root, MailroomSandbox(root))
        problems = catalog._compile_layouts()
        if problems:
            return catalog, problems
        for folder in sorted(root.iterdir()):
            if not folder.is_dir() or folder.name.startswith(("_", ".")):
                continue
            try:
                catalog._entries[folder.name] = catalog._compile(folder)
            except TemplateLoadError as exc:
                problems.append(exc)
        if not catalog._entries and not problems:
            problems.append(
                TemplateLoadError(str(root), "has no templates (folders with a template.toml)")
            )
        for entry in list(catalog._entries.values()):
            problem = catalog._try_samples(entry)
            if problem is not None:
                problems.append(problem)
        return catalog, problems

    def _load_error(self, exc: BaseException, fallback: Path, problem: str) -> TemplateLoadError:
        frame = _template_frame(exc)
        if frame is None or frame[0] == "<template>":
            return TemplateLoadError(str(fallback), problem)
        return TemplateLoadError(frame[0], problem, line=frame[1])

    def _compile_layouts(self) -> list[TemplateLoadError]:
        problems = []
        layouts = self._root / LAYOUTS_FOLDER
        for path in sorted(layouts.glob("*.j2")) if layouts.is_dir() else ():
            try:
                self._environment.get_template(f"{LAYOUTS_FOLDER}/{path.name}")
            except jinja2.TemplateSyntaxError as exc:
                problems.append(self._load_error(exc, path, exc.message or "syntax error"))
        return problems

    def _compile(self, folder: Path) -> _Compiled:
        name = folder.name
        toml_path = folder / "template.toml"
        if not _TEMPLATE_NAME.fullmatch(name):
            raise TemplateLoadError(
                str(folder), "a template folder name is lower-case letters, digits and -"
            )
        if not toml_path.is_file():
            raise TemplateLoadError(str(toml_path), "is missing")
        template, lines = read_metadata(toml_path, name)
        env = self._environment
        try:
            subject_ast = env.parse(template.subject)
            subject = env.from_string(template.subject)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateLoadError(
                str(toml_path), f"subject: {exc.message}", line=lines.top("subject")
            ) from exc
        bodies: dict[str, jinja2.Template | None] = {}
        for kind in ("html", "txt"):
            filename = f"body.{kind}.j2"
            if kind == "txt" and not template.has_text_body:
                bodies[kind] = None
                continue
            try:
                bodies[kind] = env.get_template(f"{name}/{filename}")
                self._check_names(template, folder / filename, f"{name}/{filename}")
            except jinja2.TemplateNotFound as exc:
                raise TemplateLoadError(str(folder / filename), "is missing") from exc
            except jinja2.TemplateSyntaxError as exc:
                raise self._load_error(exc, folder / filename, exc.message or "syntax") from exc
        subject_variables = tuple(sorted(meta.find_undeclared_variables(subject_ast)))
        self._check_subject(template, toml_path, lines, subject_variables)
        html = bodies["html"]
        assert html is not None
        return _Compiled(template, folder, lines, subject, subject_variables, html, bodies["txt"])

    def _check_names(self, template: Template, path: Path, loader_name: str) -> None:
        """Refuse a body that reads a variable the template does not declare."""
        env = self._environment
        assert env.loader is not None
        source, _, _ = env.loader.get_source(env, loader_name)
        ast = env.parse(source, loader_name, str(path))
        known = set(template.variable_names) | RESERVED_NAMES | set(env.globals)
        known |= _assigned_names(ast)
        unknown = sorted(meta.find_undeclared_variables(ast) - known)
        if unknown:
            line = next((n.lineno for n in ast.find_all(nodes.Name) if n.name == unknown[0]), None)
            raise TemplateLoadError(
                str(path),
                f"uses {unknown[0]!r}, which template.toml does not declare "
                f"(declared: {', '.join(template.variable_names) or 'none'})",
                line=line,
            )

    @staticmethod
    def _check_subject(
        template: Template, path: Path, lines: TomlLines, used: tuple[str, ...]
    ) -> None:
        declared = set(template.variable_names) | {"sender"}
        for name in used:
            variable = template.variable(name)
            if name not in declared:
                problem = f"subject uses {name!r}, which is not a declared variable"
            elif variable is not None and variable.type is VariableType.TEXT:
                problem = f"subject uses {name!r}, a multi-line text variable"
            else:
                continue
            raise TemplateLoadError(str(path), problem, line=lines.top("subject"))

    def _try_samples(self, entry: _Compiled) -> TemplateLoadError | None:
        """Render with the sample values for every sender kind, full and minimal."""
        template = entry.template
        toml_path = entry.folder / "template.toml"
        full = template.sample_values()
        minimal = {v.name: v.sample for v in template.variables if v.required}
        for kind in SENDER_KINDS:
            sender = RenderSender(
                address="mailroom-check@contoso.com",
                display_name="Mailroom Check",
                kind=kind,
                help_contact="the Service Desk at servicedesk@contoso.com",
            )
            for values in (full, minimal):
                try:
                    email = self.render(template.name, values, sender)
                except ValuesInvalid as exc:
                    return TemplateLoadError(str(toml_path), f"sample values are refused: {exc}")
                except TemplateRenderError as exc:
                    problem = f"rendering for a {kind} sender failed: {exc.problem}"
                    frame = _template_frame(exc.__cause__ or exc)
                    if frame is not None and frame[0] == "<template>":
                        subject_line = entry.lines.top("subject")
                        return TemplateLoadError(str(toml_path), problem, line=subject_line)
                    return self._load_error(
                        exc.__cause__ or exc, entry.folder / "body.html.j2", problem
                    )
                if kind != "noreply" and _contains(email.text, DEFAULT_NOREPLY_FOOTER):
                    return TemplateLoadError(
                        str(entry.folder / "body.html.j2"),
                        f"shows the do-not-reply footer to a {kind} sender",
                    )
        return None

    # --- queries ------------------------------------------------------------------------

    def names(self) -> tuple[str, ...]:
        """The template names, sorted."""
        return tuple(sorted(self._entries))

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def get(self, name: str) -> Template:
        """The metadata of template ``name``; UnknownTemplate if there is none."""
        return self._entry(name).template

    def _entry(self, name: str) -> _Compiled:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownTemplate(name, self.names()) from None

    # --- values -------------------------------------------------------------------------

    def validate(
        self, name: str, raw_values: Mapping[str, str], zone: tzinfo | None = None
    ) -> dict[str, object]:
        """Coerce ``raw_values`` to the declared types; ValuesInvalid lists every bad field.
        ``zone``: the user's time zone, which a date and time without an offset is in.

        Unknown names, missing required values, over-long or malformed values are all
        reported together. An empty value means "not given": the default applies, else
        the value is None (or an error when required).
        """
        template = self._entry(name).template
        errors: list[FieldError] = []
        declared = template.variable_names
        for key in sorted(k for k in raw_values if k not in declared):
            errors.append(
                FieldError(
                    str(key),
                    "is not a variable of this template",
                    "one of: " + ", ".join(declared) if declared else "no variables",
                )
            )
        values: dict[str, object] = {}
        for variable in template.variables:
            raw: object = raw_values.get(variable.name)
            if raw is not None and not isinstance(raw, str):
                errors.append(FieldError(variable.name, "must be text", variable.accepted))
                continue
            if raw is None or not raw.strip():
                if variable.default is not None:
                    raw = variable.default
                elif variable.required:
                    errors.append(FieldError(variable.name, "is required", variable.accepted))
                    continue
                else:
                    values[variable.name] = None
                    continue
            assert isinstance(raw, str)
            parsed = variable.parse(raw, zone)
            if isinstance(parsed, FieldError):
                errors.append(parsed)
            else:
                values[variable.name] = parsed
        if errors:
            raise ValuesInvalid(errors)
        return values

    # --- rendering ----------------------------------------------------------------------

    def render(
        self,
        name: str,
        raw_values: Mapping[str, str],
        sender: RenderSender,
        zone: tzinfo | None = None,
    ) -> RenderedEmail:
        """Validate ``raw_values`` and render template ``name`` for ``sender``.

        Raises ValuesInvalid (bad values, or a subject they make longer than 255
        characters), TemplateRenderError (the template failed or broke a rule: output over
        1 MB, too much work, a subject that is not one line, a missing do-not-reply footer)
        or UnknownTemplate.
        """
        entry = self._entry(name)
        values = self.validate(name, raw_values, zone)
        footer = sender.noreply_footer
        context: dict[str, Any] = {**values, "sender": sender, "noreply_footer": footer}
        context["subject"] = self._subject(entry, context, values)
        html = self._run(entry, entry.html, context)
        text = _tidy(self._run(entry, entry.text, context)) if entry.text else html_to_text(html)
        if footer is not None:
            self._require_footer(name, footer, html, text)
        return RenderedEmail(subject=context["subject"], html=html, text=text)

    def _run(self, entry: _Compiled, template: jinja2.Template, context: dict[str, Any]) -> str:
        try:
            return render_bounded(template, context)
        except _RENDER_FAILURES as exc:
            frame = _template_frame(exc)
            where = ""
            if frame is not None:
                file = frame[0]
                if file == "<template>":
                    file = "the subject"
                elif Path(file).is_relative_to(self._root):
                    file = str(Path(file).relative_to(self._root))
                where = f"{file}, line {frame[1]}: "
            raise TemplateRenderError(entry.template.name, where + _describe(exc)) from exc

    def _subject(
        self, entry: _Compiled, context: dict[str, Any], values: Mapping[str, object]
    ) -> str:
        name = entry.template.name
        raw = self._run(entry, entry.subject, context)
        if _LINE_BREAK.search(raw):
            raise TemplateRenderError(name, "the subject is not one line")
        subject = _squash(raw)
        if not subject:
            raise TemplateRenderError(name, "the subject is empty")
        if len(subject) > MAX_SUBJECT_LENGTH:
            filled = [v for v in entry.subject_variables if values.get(v) not in (None, "")]
            if not filled:
                raise TemplateRenderError(name, f"the subject is over {MAX_SUBJECT_LENGTH} long")
            longest = max(filled, key=lambda v: len(str(values[v])))
            raise ValuesInvalid(
                [
                    FieldError(
                        longest,
                        f"makes the subject {len(subject)} characters long",
                        f"a shorter value (a subject has at most {MAX_SUBJECT_LENGTH} characters)",
                    )
                ]
            )
        return subject

    @staticmethod
    def _require_footer(name: str, footer: NoReplyFooter, html: str, text: str) -> None:
        for sentence in (footer.text, footer.help_line):
            if sentence is None:
                continue
            if not _contains(html, str(escape(sentence))):
                raise TemplateRenderError(
                    name, "the do-not-reply footer is missing from the HTML body"
                )
            if not _contains(text, sentence):
                raise TemplateRenderError(
                    name, "the do-not-reply footer is missing from the text body"
                )


def check_templates(templates_dir: Path) -> list[TemplateLoadError]:
    """Every problem with the templates in ``templates_dir`` (empty when all are fine)."""
    try:
        _, problems = TemplateCatalog.load_checked(templates_dir)
    except TemplateLoadError as exc:
        return [exc]
    return problems
