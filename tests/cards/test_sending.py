"""The "Sending…" card: the bot's ProgressView shown through the outbox's progress card."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cards import sending, verbs
from cards.views import ProgressView
from tests.cards.anatomy import MARK, assert_valid, markdown_texts, run_text, user_text, verbs_of

BULK = ProgressView(
    request_id="r-9",
    version=5,
    state="sending",
    from_line="Contoso No-Reply <noreply@contoso.com>",
    subject="Planned outage",
    total=400,
    sent=137,
    failed=3,
    eta_text="about 9 min left",
    failures=(("x@fabrikam.com", "Mailbox full"),),
)
SINGLE = replace(BULK, total=1, sent=0, failed=0, eta_text=None, failures=(), state="queued")


def test_the_bulk_progress_line_reads_like_the_issue() -> None:
    assert sending.progress_line(BULK) == "Sent 137 of 400 · 3 failed · about 9 min left"
    done = replace(BULK, state="sent")
    assert sending.progress_line(done) == "Sent 137 of 400 · 3 failed"


def test_a_send_in_progress_can_be_cancelled() -> None:
    for view in (BULK, SINGLE):
        card = sending.build(view)
        assert_valid(card)
        assert verbs_of(card) == [verbs.CANCEL]


@pytest.mark.parametrize("state", ["sent", "cancelled", "rejected", "expired"])
def test_a_finished_send_has_no_cancel(state: str) -> None:
    card = sending.build(replace(SINGLE, state=state, sent=1 if state == "sent" else 0))
    assert verbs.CANCEL not in verbs_of(card)


def test_a_single_send_says_sending() -> None:
    card = sending.build(replace(SINGLE, state="sending"))
    assert "Sending…" in markdown_texts(card)


def test_a_failed_request_never_reads_as_sent() -> None:
    card = sending.build(replace(SINGLE, state="failed"))
    assert "Sent" not in markdown_texts(card)
    assert verbs.RETRY_FAILED in verbs_of(card)


def test_failures_are_listed_with_their_reason() -> None:
    assert "x@fabrikam.com — Mailbox full" in run_text(sending.build(BULK))


def test_user_text_stays_plain() -> None:
    view = replace(BULK, subject=f"{MARK}[click](https://evil.example)", from_line=f"{MARK}**b**")
    card = sending.build(view)
    assert_valid(card)
    assert "[click](https://evil.example)" in run_text(card)


@given(
    subject=user_text(),
    state=st.sampled_from(["queued", "sending", "sent", "failed", "cancelled", "expired"]),
    failures=st.lists(st.tuples(user_text(max_size=60), user_text(max_size=80)), max_size=40),
)
def test_any_progress_gives_a_valid_card(
    subject: str, state: str, failures: list[tuple[str, str]]
) -> None:
    assert_valid(
        sending.build(replace(BULK, subject=subject, state=state, failures=tuple(failures)))
    )
