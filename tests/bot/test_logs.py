"""Log lines: one per activity, and never a token or secret."""

from __future__ import annotations

import json
import logging

from bot.logs import JsonFormatter, Scrubber, scrub

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGVsZUBjb250b3NvLmNvbSJ9.c2lnbmF0dXJlLXZhbHVl"


def test_scrub_masks_jwts_bearer_tokens_and_secrets() -> None:
    line = f"Authorization: Bearer abc.def-ghi token={JWT} client_secret=hunter2&x=1"
    cleaned = scrub(line)
    assert "abc.def-ghi" not in cleaned
    assert JWT not in cleaned
    assert "hunter2" not in cleaned
    assert "x=1" in cleaned


def test_json_lines_carry_the_activity_fields_and_no_secret() -> None:
    record = logging.LogRecord(
        "mailroom.activity", logging.INFO, __file__, 1, "sent %s", (JWT,), None
    )
    record.activity_id = "a1"
    record.duration_ms = 3.2
    Scrubber().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["activity_id"] == "a1"
    assert entry["duration_ms"] == 3.2
    assert JWT not in json.dumps(entry)
