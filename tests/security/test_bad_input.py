"""Bad input, generated (hypothesis) and hand-picked: whatever arrives, /api/messages never
answers 500, nothing unhandled reaches the log (the log watch fails the test otherwise),
and a person always gets a clear answer — a card or a line of text for a message, a card or
an error body for a card action.

Example counts are modest so each test stays within a few seconds; the cases that matter
most are pinned with ``@example``.
"""

from __future__ import annotations

import json
import string
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cards import verbs
from emulator.testing import RunningEmulator
from tests.reliability.figures import Figures, ReportPlugin
from tests.security.helpers import (
    ADELE,
    JOHANNA,
    activity_for,
    compose,
    inputs,
    invoke_for,
    mail_submissions,
    post,
    wait_for_replies,
)
from tests.support.botapp import BotHarness, action, card_in, running_bot, settings_for, text_of

FEW = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
SOME = settings(FEW, max_examples=40)


@pytest.fixture
async def bot(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(settings_for(emulator, tmp_path), emulator) as harness:
        yield harness


# --- strategies ----------------------------------------------------------------------------

ODD = (
    "\x00\x01\x07\x08\x0b\x0c\x1b\x7f"  # control characters
    "\u200b\u200c\u200d\u2060\ufeff"  # zero-width
    "\u202a\u202b\u202d\u202e\u2066\u2069"  # bidi overrides
    "\u0301\u0336\u20dd"  # combining marks
    "\ud800\udc00\udfff"  # lone surrogates (JSON allows them escaped)
    "\ufffd\uffff\U0001f4e7\U0001f3f3\ufe0f\u200d\U0001f308"  # replacement, non-char, emoji
    "<>&\"'`{}%$\\/|;:@#"
    "İıßẞǅ"  # case-folding oddities
)
odd_text = st.text(
    alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from(ODD)), max_size=300
)
long_text = st.builds(lambda c, n: c * n, st.sampled_from(["a", "é", "\U0001f4e7", " ", "/"]),
                      st.integers(1000, 30_000))  # fmt: skip
any_text = st.one_of(odd_text, long_text)
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), odd_text
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(odd_text, inner, max_size=4)
    ),
    max_leaves=12,
)

IDN_AND_ODD_ADDRESSES = [
    "kunde@bücher.example",
    "用户@例子.广告",
    "josé@ñandú.example",
    '"john doe"@example.com',
    '"very.(),:;<>[]\\".VERY.\\"very@\\\\ \\"very\\".unusual"@strange.example.com',
    "a@b.com\r\nBcc: attacker@evil.example",
    "a@b.com\nX-Header: injected",
    "a@b.com,,,;;b@c.com",
    "Name, With Comma <x@y.com>",
    "<script>@x.com",
    "a@[127.0.0.1]",
    "@example.com",
    "user@",
    "user@localhost",
    "user@-bad-.com",
    "x" * 300 + "@example.com",
    "\u202euser@example.com",
    "user\u200b@example.com",
    "",
]
addresses = st.one_of(
    st.sampled_from(IDN_AND_ODD_ADDRESSES),
    st.emails(),
    st.lists(st.sampled_from(IDN_AND_ODD_ADDRESSES) | st.emails(), max_size=8).map(", ".join),
    odd_text,
)


def encode(body: Any) -> bytes:
    """JSON as a client may send it: lone surrogates escaped, never refused by the encoder."""
    return json.dumps(body, ensure_ascii=True).encode()


# --- raw and malformed activities ----------------------------------------------------------


@FEW
@given(body=st.one_of(st.binary(max_size=400), json_values.map(encode)))
@example(body=b"")
@example(body=b"{")
@example(body=b'{"type": "message"}' * 5000)  # not JSON, and large
@example(body=encode({"type": "message", "conversation": {"id": "c"}, "serviceUrl": "ftp://x"}))
@example(body=encode([{"type": "message"}]))
async def test_any_body_gets_a_4xx_or_an_answer_never_a_500(
    bot: BotHarness, figures: Figures, body: bytes
) -> None:
    response = await post(bot, body)
    figures.bad_input("raw body", answered=response.status_code < 500)
    assert response.status_code < 500, response.text


@settings(FEW, max_examples=5)
@example(body=b"x" * (300 * 1024))
@given(
    body=st.builds(
        lambda unit, size: (unit * size)[:size],
        st.sampled_from([b"x", b"{", b"\xff", b'{"type": "message", "text": "']),
        st.integers(256 * 1024 + 1, 2 * 1024 * 1024),
    )
)
async def test_an_oversized_body_is_refused_with_413(
    bot: BotHarness, figures: Figures, body: bytes
) -> None:
    response = await post(bot, body)
    figures.bad_input("oversized body", answered=response.status_code == 413)
    assert response.status_code == 413


MESSAGE_FIELDS = ("id", "from", "recipient", "channelData", "locale", "timestamp", "textFormat",
                  "channelId", "entities", "attachments", "replyToId", "value", "name")  # fmt: skip


@SOME
@given(
    text=any_text,
    dropped=st.sets(
        st.sampled_from((*MESSAGE_FIELDS, "from.aadObjectId", "conversation.tenantId"))
    ),
    garbled=st.dictionaries(st.sampled_from(MESSAGE_FIELDS), json_values, max_size=3),
)
@example(text="/send", dropped={"from"}, garbled={})
@example(text="/send", dropped={"from.aadObjectId"}, garbled={})
@example(text="hi", dropped=set(), garbled={"entities": [{"type": "mention"}]})
@example(text="\ud800", dropped=set(), garbled={})
async def test_any_message_is_answered_in_its_conversation(
    bot: BotHarness,
    figures: Figures,
    text: str,
    dropped: set[str],
    garbled: dict[str, Any],
) -> None:
    adele = bot.person(ADELE)
    conversation = f"a:fuzz-{uuid.uuid4().hex}"
    activity = activity_for(bot, adele, type="message", text=text, textFormat="plain")
    activity["conversation"]["id"] = conversation
    activity.update(garbled)
    for field in dropped:
        parent, _, child = field.partition(".")
        if child and isinstance(activity.get(parent), dict):
            activity[parent].pop(child, None)
        elif not child:
            activity.pop(field, None)
    response = await post(bot, encode(activity))
    assert response.status_code in (202, 400), response.text
    if response.status_code == 400:
        figures.bad_input("message", answered=bool(response.json().get("error")))
        return
    replies = await wait_for_replies(bot.emulator, conversation, 1)
    figures.bad_input("message", answered=len(replies) >= 1)
    assert replies, "the bot did not answer"


# --- slash commands ------------------------------------------------------------------------

COMMAND_WORDS = ["/send", "/senders", "/templates", "/why", "/status", "/history", "/approvals",
                 "/cancel", "/help", "/sned", "/", "//", "/SEND", "send", "/send from:",
                 "/send from:support template:", "/send to:", "/send x=",
                 "/send from:support"]  # fmt: skip
fast_tokens = st.one_of(
    st.builds(
        lambda k, v: f"{k}:{v}",
        st.sampled_from(["from", "template", "to", "cc", "bcc", "importance", "subject", ""]),
        odd_text | addresses,
    ),
    st.builds(lambda k, v: f"{k}={v}", st.text(string.ascii_letters + "_", max_size=12), odd_text),
    st.sampled_from(['"', "'", '"unterminated', "“quoted”", "--", "-x", "\\"]),
    odd_text,
)


@SOME
@given(command=st.sampled_from(COMMAND_WORDS), args=st.lists(fast_tokens, max_size=6))
@example(command="/send", args=["from:support@contoso.com", "template:ticket-reply",
                                "to:a@b.com\r\nBcc: evil@x.com"])  # fmt: skip
@example(command="/why", args=["../../etc/passwd"])
@example(command="/status", args=["%"])
@example(command="/cancel", args=["'; DROP TABLE send_requests; --"])
@example(command="/templates", args=["{{ 7*7 }}"])
async def test_any_command_gets_a_card(
    bot: BotHarness, figures: Figures, command: str, args: list[str]
) -> None:
    adele = bot.person(ADELE)
    text = " ".join([command, *args])
    reply = await bot.say(adele, text)  # asserts 202 and waits for the reply
    activity = reply.get("activity", reply)
    clear = bool(activity.get("attachments") or activity.get("text"))
    figures.bad_input("slash command", answered=clear)
    assert clear


# --- card inputs ---------------------------------------------------------------------------

VERSIONS = ["", "-1", "0", "1e9", "99999999999999999999999", "²", "٣", "1.0", " 1", "NaN"]
preview_inputs = st.fixed_dictionaries(
    {},
    optional={
        "to": addresses,
        "cc": addresses,
        "bcc": addresses,
        "importance": st.sampled_from(["low", "normal", "high", "urgent", "", "HIGH"]) | odd_text,
        "var_customer_name": any_text,
        "var_ticket_id": any_text,
        "var_ticket_subject": any_text,
        "var_message": any_text,
        "var_status": odd_text,
        "bulk_csv": st.sampled_from(
            [
                "email\n",
                "email,customer_name\na@b.com,x\na@b.com,y",
                "email\n" + "\n".join(f"u{i}@x.com" for i in range(2500)),
                '"unclosed',
            ]
        )
        | odd_text,
        "kept": odd_text,
        "version": st.sampled_from(VERSIONS) | odd_text,
        "draft": st.sampled_from(["", "../", "x" * 500]) | odd_text,
    },
)


@FEW
@given(fields=preview_inputs)
@example(fields={"to": ",".join(f"user{i}@example.com" for i in range(10_000))})
@example(fields={"to": ",".join("x" * 15 for _ in range(10_000))})
@example(fields={"version": "²"})
@example(fields={"var_message": "{{ 7*191 }} {% for x in range(9) %}{% endfor %}"})
async def test_any_compose_input_gets_a_card_or_an_error_body(
    bot: BotHarness, figures: Figures, fields: dict[str, str]
) -> None:
    adele = bot.person(ADELE)
    card = await compose(bot, adele, "support@contoso.com", "ticket-reply")
    data = {**action(card, verbs.PREVIEW)["data"], **inputs("ticket-reply", to=JOHANNA), **fields}
    response = await post(bot, encode(invoke_for(bot, adele, verbs.PREVIEW, data)))
    assert response.status_code == 200, response.text
    body = response.json()
    clear = body.get("statusCode") in (200, 400) and isinstance(body.get("value"), dict)
    figures.bad_input("card input", answered=clear)
    assert clear, body
    assert len(response.content) < 100_000, "a card Teams would refuse (over ~100 KB)"
    assert mail_submissions(bot.emulator) == []  # a preview never sends


# The verbs (strings); cards.verbs also has upper-case tables (``_PAYLOADS``, ``QUICK_PICKS``).
VERB_NAMES = [v for n in dir(verbs) if n.isupper() and isinstance(v := getattr(verbs, n), str)]


@FEW
@given(
    verb=st.sampled_from(VERB_NAMES) | odd_text,
    data=st.dictionaries(
        st.sampled_from(["request", "draft", "version", "sender", "template", "comment", "to"])
        | odd_text,
        json_values,
        max_size=6,
    ),
)
@example(verb=verbs.SEND, data={"request": None, "version": "²"})
@example(verb=verbs.APPROVE, data={"request": "", "version": "1"})
@example(verb=verbs.STATUS, data={"request": ["list"]})
@example(verb=verbs.PICK_SENDER, data={"sender": "\x00"})
async def test_any_card_action_gets_an_answer_in_teams_shape(
    bot: BotHarness, figures: Figures, verb: str, data: dict[str, Any]
) -> None:
    adele = bot.person(ADELE)
    response = await post(bot, encode(invoke_for(bot, adele, verb, data)))
    assert response.status_code in (200, 400), response.text
    body = response.json() if response.status_code == 200 else {}
    clear = response.status_code == 400 or (
        body.get("statusCode") in (200, 400, 403) and body.get("value") is not None
    )
    figures.bad_input("card action", answered=clear)
    assert clear, body


# --- template values and addresses, by hand ------------------------------------------------


async def test_template_syntax_in_a_value_is_shown_not_run(
    bot: BotHarness, figures: Figures
) -> None:
    adele = bot.person(ADELE)
    card = await compose(bot, adele, "support@contoso.com", "ticket-reply")
    data = {**action(card, verbs.PREVIEW)["data"], **inputs("ticket-reply", to=JOHANNA),
            "var_message": "{{ 7*191 }} {{ ''.__class__.__mro__ }}"}  # fmt: skip
    preview = text_of(card_in(await bot.act(adele, verbs.PREVIEW, data)))
    figures.bad_input("template value", answered="1337" not in preview)
    assert "{{ 7*191 }}" in preview
    assert "1337" not in preview
    assert "object" not in preview.replace("{{ ''.__class__.__mro__ }}", "")


@pytest.mark.parametrize("address", IDN_AND_ODD_ADDRESSES)
async def test_each_odd_address_is_accepted_cleanly_or_explained_next_to_its_field(
    bot: BotHarness, figures: Figures, address: str
) -> None:
    adele = bot.person(ADELE)
    card = await compose(bot, adele, "support@contoso.com", "ticket-reply")
    data = {**action(card, verbs.PREVIEW)["data"], **inputs("ticket-reply", to=address)}
    shown = card_in(await bot.act(adele, verbs.PREVIEW, data))
    text = text_of(shown)
    previewed = any(a.get("verb") == verbs.SEND for a in _all_actions(shown))
    explained = "not an email address" in text or "at least one recipient" in text
    figures.bad_input("email address", answered=previewed or explained)
    assert previewed or explained, text[:400]
    if previewed:  # what would be sent holds no header a line break smuggled in
        request_id = action(shown, verbs.SEND)["data"]["request"]
        request = await bot.services.store.get_request(request_id)
        assert all(("\r" not in a and "\n" not in a and ":" not in a.split("@")[0])
                   or a.startswith('"') for a in request.recipients.all())  # fmt: skip


async def test_ten_thousand_recipients_get_one_clear_error(
    bot: BotHarness, figures: Figures
) -> None:
    adele = bot.person(ADELE)
    for many, expected in (
        (",".join(f"c{i}@fabrikam.com" for i in range(10_000)), "too long"),  # ~180 KB
        (",".join(f"{i}@f.io" for i in range(10_000)), "at most 500"),  # under 100,000 chars
    ):
        card = await compose(bot, adele, "support@contoso.com", "ticket-reply")
        data = {**action(card, verbs.PREVIEW)["data"], **inputs("ticket-reply", to=many)}
        response = await post(bot, encode(invoke_for(bot, adele, verbs.PREVIEW, data)))
        body = response.json()
        value = body["value"]
        text = value.get("message", "") if body["statusCode"] != 200 else text_of(value)
        figures.bad_input("email address", answered=expected in text)
        assert expected in text, text[:300]
        assert len(response.content) < 100_000
    assert mail_submissions(bot.emulator) == []


def _all_actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    from tests.support.botapp import actions_of

    return actions_of(card)


async def test_email_bodies_put_in_template_values_never_reach_the_log(
    bot: BotHarness, report: ReportPlugin, figures: Figures
) -> None:
    """The log watch scans this test's lines for the marker (and the session end scans
    every line of the run)."""
    adele = bot.person(ADELE)
    marker = report.marker("body")
    card = await compose(bot, adele, "support@contoso.com", "ticket-reply")
    data = {**action(card, verbs.PREVIEW)["data"],
            **inputs("ticket-reply", to=f"{JOHANNA}, not-an-address {marker}"),
            "var_message": f"Private: {marker}", "var_customer_name": marker[:90]}  # fmt: skip
    await bot.act(adele, verbs.PREVIEW, data)
    data["to"] = JOHANNA
    fresh = action(await compose(bot, adele, "support@contoso.com", "ticket-reply"),
                   verbs.PREVIEW)["data"]  # fmt: skip
    preview = card_in(await bot.act(adele, verbs.PREVIEW, {**data, **fresh}))
    await bot.act(adele, verbs.SEND, action(preview, verbs.SEND)["data"])
    figures.bad_input("template value", answered=True)
