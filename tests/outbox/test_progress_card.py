"""The progress card as data: the running line, the summary with failures and its actions,
and user text that never becomes markdown."""

from __future__ import annotations

import json
from typing import Any

from cards.progress import (
    CANCEL_VERB,
    RETRY_FAILED_VERB,
    Failure,
    ProgressView,
    build,
    eta_text,
    summary_line,
)


def actions(card: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    return [(a["title"], a["verb"], a["data"]) for a in card.get("actions", [])]


def text_blocks(card: dict[str, Any]) -> list[str]:
    return [b["text"] for b in card["body"] if b["type"] == "TextBlock"]


def runs(card: dict[str, Any]) -> list[str]:
    return [r["text"] for b in card["body"] if b["type"] == "RichTextBlock" for r in b["inlines"]]


def test_the_running_line_says_how_far_and_how_long() -> None:
    view = ProgressView("r1", "support@contoso.com", "Outage", 400, 137, failed=3, eta_seconds=530)

    assert summary_line(view) == "Sent 137 of 400 · 3 failed · about 9 min left"


def test_eta_words() -> None:
    assert eta_text(None) is None
    assert eta_text(12) == "less than a minute left"
    assert eta_text(60) == "about 1 min left"
    assert eta_text(61) == "about 2 min left"
    assert eta_text(3600) == "about 1 h left"
    assert eta_text(7500) == "about 2 h 5 min left"


def test_a_running_bulk_send_offers_cancel() -> None:
    card = build(ProgressView("r1", "noreply@contoso.com", "Notice", 40, 10, eta_seconds=90))

    assert card["version"] == "1.5"
    assert "Sent 10 of 40 · about 2 min left" in text_blocks(card)
    assert actions(card) == [("Cancel", CANCEL_VERB, {"request": "r1"})]


def test_the_summary_lists_failures_and_offers_retry_failed() -> None:
    view = ProgressView(
        "r1",
        "noreply@contoso.com",
        "Notice",
        3,
        1,
        failed=2,
        phase="done",
        failures=(
            Failure(("a@example.com",), "Some recipient addresses are not valid"),
            Failure(("b@example.com",), "Microsoft 365 is busy"),
        ),
    )

    card = build(view)

    assert "Bulk send finished with failures" in text_blocks(card)
    assert "Sent 1 of 3 · 2 failed" in text_blocks(card)
    assert "a@example.com — Some recipient addresses are not valid" in runs(card)
    assert actions(card) == [("Retry failed", RETRY_FAILED_VERB, {"request": "r1"})]


def test_a_long_failure_list_is_cut_with_a_count() -> None:
    failures = tuple(Failure((f"p{n}@example.com",), "bad") for n in range(25))
    card = build(
        ProgressView("r1", "s@x.com", "S", 30, 5, failed=25, phase="done", failures=failures)
    )

    assert sum(1 for r in runs(card) if r.endswith("— bad")) == 20
    assert any(t.startswith("and 5 more") for t in text_blocks(card))


def test_a_single_send_reads_sending_then_sent() -> None:
    sending = build(ProgressView("r1", "me@contoso.com", "Hi", 1, 0, recipients=("a@example.com",)))
    sent = build(ProgressView("r1", "me@contoso.com", "Hi", 1, 1, phase="done"))

    assert text_blocks(sending)[0] == "Sending…"
    assert "To: a@example.com" in runs(sending)
    assert text_blocks(sent)[0] == "Sent"
    assert actions(sent) == []


def test_user_text_only_goes_into_text_runs() -> None:
    subject = "**Pay now** [here](https://evil.example) <at>boss</at>"
    card = build(
        ProgressView(
            "r1",
            "support@contoso.com",
            subject,
            2,
            1,
            failed=1,
            phase="done",
            failures=(Failure(("_x_@example.com",), "bad"),),
        )
    )

    assert f"Subject: {subject}" in runs(card)
    for block in text_blocks(card):
        assert "evil" not in block
        assert "_x_" not in block
    assert "evil.example" in json.dumps(card)  # present, but only as plain text


def test_expired_rejected_and_cancelled_cards_offer_nothing() -> None:
    expired = build(ProgressView("r1", "s@x.com", "S", 5, 0, phase="expired"))
    rejected = build(ProgressView("r1", "s@x.com", "S", 5, 0, phase="rejected"))
    cancelled = build(ProgressView("r1", "s@x.com", "S", 5, 2, cancelled=3, phase="cancelled"))

    assert text_blocks(expired)[0] == "Request expired: nothing was sent"
    assert text_blocks(rejected)[0] == "Request rejected: nothing was sent"
    assert "Sent 2 of 5 · 3 cancelled" in text_blocks(cancelled)
    assert actions(expired) == actions(rejected) == actions(cancelled) == []
