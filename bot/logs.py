"""Logging: text or JSON lines, and a last-line-of-defence scrubber for credentials.

Mailroom never logs tokens, secrets, passwords or email bodies on purpose; the
``Scrubber`` filter additionally masks anything that looks like a bearer token, a JWT
or a client secret parameter, should a third-party library try.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

_SECRETS = (
    (re.compile(r"eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"), "[jwt]"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/]+=*"), r"\1[token]"),
    (
        re.compile(
            r"(?i)(client_secret|password|assertion|access_token|refresh_token)"
            r"([\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+"
        ),
        r"\1\2[redacted]",
    ),
)

# Fields of the record that are ours to print in JSON mode.
_EXTRA_FIELDS = (
    "activity_id", "activity_type", "conversation_id", "duration_ms", "outcome", "status",
    "verb", "request_id", "send_request_id", "mailbox", "user_oid", "event",
)  # fmt: skip


def scrub(text: str) -> str:
    for pattern, replacement in _SECRETS:
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
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = [f"{n}={getattr(record, n)}" for n in _EXTRA_FIELDS if hasattr(record, n)]
        return scrub(" ".join([line, *extras]))


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
    # The SDK logs request headers and payloads at debug level; keep it at warning.
    logging.getLogger("microsoft_agents").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("msal").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
    # Warns on every anonymous turn (no app id in local mode) that a future SDK will require
    # one for user tokens; Mailroom knows, and the line drowns the log.
    logging.getLogger("microsoft_agents.hosting.core.connector.client.user_token_client").setLevel(
        logging.ERROR
    )
