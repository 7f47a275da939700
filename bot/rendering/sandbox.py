"""The Jinja environment templates run in, and the limits that keep a render small and quick.

Users only ever supply *values*; templates are written by admins. Values are data: they are
never compiled, so template syntax typed into a form comes out literally (and escaped in HTML).

The environment is an :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` (no dunder or
private attributes, no mutation of lists/dicts, ``str.format`` refused) with
``StrictUndefined``, HTML autoescape for ``.html.j2`` / ``.html`` / ``.htm`` names (Jinja's
``select_autoescape`` would *not* match ``.html.j2``), and a loader that reads ``*.j2`` files
below the templates folder only (symlinks leading out are refused).

Bounded rendering — chosen instead of a timeout, because a Python thread cannot be stopped:

* **work budget**: every loop iteration and every call (functions, methods, macros) spends one
  step from a per-render budget of :data:`MAX_STEPS`; an exhausted budget aborts the render.
  The budget is per render (a ``ContextVar``), so concurrent renders never share it.
* **no state across iterations**: ``namespace()`` (the only way to carry a value out of a loop)
  and ``lipsum()`` are removed, so no loop can grow a string iteration after iteration.
* **bounded growth per operation**: ``*``, ``**``, ``+``, ``%`` and ``~`` refuse results over
  :data:`MAX_OUTPUT_CHARS` or integers over :data:`MAX_INT_BITS`; integer arguments to calls
  and filters are capped at :data:`MAX_INT_ARGUMENT` (``center(10**9)``, ``batch``, ``slice``,
  ``range`` …); ``replace``, ``indent`` and printf-style widths are estimated before they run;
  a string result of a call or filter over the cap is refused.
* **bounded output**: rendering streams and stops as soon as the output passes
  :data:`MAX_OUTPUT_BYTES` (1 MB, UTF-8).

Every violation raises :class:`jinja2.exceptions.SecurityError`; the catalog reports it as a
``TemplateRenderError`` (or ``TemplateLoadError`` while loading) naming the template.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.loaders import split_template_path
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from bot.rendering.filters import TEMPLATE_FILTERS

MAX_OUTPUT_BYTES = 1_000_000
#: Character cap for any single string a template builds (a UTF-8 character is >= 1 byte).
MAX_OUTPUT_CHARS = MAX_OUTPUT_BYTES
MAX_STEPS = 100_000
MAX_INT_ARGUMENT = 100_000
MAX_INT_BITS = 100_000

_LOOP_FILTER = "mailroom_loop_budget"
_CONCAT_FILTER = "mailroom_concat"
_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")


@dataclass
class _Budget:
    steps_left: int


_BUDGET: ContextVar[_Budget | None] = ContextVar("mailroom_render_budget", default=None)


def _spend(steps: int = 1) -> None:
    budget = _BUDGET.get()
    if budget is None:
        raise SecurityError("templates may only run inside a bounded render")
    budget.steps_left -= steps
    if budget.steps_left < 0:
        raise SecurityError(f"the template did more than {MAX_STEPS} steps (loops and calls)")


def _too_long(length: int) -> None:
    if length > MAX_OUTPUT_CHARS:
        raise SecurityError(f"the template built a value over {MAX_OUTPUT_CHARS} characters")


def _check_int(value: object) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT_ARGUMENT:
        raise SecurityError(f"number arguments above {MAX_INT_ARGUMENT} are refused")


def _check_arguments(args: Iterable[object], kwargs: Mapping[str, object]) -> None:
    for value in (*args, *kwargs.values()):
        _check_int(value)
        if isinstance(value, str):
            _too_long(len(value))


def _check_result(result: object) -> object:
    if isinstance(result, str):
        _too_long(len(result))
    return result


def _check_printf(fmt: object, args: object) -> None:
    if not isinstance(fmt, str):
        return
    for width, precision in _PRINTF_SPEC.findall(fmt):
        for number in (width, precision):
            if number.isdigit() and int(number) > MAX_INT_ARGUMENT:
                raise SecurityError(f"format widths above {MAX_INT_ARGUMENT} are refused")
    if isinstance(args, Mapping):
        _check_arguments(args.values(), {})
    elif isinstance(args, tuple | list):
        _check_arguments(args, {})
    else:
        _check_int(args)


def _check_replace(value: object, old: object, new: object) -> None:
    if not (isinstance(value, str) and isinstance(old, str) and isinstance(new, str)):
        return
    hits = len(value) + 1 if old == "" else value.count(old)
    _too_long(len(value) + hits * max(len(new) - len(old), 0))


def _check_indent(value: object, width: object) -> None:
    if isinstance(value, str) and isinstance(width, str):
        _too_long(len(value) + (value.count("\n") + 1) * len(width))


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a built-in filter so its arguments and result stay within the limits."""
    skip = 2 if getattr(func, "jinja_pass_arg", None) is not None else 1

    @functools.wraps(func)  # also copies Jinja's pass_context/pass_eval_context marker
    def guarded(*args: Any, **kwargs: Any) -> Any:
        value, extra = (args[skip - 1] if len(args) >= skip else None), args[skip:]
        _check_arguments(extra, kwargs)
        if name == "replace" and len(extra) >= 2:
            _check_replace(value, extra[0], extra[1])
        elif name == "indent":
            _check_indent(value, extra[0] if extra else kwargs.get("width"))
        elif name == "format":
            _check_printf(value, extra or kwargs)
        return _check_result(func(*args, **kwargs))

    return guarded


@jinja2.pass_context
def _loop_budget(context: Context, iterable: Iterable[Any]) -> Iterator[Any]:
    """Wrapped around every ``for`` loop's iterable: each item spends a step.

    Marked ``pass_context`` only so Jinja never evaluates it while compiling.
    """
    del context
    for item in iterable:
        _spend()
        yield item


@jinja2.pass_eval_context
def _bounded_concat(eval_ctx: EvalContext, parts: list[Any]) -> str:
    """The ``~`` operator, refusing results over the size cap."""
    _too_long(sum(len(p) for p in parts if isinstance(p, str)))
    return markup_join(parts) if eval_ctx.autoescape else str_join(parts)


class _Bounder(NodeTransformer):
    """Rewrites a parsed template: loops spend the budget, ``~`` checks sizes."""

    # Jinja's visitors dispatch on the node class name, hence the N802 exceptions.
    def visit_For(self, node: nodes.For, *args: Any, **kwargs: Any) -> nodes.Node:  # noqa: N802
        self.generic_visit(node, *args, **kwargs)
        node.iter = nodes.Filter(node.iter, _LOOP_FILTER, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(  # noqa: N802
        self, node: nodes.Concat, *args: Any, **kwargs: Any
    ) -> nodes.Node:
        self.generic_visit(node, *args, **kwargs)
        parts = nodes.List(list(node.nodes), lineno=node.lineno)
        return nodes.Filter(parts, _CONCAT_FILTER, [], [], None, None, lineno=node.lineno)


class _BoundedCodeGenerator(CodeGenerator):
    def visit_Template(  # noqa: N802 - overrides Jinja's visitor
        self, node: nodes.Template, frame: Frame | None = None
    ) -> None:
        _Bounder().visit(node)
        super().visit_Template(node, frame)


def autoescape_for(name: str | None) -> bool:
    """HTML templates are escaped: ``*.html.j2``, ``*.htm.j2``, ``*.html``, ``*.htm``."""
    return name is not None and name.lower().endswith((".html.j2", ".htm.j2", ".html", ".htm"))


class ConfinedLoader(jinja2.FileSystemLoader):
    """Loads ``*.j2`` files below ``root`` and nothing else (no ``..``, no symlink escapes)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        super().__init__(str(self.root), encoding="utf-8", followlinks=False)

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        if not template.endswith(".j2"):
            raise jinja2.TemplateNotFound(template)
        path = self.root.joinpath(*split_template_path(template)).resolve()
        if not path.is_relative_to(self.root):
            raise jinja2.TemplateNotFound(template)
        return super().get_source(environment, template)


class MailroomSandbox(ImmutableSandboxedEnvironment):
    """The bounded sandbox described in this module's docstring."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, root: Path) -> None:
        super().__init__(
            loader=ConfinedLoader(root),
            autoescape=autoescape_for,
            undefined=jinja2.StrictUndefined,
            finalize=_finalize,
            auto_reload=False,
            cache_size=-1,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        for name in ("namespace", "lipsum"):
            self.globals.pop(name, None)
        self.filters = {name: _guard_filter(name, f) for name, f in self.filters.items()}
        self.filters.update(TEMPLATE_FILTERS)
        self.filters[_LOOP_FILTER] = _loop_budget
        self.filters[_CONCAT_FILTER] = _bounded_concat

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and attr in ("format", "format_map"):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        return None  # str.format is refused outright (see is_safe_attribute)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(count, int):
                    _too_long(len(seq) * max(count, 0))
            if isinstance(left, int) and isinstance(right, int):
                self._check_bits(left.bit_length() + right.bit_length())
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0:
                self._check_bits(max(left.bit_length(), 1) * right)
        elif operator == "+":
            if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
                _too_long(len(left) + len(right))
        elif operator == "%":
            _check_printf(left, right)
        return _check_result(super().call_binop(context, operator, left, right))

    @staticmethod
    def _check_bits(bits: int) -> None:
        if bits > MAX_INT_BITS:
            raise SecurityError(f"numbers over {MAX_INT_BITS} bits are refused")

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _spend()
        _check_arguments(args, kwargs)
        name = getattr(obj, "__name__", "")
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, str) and name == "replace" and len(args) >= 2:
            _check_replace(owner, args[0], args[1])
        return _check_result(super().call(context, obj, *args, **kwargs))


def _finalize(value: Any) -> Any:
    """``None`` (an optional variable left empty) prints as nothing."""
    return "" if value is None else value


@contextmanager
def _bounded() -> Iterator[None]:
    token = _BUDGET.set(_Budget(MAX_STEPS))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def render_bounded(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """Render ``template`` within the step budget, stopping once output passes 1 MB."""
    chunks: list[str] = []
    size = 0
    with _bounded():
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT_BYTES:
                raise SecurityError(f"the output is larger than {MAX_OUTPUT_BYTES} bytes")
            chunks.append(chunk)
    output = "".join(chunks)
    if size * 4 > MAX_OUTPUT_BYTES and len(output.encode("utf-8")) > MAX_OUTPUT_BYTES:
        raise SecurityError(f"the output is larger than {MAX_OUTPUT_BYTES} bytes")
    return output
