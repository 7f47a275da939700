"""The OData query options the emulator understands: ``$select``, ``$top``, ``$skip``,
``$orderby`` and a ``$filter`` subset::

    singleValueExtendedProperties/any(ep: ep/id eq '<id>' and ep/value eq '<value>')
    <property path> eq <literal>            e.g. subject eq 'Hi', from/emailAddress/address eq '..'
    clauses joined with ``and``, optionally in parentheses

Anything else is a 400 ``ErrorInvalidUrlQueryFilter``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from emulator.envelopes import GraphFailure

Json = dict[str, Any]
Predicate = Callable[[Json], bool]

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<punct>[():,])|(?P<word>[A-Za-z0-9_./@{}\-+]+))"
)


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        found = _TOKEN.match(text, pos)
        if found is None or found.end() == pos:
            raise _bad(text)
        out.append(found.group().strip())
        pos = found.end()
    return out


def _bad(text: str) -> GraphFailure:
    return GraphFailure(
        400, "ErrorInvalidUrlQueryFilter", f"The query filter '{text}' is invalid or unsupported."
    )


def _literal(token: str) -> Any:
    if token.startswith("'"):
        return token[1:-1].replace("''", "'")
    if token.lower() in ("true", "false"):
        return token.lower() == "true"
    if token.lower() == "null":
        return None
    try:
        return int(token)
    except ValueError:
        return token


def lookup(item: Mapping[str, Any], path: str) -> Any:
    current: Any = item
    for part in path.split("/"):
        if not isinstance(current, Mapping):
            return None
        key = next((k for k in current if k.lower() == part.lower()), None)
        if key is None:
            return None
        current = current[key]
    return current


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token.lower() != expected):
            raise _bad(self.text)
        self.pos += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.expr()
        if self.peek() is not None:
            raise _bad(self.text)
        return predicate

    def expr(self) -> Predicate:
        terms = [self.term()]
        while (self.peek() or "").lower() == "and":
            self.take()
            terms.append(self.term())
        return lambda item: all(t(item) for t in terms)

    def term(self) -> Predicate:
        token = self.peek()
        if token == "(":
            self.take()
            inner = self.expr()
            self.take(")")
            return inner
        name = self.take()
        if name.lower().endswith("/any"):
            return self.any_clause(name[: -len("/any")])
        self.take("eq")
        value = _literal(self.take())

        def compare(item: Json) -> bool:
            found = lookup(item, name)
            if isinstance(found, str) and isinstance(value, str):
                return found.lower() == value.lower()
            return bool(found == value)

        return compare

    def any_clause(self, collection: str) -> Predicate:
        self.take("(")
        var = self.take()
        self.take(":")
        conditions: list[tuple[str, Any]] = []
        while True:
            ref = self.take()
            if not ref.lower().startswith(var.lower() + "/"):
                raise _bad(self.text)
            self.take("eq")
            conditions.append((ref[len(var) + 1 :], _literal(self.take())))
            if (self.peek() or "").lower() == "and":
                self.take()
                continue
            break
        self.take(")")

        def matches(entry: Any) -> bool:
            if not isinstance(entry, Mapping):
                return False
            for field_name, value in conditions:
                found = lookup(entry, field_name)
                if field_name.lower() == "id" and isinstance(found, str) and isinstance(value, str):
                    if found.lower() != value.lower():
                        return False
                elif found != value:
                    return False
            return True

        def predicate(item: Json) -> bool:
            entries = lookup(item, collection) or []
            return any(matches(e) for e in entries)

        return predicate


def parse_filter(text: str) -> Predicate:
    return _Parser(text).parse()


def int_option(query: Mapping[str, str], name: str, default: int, maximum: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise GraphFailure(400, "BadRequest", f"Invalid value '{raw}' for {name}.") from exc
    if value < 0 or value > maximum:
        raise GraphFailure(400, "BadRequest", f"Invalid value '{raw}' for {name}.")
    return value


def select(item: Json, fields: Sequence[str] | None, always: Sequence[str] = ("id",)) -> Json:
    if not fields:
        return item
    wanted = {f.lower() for f in fields} | {a.lower() for a in always}
    return {k: v for k, v in item.items() if k.lower() in wanted or k.startswith("@odata")}


def select_fields(query: Mapping[str, str]) -> list[str] | None:
    raw = query.get("$select")
    if not raw:
        return None
    return [f.strip() for f in raw.split(",") if f.strip()]
