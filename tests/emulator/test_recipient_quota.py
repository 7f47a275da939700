"""Exchange's recipient rate limit (10,000 recipients per mailbox per rolling 24 hours): past
it Graph still answers 202, the message is not delivered, the mailbox is blocked for 24
hours and a 5.2.0 SubmissionQuotaExceeded NDR lands in the sender's Inbox."""

from __future__ import annotations

import httpx
from emu_helpers import Tokens, bearer, mail, to

from emulator.recipient_quota import RecipientQuota
from emulator.testing import RunningEmulator

SUPPORT = "support@contoso.com"
JOHANNA = "johanna.lorenz@contoso.com"
ALEX = "alex.wilber@contoso.com"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_count_rolls_over_24_hours_and_a_refusal_blocks_for_24_hours() -> None:
    clock = Clock()
    quota = RecipientQuota(clock)
    assert quota.submit("box", 6, limit=10)
    clock.now = 3600
    assert quota.submit("box", 4, limit=10)
    clock.now = 24 * 3600 + 1  # the first 6 left the window
    assert quota.submit("box", 6, limit=10)

    assert not quota.submit("box", 1, limit=10)  # 4 + 6 + 1 > 10: refused, blocked
    clock.now += 23 * 3600
    assert not quota.submit("box", 1, limit=10)  # room again, but still blocked
    assert quota.blocked("box")
    clock.now += 3600
    assert quota.submit("box", 1, limit=10)


def test_past_the_limit_graph_answers_202_and_the_sender_gets_the_ndr(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.set_move_delay(0)
    emulator.control.set_limits(recipients_per_day=3)
    url = f"/v1.0/users/{SUPPORT}/sendMail"
    first = mail("two", toRecipients=to(JOHANNA), ccRecipients=to(ALEX))
    over = mail("two more", toRecipients=to(JOHANNA), bccRecipients=to(ALEX))
    after = mail("one", toRecipients=to(ALEX))

    answers = [https.post(url, headers=bearer(tokens.app()), json=m) for m in (first, over, after)]

    assert [a.status_code for a in answers] == [202, 202, 202]
    emulator.control.transport(wait=5)
    assert [m["subject"] for m in emulator.control.mailbox(JOHANNA, "inbox")] == ["two"]
    assert [m["subject"] for m in emulator.control.mailbox(ALEX, "inbox")] == ["two"]
    ndrs = emulator.control.mailbox(SUPPORT, "inbox")
    assert [m["subject"] for m in ndrs] == ["Undeliverable: two more", "Undeliverable: one"]
    assert all("5.2.0" in m["body"]["content"] for m in ndrs)
    assert all("SubmissionQuotaExceeded" in m["body"]["content"] for m in ndrs)
    assert [m["subject"] for m in emulator.control.mailbox(SUPPORT, "sentitems")] == ["two"]
    outcomes = [r["outcome"] for r in emulator.control.transport()["record"]]
    assert outcomes[1:] == ["refused: 554 5.2.0 SubmissionQuotaExceeded"] * 2


def test_the_limit_is_ten_thousand_recipients_by_default(emulator: RunningEmulator) -> None:
    assert emulator.control.set_limits()["recipients_per_day"] == 10_000
