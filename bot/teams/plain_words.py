"""Plain sentences read as commands: "I need to send an email from support" is ``/send``
with sender ``support``, "who can I send as" is ``/senders``.

The reading is a fixed table of words, so the same text always means the same command
(no model, no state). The rules, first match wins::

    words in the text                               command
    "why" … [sender]                                /why <sender> (no sender: /senders)
    "who"/"which"/"what" with send, or "senders"    /senders
    "cancel"/"stop"/"withdraw" [reference]          /cancel <reference> (none: asks for one)
    "status"/"where"/"happened"/"progress" [ref]    /status [reference]
    "approve"/"approval(s)"/"approver"              /approvals
    "history"/"recent"/"sent"/"previous"            /history
    "template(s)"                                   /templates
    "draft(s)"/"unfinished"                         /drafts
    send/email/mail/message … from|as <sender>      /send with that sender
    send/email/mail/message                         /send
    "sign out"/"log out"/"signout"/"forget me"      /signout
    "help"/"how"/"commands"/"what can you"          /help

Anything else is not understood; ``likely`` ranks the three commands it is closest to.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Set as AbstractSet

from bot.teams.commands import COMMANDS

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9@._+'-]*")
_SHORT_REFERENCE = re.compile(r"^mr-[0-9a-z]{4}$", re.IGNORECASE)
# The start of a full id: hex, and only with a digit, so words like "face" or "added" are words.
_ID_START = re.compile(r"^[0-9a-f]{4,32}$", re.IGNORECASE)
_FILLER = frozenset({"the", "a", "an", "our", "my", "its", "this", "that", "mailbox", "account"})
_SEND = frozenset({"send", "email", "e-mail", "mail", "message", "write"})
_ASK = frozenset({"who", "which", "what", "whom"})
_CANCEL = frozenset({"cancel", "stop", "withdraw", "abort"})
_STATUS = frozenset({"status", "where", "happened", "progress", "track"})
_APPROVE = frozenset({"approve", "approval", "approvals", "approver", "approvers", "approving"})
_HISTORY = frozenset({"history", "recent", "previous", "earlier", "sent"})
_TEMPLATES = frozenset({"template", "templates"})
_DRAFTS = frozenset({"draft", "drafts", "unfinished", "resume"})
_SIGNOUT = frozenset({"signout", "sign-out", "logout", "log-out"})
_HELP = frozenset({"help", "how", "commands", "command", "usage", "hello", "hi"})

# Words that hint at each command, to rank the likely ones for text not understood.
_HINTS: dict[str, AbstractSet[str]] = {
    "send": _SEND | {"from", "to", "recipient", "recipients"},
    "senders": _ASK | {"senders", "sender", "as", "mailboxes", "allowed", "may", "can"},
    "templates": _TEMPLATES | {"variables", "fields", "form"},
    "why": {"why", "not", "denied", "refused", "cannot", "can't", "right", "permission"},
    "status": _STATUS | {"request", "reference", "id"},
    "history": _HISTORY | {"list", "requests", "last"},
    "approvals": _APPROVE | {"waiting", "pending", "decide", "ok"},
    "cancel": _CANCEL | {"undo", "request"},
    "drafts": _DRAFTS | {"continue", "half", "left", "saved"},
    "signout": _SIGNOUT | {"sign", "log", "out", "forget", "token", "tokens"},
    "help": _HELP | {"what", "do", "can"},
}

_CLOSE = 0.6

KEYWORDS = frozenset().union(
    _SEND, _ASK, _CANCEL, _STATUS, _APPROVE, _HISTORY, _TEMPLATES, _DRAFTS, _SIGNOUT, _HELP,
    _FILLER,
    {"why", "senders", "sender", "mailboxes", "as", "from", "use", "i", "me", "we"},
)  # fmt: skip
"""Every word a rule reads: a mailbox with one of these names is named by address."""

Reading = tuple[str, str | None]
"""A command name and its argument (for ``/send``, the sender)."""


def read(text: str) -> Reading | None:
    """The command a plain sentence asks for, or None when no rule applies."""
    words = [w.strip(".'").lower() for w in _WORD.findall(text)]
    words = [w for w in words if w]
    present = set(words)
    if "why" in present:
        sender = _after(words, ("as", "from", "use"))
        return ("why", sender) if sender else ("senders", None)
    if (
        present & _ASK
        and present & (_SEND | {"senders", "sender", "mailboxes"})
        and not (present & (_TEMPLATES | _STATUS | _APPROVE))
    ):
        return "senders", None
    if present & {"senders", "sender", "mailboxes"}:
        return "senders", None
    reference = next((w for w in words if _is_reference(w)), None)
    if present & _CANCEL:
        return "cancel", reference
    if present & _STATUS or (reference and present & {"request", "check", "show"}):
        return "status", reference
    if present & _APPROVE:
        return "approvals", None
    if present & _TEMPLATES:
        return "templates", None
    if present & _DRAFTS:
        return "drafts", None
    if present & _HISTORY and not present & _SEND:
        return "history", None
    if present & _SEND:
        return "send", _after(words, ("from", "as"))
    if present & _SIGNOUT or _signing_out(words):
        return "signout", None
    if present & _HELP or ("what" in present and "can" in present):
        return "help", None
    return None


def likely(text: str, count: int = 3) -> tuple[str, ...]:
    """The ``count`` commands the text is closest to, best first: by the hint words it
    contains, then by spelling, then in the catalogue's order."""
    words = [w.lower() for w in _WORD.findall(text)][:50]
    order = [c.name for c in COMMANDS]

    def score(name: str) -> tuple[int, float, int]:
        hints = sum(1 for w in words if w in _HINTS[name])
        spelling = max((difflib.SequenceMatcher(None, w, name).ratio() for w in words), default=0)
        spelling = spelling if spelling >= _CLOSE else 0  # a faint likeness is noise
        return (-hints, -round(spelling, 3), order.index(name))

    return tuple(sorted(order, key=score)[:count])


def _signing_out(words: list[str]) -> bool:
    """ "sign me out", "log out", "forget me": the person asks Mailroom to drop their sign-in."""
    for index, word in enumerate(words):
        near = words[index + 1 : index + 3]
        if (word in {"sign", "log"} and "out" in near) or (word == "forget" and "me" in near):
            return True
    return False


def _after(words: list[str], markers: tuple[str, ...]) -> str | None:
    """The first word after one of ``markers`` that names something (articles and the word
    "mailbox" skipped): "from the support mailbox" → "support"."""
    for index, word in enumerate(words):
        if word not in markers:
            continue
        for following in words[index + 1 :]:
            if following in _FILLER or following in markers:
                continue
            if following in _SEND or following in _ASK or following in {"i", "me", "we"}:
                break
            return following[:200]
    return None


def _is_reference(word: str) -> bool:
    if _SHORT_REFERENCE.match(word):
        return True
    return bool(_ID_START.match(word)) and any(ch.isdigit() for ch in word)
