"""Logging: text or JSON lines, and a last-line-of-defence scrubber for credentials.

Mailroom never logs tokens, secrets, passwords or email bodies on purpose; the
``Scrubber`` filter additionally masks anything that looks like a bearer token, a JWT
or a client secret parameter, should a third-party library try.

No input can forge a line. Log values come from outside (conversation ids, names, texts,
addresses, verbs, request paths), so the formatters escape, wherever a value sits:

* text: every character that could end or disguise a line — C0 and C1 controls (CR, LF,
  NEL...), DEL, the Unicode line and paragraph separators, bidirectional overrides — and
  lone surrogates (unencodable: the handler would print the raw arguments instead) become
  ``\\n``, ``\\xNN`` or ``\\uNNNN``; an extra field's value is quoted when it holds a space,
  a quote or ``=``, so it cannot pose as another field; a traceback keeps its lines, each
  indented under the record;
* JSON: ``json.dumps`` escapes the controls; the separators, C1 controls and surrogates it
  leaves raw are escaped as ``\\uNNNN`` too, so a record stays one valid JSON line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_log import AccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

# Each pattern with the words it cannot match without, in any case. In ASCII text that is
# what IGNORECASE matches (beyond ASCII it also matches, say, the Kelvin sign for "k"), so a
# pattern whose words are absent is skipped: most lines hold none, and the four regular
# expressions were most of a line's cost.
_SECRETS = (
    (("eyj",), re.compile(r"eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"), "[jwt]"),
    (("bearer",), re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/]+=*"), r"\1[token]"),
    (
        ("client_secret", "password", "assertion", "access_token", "refresh_token"),
        re.compile(
            r"(?i)(client_secret|password|assertion|access_token|refresh_token)"
            r"([\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+"
        ),
        r"\1\2[redacted]",
    ),
    # Pre-authenticated links: a Teams file's download URL, an attachment upload session's.
    (
        ("tempauth", "authtoken"),
        re.compile(r"(?i)\b(tempauth|authtoken)=[^&\s\"']+"),
        r"\1=[redacted]",
    ),
)

# Fields of the record that are ours to print in JSON mode.
_EXTRA_FIELDS = (
    "activity_id", "activity_type", "conversation_id", "duration_ms", "outcome", "status",
    "verb", "request_id", "send_request_id", "mailbox", "user_oid", "event",
)  # fmt: skip


# Characters that may end a line, hide one, or fail to encode (see the module docstring).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_QUOTES = re.compile(r'[\s"=]')
_CONTINUATION = "\n    | "


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _SHORT_ESCAPES.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape(text: str) -> str:
    """``text`` with nothing in it that could start, end or disguise a log line."""
    return _UNSAFE.sub(_escape_char, text)


def _field(value: object) -> str:
    text = escape(str(value))
    if not text or _NEEDS_QUOTES.search(text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _json_line(text: str) -> str:
    """JSON from ``json.dumps`` with the line-breaking characters it leaves raw escaped;
    they only ever occur inside strings, where ``\\uNNNN`` means the same."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def scrub(text: str) -> str:
    lowered = text.lower() if text.isascii() else None
    for words, pattern, replacement in _SECRETS:
        if lowered is None or any(word in lowered for word in words):
            text = pattern.sub(replacement, text)
    return text


class Scrubber(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _EXTRA_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = scrub(self.formatStack(record.stack_info))
        return _json_line(json.dumps(entry, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    """``time LEVEL logger message name=value ...`` on one line; a traceback, if any, on
    the lines below it, each indented."""

    def __init__(self) -> None:
        super().__init__()

    def format(self, record: logging.LogRecord) -> str:
        head = " ".join(
            [
                self.formatTime(record),
                record.levelname,
                escape(record.name),
                escape(record.getMessage()),
                *(f"{n}={_field(getattr(record, n))}" for n in _EXTRA_FIELDS if hasattr(record, n)),
            ]
        )
        details: list[str] = []
        if record.exc_info:
            details.append(self.formatException(record.exc_info))
        if record.stack_info:
            details.append(self.formatStack(record.stack_info))
        lines = [escape(line) for detail in details for line in detail.split("\n")]
        return scrub(_CONTINUATION.join([head, *lines]))


class MalformedRequests(logging.Filter):
    """aiohttp answers a request it cannot parse (a client's malformed HTTP: a control
    character in a header, an oversized line) with 400, and logs it at ERROR with a
    traceback. It is the client's fault, before anyone is authenticated: one WARNING line,
    no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError) and 400 <= error.code < 500:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args = (
                "request refused: malformed HTTP (%s)",
                (type(error).__name__,),
            )
            record.exc_info, record.exc_text = None, None
        return True


_MALFORMED_REQUESTS = MalformedRequests()


def install_library_filters() -> None:
    """Filters on third-party loggers, for every handler (idempotent; configure_logging
    calls it)."""
    logging.getLogger("aiohttp.server").addFilter(_MALFORMED_REQUESTS)


def configure_logging(log_format: str, level: str) -> None:
    """Set up the root logger once for the process (the CLI calls this)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(Scrubber())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    install_library_filters()
    # The SDK logs request headers and payloads at debug level; keep it at warning.
    logging.getLogger("microsoft_agents").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("msal").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
    # Warns on every anonymous turn (no app id in local mode) that a future SDK will require
    # one for user tokens; Mailroom knows, and the line drowns the log.
    logging.getLogger("microsoft_agents.hosting.core.connector.client.user_token_client").setLevel(
        logging.ERROR
    )


MESSAGES_PATH = "/api/messages"


class AccessLog(AccessLogger):
    """aiohttp's access log without the lines ``mailroom.activity`` already writes: an
    answered ``POST /api/messages`` is logged once, by the activity line (type, verb,
    status, duration). A refused one (4xx) keeps its access line too, with the caller's
    address. Each turn then costs one log line instead of two."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if request.path == MESSAGES_PATH and response.status < HTTPStatus.BAD_REQUEST:
            return
        super().log(request, response, time)
