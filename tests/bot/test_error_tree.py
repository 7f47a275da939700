"""The drawing in ``bot/errors.py``'s docstring is the exception tree: every class is drawn
once, under its real parent, and nothing is drawn that does not exist."""

from __future__ import annotations

import inspect
import re

import bot.errors as errors

_NODE = re.compile(r"^(?P<indent>[ │]*)(?P<branch>[├└]── )?(?P<name>[A-Z][A-Za-z]+)\b")


def drawn_tree() -> dict[str, str | None]:
    """Class name → the parent the drawing shows (``None`` for the root)."""
    doc = errors.__doc__ or ""
    drawing = doc.split("::", 1)[1]
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for raw in drawing.splitlines():
        line = raw[4:] if raw.startswith("    ") else raw
        found = _NODE.match(line)
        if not line.strip() or found is None:
            continue
        depth = len(found["indent"]) // 4 + (1 if found["branch"] else 0)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[found["name"]] = stack[-1][1] if stack else None
        stack.append((depth, found["name"]))
    return parents


def real_tree() -> dict[str, str | None]:
    tree: dict[str, str | None] = {}
    for name, cls in vars(errors).items():
        if inspect.isclass(cls) and issubclass(cls, errors.MailroomError):
            parent = cls.__bases__[0]
            tree[name] = None if cls is errors.MailroomError else parent.__name__
    return tree


def test_the_drawing_shows_every_error_class_under_its_real_parent() -> None:
    assert drawn_tree() == real_tree()


def test_service_unavailable_is_not_throttling() -> None:
    assert not issubclass(errors.ServiceUnavailable, errors.Throttled)
    busy = errors.ServiceUnavailable(503, "ErrorServerBusy", retry_after=2.0)
    assert (busy.retry_after, isinstance(busy, errors.GraphError)) == (2.0, True)
