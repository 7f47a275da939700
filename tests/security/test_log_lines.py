"""No input can forge a log line: whatever text arrives in any field the bot logs, the text
format writes each record on one line of its own (a traceback only on indented lines under
it), and the JSON format writes one valid JSON object per line holding the text unchanged.
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.app import create_app
from bot.logs import JsonFormatter, Scrubber, TextFormatter
from emulator.testing import RunningEmulator
from tests.reliability.figures import Figures
from tests.security.channel import authenticated_settings
from tests.security.tokens import emulator_keys
from tests.support.activities import card_action, message
from tests.support.servers import http_client, serve

# Every field a Mailroom record may carry (bot/logs.py prints these).
FIELDS = ("activity_id", "activity_type", "conversation_id", "duration_ms", "outcome", "status",
          "verb", "request_id", "send_request_id", "mailbox", "user_oid", "event")  # fmt: skip
RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")
CONTINUATION = "    | "
FORGED = "\r\n2026-12-01 09:00:00,000 INFO mailroom.activity activity status=202 outcome=ok"

BREAKERS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00\x1b\x7f\x9b\u202e\u2066\ud800\udfff"
hostile = st.text(
    alphabet=st.one_of(st.characters(), st.sampled_from(BREAKERS)), max_size=80
) | st.sampled_from([FORGED, "\n", "\r", "x\u2028y", "a=b c=d", '"', "\\", ""])

FEW = settings(max_examples=150, deadline=None, derandomize=True)


def invisible_or_breaking(text: str) -> list[str]:
    """Characters that end a line, split it for str.splitlines, or hide part of it."""
    return [
        c
        for c in text
        if unicodedata.category(c) in ("Cc", "Zl", "Zp", "Cs")
        or c in "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    ]


def record(
    message: str, args: tuple[Any, ...], fields: dict[str, Any], exc_info: Any = None
) -> logging.LogRecord:
    made = logging.LogRecord("mailroom.activity", logging.INFO, "x", 1, message, args, exc_info)
    for name, value in fields.items():
        setattr(made, name, value)
    Scrubber().filter(made)
    return made


@FEW
@given(text=hostile, fields=st.dictionaries(st.sampled_from(FIELDS), hostile))
@example(text=FORGED, fields={"conversation_id": FORGED})
@example(text="\ud800", fields={"verb": "\udfff"})
def test_no_text_in_any_field_starts_a_new_line_in_the_text_format(
    text: str, fields: dict[str, str]
) -> None:
    line = TextFormatter().format(record("activity refused: %s", (text,), fields))
    assert line.splitlines() == [line]
    assert invisible_or_breaking(line) == []
    line.encode("utf-8")  # a lone surrogate would make the handler print the raw arguments


@FEW
@given(text=hostile, fields=st.dictionaries(st.sampled_from(FIELDS), hostile))
@example(text=FORGED, fields={"conversation_id": "\u2028" + FORGED})
def test_the_json_format_stays_one_valid_line_holding_the_text(
    text: str, fields: dict[str, str]
) -> None:
    line = JsonFormatter().format(record("%s", (text,), fields))
    assert line.splitlines() == [line]
    assert invisible_or_breaking(line) == []
    entry = json.loads(line)
    assert {name: entry[name] for name in fields} == fields
    if "eyJ" not in text and "=" not in text and "earer" not in text:  # scrubber untouched
        assert entry["message"] == text


@FEW
@given(text=hostile)
def test_a_traceback_stays_under_its_record_on_indented_lines(text: str) -> None:
    try:
        raise ValueError(f"bad input {text}")
    except ValueError:
        made = record("turn failed: %s", ("ValueError",), {}, exc_info=sys.exc_info())
    head, *rest = TextFormatter().format(made).split("\n")
    assert RECORD_START.match(head)
    assert rest
    assert all(line.startswith(CONTINUATION) for line in rest)
    assert invisible_or_breaking("".join([head, *rest])) == []


# --- the bot's own lines, over HTTP -----------------------------------------------------------


@contextmanager
def text_log() -> Iterator[io.StringIO]:
    """The root logger writing production's text format, as ``configure_logging`` sets it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TextFormatter())
    handler.addFilter(Scrubber())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def assert_every_line_is_a_record_or_its_traceback(output: str) -> None:
    lines = output.split("\n")
    assert lines[-1] == ""
    for line in lines[:-1]:
        assert RECORD_START.match(line) or line.startswith(CONTINUATION), repr(line)


@pytest.fixture
async def bot_url(emulator: RunningEmulator, tmp_path: Path) -> Any:
    app = create_app(
        authenticated_settings(emulator, tmp_path), signing_keys=emulator_keys(emulator)
    )
    async with serve(app) as url:
        yield url


async def test_a_refused_activity_with_crlf_in_its_conversation_id_writes_one_line(
    bot_url: str, emulator: RunningEmulator, figures: Figures
) -> None:
    activity = message("/help", emulator.base_url)
    activity["conversation"]["id"] = "a:1" + FORGED
    with text_log() as stream:
        async with http_client() as http:
            response = await http.post(f"{bot_url}/api/messages", json=activity)
    output = stream.getvalue()
    forged = [line for line in output.split("\n") if line.startswith("2026-12-01 09:00:00")]
    figures.attack("log forging", refused=not forged)
    assert response.status_code == 401
    assert forged == []
    assert_every_line_is_a_record_or_its_traceback(output)


ACTIVITY_FIELDS = ("id", "type", "conversation.id", "from.name", "from.aadObjectId", "text",
                   "serviceUrl", "channelId", "name", "value.action.verb", "channelData.tenant.id",
                   "recipient.id", "a key")  # fmt: skip


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)
@given(values=st.dictionaries(st.sampled_from(ACTIVITY_FIELDS), hostile, min_size=1))
@example(values={"conversation.id": FORGED, "from.name": FORGED, "value.action.verb": FORGED})
@example(values={"channelId": "", "text": FORGED})  # the SDK's validator raises TypeError
@example(values={"a key": FORGED})
async def test_no_activity_field_can_start_a_line_of_the_bots_log(
    bot_url: str, emulator: RunningEmulator, values: dict[str, str]
) -> None:
    """With the channel's genuine token, so the activity goes as far as its fields let it
    (refused before authentication, refused by it, or answered): every line the bot
    writes is a record of its own."""
    activity = card_action("help.show", emulator.base_url)
    activity["conversation"]["id"] = f"a:{uuid.uuid4().hex}"
    for path, value in values.items():
        if path == "a key":
            activity[value] = 1  # keys are named in the "not a valid activity" warning
            continue
        *parents, leaf = path.split(".")
        node = activity
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    body = json.dumps(activity, ensure_ascii=True).encode()
    token = emulator.control.mint_channel_token(service_url=emulator.base_url)
    with text_log() as stream:
        async with http_client() as http:
            response = await http.post(
                f"{bot_url}/api/messages",
                content=body,
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            )
    assert response.status_code < 500
    assert_every_line_is_a_record_or_its_traceback(stream.getvalue())
