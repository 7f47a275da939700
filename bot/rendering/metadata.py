"""``template.toml``: a template's title, description, subject and typed variables.

::

    title = "Reply to a support ticket"
    description = "Answer a customer from the support mailbox."
    subject = "Re: [#{{ ticket_id }}] {{ ticket_subject }}"

    [[variables]]
    name = "ticket_id"          # lower case, digits and _ ; unique
    type = "string"             # string text email email_list date datetime number choice url
    label = "Ticket number"     # optional; defaults to the name in words
    required = true             # optional; default false
    max_length = 20             # optional; a default per type
    help = "The number in the ticket's title, e.g. 48213."
    sample = "48213"            # optional if a default is given; used by check and previews
    default = "…"               # optional; used when the value is left empty
    options = ["a", "b"]        # choice only
    minimum = 0                 # number only (optional), likewise maximum

Every problem is a :class:`~bot.errors.TemplateLoadError` naming the file and, where it can
be found, the line.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.errors import FieldError, TemplateLoadError
from bot.rendering.variables import (
    DEFAULT_MAX_LENGTH,
    MAX_VALUE_LENGTH,
    Variable,
    VariableType,
)

#: Names templates get from Mailroom (or Jinja); a variable may not take one of them.
RESERVED_NAMES = frozenset(
    {
        "sender",
        "noreply_footer",
        "subject",
        "template",
        "loop",
        "self",
        "super",
        "caller",
        "varargs",
        "kwargs",
        "range",
        "dict",
        "cycler",
        "joiner",
        "true",
        "false",
        "none",
    }
)
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_TOP_KEYS = frozenset({"title", "description", "subject", "variables"})
_VARIABLE_KEYS = frozenset(
    {
        "name",
        "type",
        "label",
        "required",
        "max_length",
        "help",
        "sample",
        "default",
        "options",
        "minimum",
        "maximum",
    }
)
MAX_SUBJECT_SOURCE = 1_000


@dataclass(frozen=True)
class Template:
    """A template's metadata: what a compose form shows and what values it takes."""

    name: str
    title: str
    description: str
    subject: str
    variables: tuple[Variable, ...]
    has_text_body: bool

    def variable(self, name: str) -> Variable | None:
        return next((v for v in self.variables if v.name == name), None)

    @property
    def variable_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    def sample_values(self) -> dict[str, str]:
        """Raw sample values for every variable that has one (previews, checks, benchmarks)."""
        return {v.name: v.sample for v in self.variables if v.sample}


class TomlLines:
    """Finds the line of a key in ``template.toml`` (best effort; None when not found)."""

    def __init__(self, source: str) -> None:
        self._lines = source.splitlines()
        self._blocks: list[int] = [
            i for i, line in enumerate(self._lines) if re.match(r"\s*\[\[\s*variables\s*\]\]", line)
        ]

    def _find(self, key: str, start: int, stop: int) -> int | None:
        pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
        for i in range(start, stop):
            if pattern.match(self._lines[i]):
                return i + 1
        return None

    def top(self, key: str) -> int | None:
        first_table = next(
            (i for i, line in enumerate(self._lines) if line.lstrip().startswith("[")),
            len(self._lines),
        )
        return self._find(key, 0, first_table)

    def variable(self, index: int, key: str | None = None) -> int | None:
        if index >= len(self._blocks):
            return None
        start = self._blocks[index]
        stop = next(
            (
                i
                for i in range(start + 1, len(self._lines))
                if self._lines[i].lstrip().startswith("[")
            ),
            len(self._lines),
        )
        found = self._find(key, start + 1, stop) if key else None
        return found if found is not None else start + 1


def _raw_text(value: object) -> str | None:
    """A TOML value as the text a user would type, or None if it cannot be one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    return None


class _MetadataReader:
    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TemplateLoadError(str(path), f"cannot read the file: {exc}") from exc
        self.lines = TomlLines(source)
        try:
            self.data = tomllib.loads(source)
        except tomllib.TOMLDecodeError as exc:
            found = re.search(r"at line (\d+)", str(exc))
            raise TemplateLoadError(
                str(path), f"not valid TOML: {exc}", line=int(found[1]) if found else None
            ) from exc

    def fail(self, problem: str, line: int | None) -> TemplateLoadError:
        return TemplateLoadError(str(self.path), problem, line=line)

    def text(self, key: str, *, required: bool) -> str:
        value = self.data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(f"'{key}' must be a non-empty string", self.lines.top(key))
        return value.strip()

    def read(self) -> Template:
        unknown = sorted(set(self.data) - _TOP_KEYS)
        if unknown:
            raise self.fail(
                f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_TOP_KEYS))})",
                self.lines.top(unknown[0]),
            )
        subject = self.text("subject", required=True)
        if "\n" in subject or "\r" in subject:
            raise self.fail("'subject' must be one line", self.lines.top("subject"))
        if len(subject) > MAX_SUBJECT_SOURCE:
            raise self.fail("'subject' is too long", self.lines.top("subject"))
        raw_variables = self.data.get("variables", [])
        if not isinstance(raw_variables, list):
            raise self.fail("'variables' must be [[variables]] tables", self.lines.top("variables"))
        variables: list[Variable] = []
        for index, raw in enumerate(raw_variables):
            variable = self.variable(index, raw)
            if any(v.name == variable.name for v in variables):
                raise self.fail(
                    f"variable {variable.name!r} is declared twice", self.lines.variable(index)
                )
            variables.append(variable)
        return Template(
            name=self.name,
            title=self.text("title", required=True),
            description=self.text("description", required=False),
            subject=subject,
            variables=tuple(variables),
            has_text_body=(self.path.parent / "body.txt.j2").is_file(),
        )

    def variable(self, index: int, raw: object) -> Variable:
        def fail(problem: str, key: str | None = None) -> TemplateLoadError:
            return self.fail(f"variable #{index + 1}: {problem}", self.lines.variable(index, key))

        if not isinstance(raw, dict):
            raise fail("must be a table")
        unknown = sorted(set(raw) - _VARIABLE_KEYS)
        if unknown:
            raise fail(f"unknown key {unknown[0]!r}", unknown[0])
        name = raw.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise fail("'name' must be lower-case letters, digits and _ (at most 40)", "name")
        if name in RESERVED_NAMES:
            raise fail(f"the name {name!r} is reserved", "name")

        def fail_named(problem: str, key: str | None = None) -> TemplateLoadError:
            return self.fail(f"variable {name!r}: {problem}", self.lines.variable(index, key))

        try:
            kind = VariableType(str(raw.get("type")))
        except ValueError:
            allowed = ", ".join(t.value for t in VariableType)
            raise fail_named(f"'type' must be one of {allowed}", "type") from None
        required = raw.get("required", False)
        if not isinstance(required, bool):
            raise fail_named("'required' must be true or false", "required")
        options = self._options(raw.get("options"), kind, fail_named)
        max_length = raw.get(
            "max_length",
            max([DEFAULT_MAX_LENGTH[kind], *map(len, options)]),
        )
        if (
            isinstance(max_length, bool)
            or not isinstance(max_length, int)
            or not 1 <= max_length <= MAX_VALUE_LENGTH
        ):
            raise fail_named(f"'max_length' must be from 1 to {MAX_VALUE_LENGTH}", "max_length")
        texts: dict[str, str] = {}
        for key in ("label", "help"):
            value = raw.get(key, "")
            if not isinstance(value, str):
                raise fail_named(f"'{key}' must be a string", key)
            texts[key] = value.strip()
        bounds: dict[str, Decimal | None] = {}
        for key in ("minimum", "maximum"):
            value = raw.get(key)
            if value is not None and (
                kind is not VariableType.NUMBER
                or isinstance(value, bool)
                or not isinstance(value, int | float)
            ):
                raise fail_named(f"'{key}' is a number, for number variables only", key)
            bounds[key] = None if value is None else Decimal(str(value))
        variable = Variable(
            name=name,
            type=kind,
            label=texts["label"] or name.replace("_", " ").capitalize(),
            required=required,
            max_length=max_length,
            help=texts["help"],
            options=options,
            minimum=bounds["minimum"],
            maximum=bounds["maximum"],
        )
        return self._with_examples(variable, raw, fail_named)

    @staticmethod
    def _options(raw: object, kind: VariableType, fail: Any) -> tuple[str, ...]:
        if kind is not VariableType.CHOICE:
            if raw is not None:
                raise fail("'options' is for choice variables only", "options")
            return ()
        if (
            not isinstance(raw, list)
            or not raw
            or not all(isinstance(o, str) and o.strip() and "\n" not in o for o in raw)
        ):
            raise fail("a choice needs 'options': a list of one-line strings", "options")
        options = tuple(o.strip() for o in raw)
        if len({o.casefold() for o in options}) != len(options):
            raise fail("'options' has the same option twice", "options")
        return options

    def _with_examples(self, variable: Variable, raw: dict[str, Any], fail: Any) -> Variable:
        found: dict[str, str | None] = {}
        for key in ("default", "sample"):
            value = raw.get(key)
            if value is None:
                found[key] = None
                continue
            text = _raw_text(value)
            if text is None or not text.strip():
                raise fail(f"'{key}' must be a value a user could type", key)
            parsed = variable.parse(text)
            if isinstance(parsed, FieldError):
                raise fail(f"'{key}' {parsed.problem} ({parsed.accepted})", key)
            found[key] = text
        sample = found["sample"] or found["default"]
        if sample is None and variable.required:
            raise fail("a required variable needs a 'sample' (or a 'default')", None)
        return replace(variable, default=found["default"], sample=sample or "")


def read_metadata(path: Path, name: str) -> tuple[Template, TomlLines]:
    """Parse and validate ``path`` (a ``template.toml``) for the template called ``name``."""
    reader = _MetadataReader(path, name)
    return reader.read(), reader.lines
