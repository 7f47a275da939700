"""Log lines: one per activity, and never a token or secret."""

from __future__ import annotations

import json
import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from hypothesis import given
from hypothesis import strategies as st

from bot.logs import _SECRETS, AccessLog, JsonFormatter, Scrubber, scrub

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


@pytest.mark.parametrize(
    ("method", "path", "status", "logged"),
    [
        ("POST", "/api/messages", 200, False),  # the activity line says it
        ("POST", "/api/messages", 202, False),
        ("POST", "/api/messages", 401, True),  # a refused caller keeps its address
        ("GET", "/preview/abc", 200, True),
        ("GET", "/readyz", 503, True),
    ],
)
def test_access_log_leaves_out_only_answered_activities(
    method: str, path: str, status: int, logged: bool, caplog: pytest.LogCaptureFixture
) -> None:
    access = logging.getLogger("aiohttp.access")
    log = AccessLog(access, "%r %s")
    with caplog.at_level(logging.INFO, logger="aiohttp.access"):
        log.log(make_mocked_request(method, path), web.Response(status=status), 0.001)
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert lines == ([f"{method} {path} HTTP/1.1 {status}"] if logged else [])


def every_pattern(text: str) -> str:
    for _words, pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


SECRETISH = st.text(
    alphabet=st.sampled_from(list("eyJBbearer Pasword=:\"'&_-.atcesokn\u212aKſİı")), max_size=60
)
SECRET_LINES = st.builds(
    "".join,
    st.lists(
        st.one_of(
            SECRETISH,
            st.sampled_from(
                [
                    "Bearer abc.def",
                    "password=hunter2",
                    "eyJabcdefgh.ijklmnop.qrs",
                    "TempAuth=xyz",
                    "client_secret: s3cr3t",
                    "bEaReR x",
                    "\u212aey",
                ]
            ),
        ),
        max_size=6,
    ),
)


@given(SECRET_LINES)
def test_skipping_lines_without_a_secret_word_changes_no_line(text: str) -> None:
    assert scrub(text) == every_pattern(text)


@given(SECRET_LINES)
def test_every_match_of_a_secret_pattern_holds_one_of_its_words(text: str) -> None:
    for words, pattern, _replacement in _SECRETS:
        for found in pattern.finditer(text):
            if found.group().isascii():
                assert any(word in found.group().lower() for word in words), found.group()
