"""Parse what people type: ``/send``, ``/why support``, and the one-line fast path

    /send from:support template:ticket-reply to:a@contoso.com,b@fabrikam.com ticket_id=123
          subject_var="two words"

Never raises: the result is a ``Command`` or a ``ParseError`` carrying the usage, the
offending token and a "did you mean" suggestion.
"""

from __future__ import annotations

import difflib
import shlex
from dataclasses import dataclass, field

from bot.i18n import _, format_number
from bot.teams import plain_words
from bot.teams.commands import COMMANDS

QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "«": '"', "»": '"'})
_FAST_KEYS = ("from", "template", "to", "cc", "bcc", "importance")
_IMPORTANCE = ("low", "normal", "high")
_NEEDS_ARGUMENT = {"why", "cancel"}
_OPTIONAL_ARGUMENT = {"templates", "status"}
MAX_TEXT = 20_000


@dataclass(frozen=True)
class FastSend:
    sender: str | None = None
    template: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    importance: str | None = None
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Command:
    name: str
    argument: str | None = None
    fast: FastSend | None = None


@dataclass(frozen=True)
class ParseError:
    message: str
    token: str | None = None
    suggestion: str | None = None
    usage: str | None = None
    likely: tuple[str, ...] = ()
    """For text not understood: the three commands it is closest to, best first."""

    @property
    def note(self) -> str:
        """The line shown above the help: what was wrong, a suggestion, the usage."""
        note = self.message
        if self.suggestion:
            note += " " + _("Did you mean {suggestion}?", suggestion=self.suggestion)
        if self.usage and not self.likely:  # the likely commands come with their usage
            note += " " + _("Usage: {usage}", usage=self.usage)
        return note


def usage_of(name: str) -> str:
    return next((c.usage for c in COMMANDS if c.name == name), "/help")


def parse(text: str) -> Command | ParseError:
    cleaned = text.translate(QUOTES).strip()
    if not cleaned:
        return Command("help")
    if len(cleaned) > MAX_TEXT:
        return ParseError(
            _(
                "That message is too long for a command ({count} characters).",
                count=format_number(len(cleaned)),
            )
        )
    word, _space, rest = cleaned.partition(" ")
    name = word.lstrip("/").lower()
    rest = rest.strip()
    known = [c.name for c in COMMANDS]
    if name not in known:
        if not word.startswith("/"):
            reading = plain_words.read(cleaned)
            if reading is not None:
                return _command_of(*reading)
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        ranked = plain_words.likely(cleaned)
        if close:
            ranked = (close[0], *(n for n in ranked if n != close[0]))[:3]
        return ParseError(
            _("I didn't understand that.")
            if " " in cleaned and not word.startswith("/")
            else _("I don't know the command “{word}”.", word=word[:40]),
            token=word[:40],
            suggestion=f"/{close[0]}" if close else None,
            usage="/help",
            likely=ranked,
        )
    strict = _parse_known(name, rest)
    if not word.startswith("/") and _is_sentence(name, rest, strict):
        reading = plain_words.read(cleaned)
        if reading is not None:
            return _command_of(*reading)
    return strict


def _is_sentence(name: str, rest: str, strict: Command | ParseError) -> bool:
    """ "cancel MR-7F3K please", "why can't I send as events", "send an email from support":
    a sentence that starts with a command's name. The fast path (``from:`` …) stays one."""
    if name == "send":
        return isinstance(strict, ParseError) and not any(c in rest for c in ":=")
    return isinstance(strict, ParseError) or len(rest.split()) > 1


def _parse_known(name: str, rest: str) -> Command | ParseError:
    if name == "send":
        return _parse_send(rest)
    if name in _NEEDS_ARGUMENT:
        if not rest:
            return ParseError(
                _("/{name} needs an argument.", name=name), token=None, usage=usage_of(name)
            )
        return Command(name, rest.split(maxsplit=1)[0][:200])
    if name in _OPTIONAL_ARGUMENT:
        return Command(name, rest.split(maxsplit=1)[0][:200] if rest else None)
    if rest:
        return ParseError(
            _("/{name} takes no arguments.", name=name),
            token=rest.split(maxsplit=1)[0][:40],
            usage=usage_of(name),
        )
    return Command(name)


def _command_of(name: str, argument: str | None) -> Command | ParseError:
    """A plain sentence's reading as the command it stands for."""
    if name == "send":
        return Command("send", fast=FastSend(sender=argument)) if argument else Command("send")
    if name in _NEEDS_ARGUMENT and not argument:
        return ParseError(
            _("To /{name}, say which request: its reference is on its card.", name=name),
            usage=usage_of(name),
        )
    return Command(name, argument)


def _parse_send(rest: str) -> Command | ParseError:
    if not rest:
        return Command("send")
    try:
        tokens = shlex.split(rest, posix=True)
    except ValueError:
        return ParseError(_("A quote is not closed."), usage=_SEND_USAGE)
    fields: dict[str, str] = {}
    values: dict[str, str] = {}
    for token in tokens:
        key, value, kind = _split_token(token)
        if kind is None:
            return ParseError(
                _(
                    "Expected key:value (from:, template:, to:, cc:, bcc:, importance:) or "
                    "variable=value."
                ),
                token=token[:60],
                usage=_SEND_USAGE,
            )
        if kind == ":":
            if key not in _FAST_KEYS:
                close = difflib.get_close_matches(key, _FAST_KEYS, n=1, cutoff=0.5)
                return ParseError(
                    _("Unknown option “{key}:”.", key=key[:30]),
                    token=token[:60],
                    suggestion=f"{close[0]}:" if close else None,
                    usage=_SEND_USAGE,
                )
            if key in fields and key not in ("to", "cc", "bcc"):
                return ParseError(
                    _("{key}: is given twice.", key=key), token=token[:60], usage=_SEND_USAGE
                )
            fields[key] = f"{fields[key]},{value}" if key in fields else value
        else:
            if key in values:
                return ParseError(
                    _("{key} is given twice.", key=key), token=token[:60], usage=_SEND_USAGE
                )
            values[key] = value
    importance = fields.get("importance")
    if importance is not None and importance.lower() not in _IMPORTANCE:
        return ParseError(
            _("importance must be low, normal or high."),
            token=f"importance:{importance[:20]}",
            usage=_SEND_USAGE,
        )
    return Command(
        "send",
        fast=FastSend(
            sender=fields.get("from"),
            template=fields.get("template"),
            to=_addresses(fields.get("to")),
            cc=_addresses(fields.get("cc")),
            bcc=_addresses(fields.get("bcc")),
            importance=importance.lower() if importance else None,
            values=values,
        ),
    )


_SEND_USAGE = (
    "/send from:<sender> template:<name> to:<a@x.com,b@y.com> [cc:…] [bcc:…] "
    '[importance:high] [variable=value …] (quote values with spaces: name="two words")'
)


def _split_token(token: str) -> tuple[str, str, str | None]:
    """``key:value`` (an option) or ``name=value`` (a template variable), whichever
    separator comes first; anything else is not a token of /send."""
    colon, equals = token.find(":"), token.find("=")
    candidates = [(i, sep) for i, sep in ((colon, ":"), (equals, "=")) if i > 0]
    if not candidates:
        return token, "", None
    index, sep = min(candidates)
    key = token[:index].strip().lower()
    if not key.replace("_", "").replace("-", "").isalnum():
        return token, "", None
    return key, token[index + 1 :], sep


def _addresses(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    parts = raw.replace(";", ",").split(",")
    return tuple(p.strip() for p in parts if p.strip())
