"""What the lookup by Mailroom id decides, case by case (pure: bot/outbox/reconcile.py)."""

from __future__ import annotations

import pytest

from bot.graph import FoundMessage
from bot.outbox.reconcile import (
    AdoptDraft,
    CreateDraft,
    Delivered,
    DraftGone,
    Resolution,
    SendDraft,
    Undecided,
    resolve,
)


def draft(item: str, created: str = "2026-12-01T10:00:00Z") -> FoundMessage:
    return FoundMessage(id=item, is_draft=True, created=created)


def sent(item: str) -> FoundMessage:
    return FoundMessage(id=item, is_draft=False)


@pytest.mark.parametrize(
    ("found", "draft_id", "send_uncertain", "expected"),
    [
        # a sent copy settles it, whatever else is there (a stray draft is deleted)
        ([sent("s1")], "d1", True, Delivered()),
        ([sent("s1"), draft("d9")], None, False, Delivered(("d9",))),
        # its own draft is still a draft: send that item (again)
        ([draft("d1")], "d1", True, SendDraft("d1")),
        ([draft("d1"), draft("d2")], "d1", False, SendDraft("d1", ("d2",))),
        # no draft recorded: the create may have landed; the oldest is adopted
        ([draft("d2", "2026-12-01T10:00:05Z"), draft("d1")], None, False,
         AdoptDraft("d1", ("d2",))),
        ([], None, False, CreateDraft()),
        # its draft is gone
        ([], "d1", False, DraftGone()),
        ([draft("moved")], "d1", False, DraftGone(("moved",))),
        ([], "d1", True, Undecided()),
        ([draft("moved")], "d1", True, Undecided(("moved",))),
    ],
)  # fmt: skip
def test_the_lookup_decides_the_next_step(
    found: list[FoundMessage], draft_id: str | None, send_uncertain: bool, expected: Resolution
) -> None:
    assert resolve(found, draft_id=draft_id, send_uncertain=send_uncertain) == expected


def test_nothing_ever_resolves_to_a_second_item_once_a_send_may_have_been_taken() -> None:
    """After an uncertain send the only items ever sent are the recorded draft itself."""
    cases = [[], [draft("other")], [draft("d1")], [draft("d1"), draft("x")]]
    for found in cases:
        step = resolve(found, draft_id="d1", send_uncertain=True)
        assert not isinstance(step, CreateDraft | AdoptDraft)
        if isinstance(step, SendDraft):
            assert step.draft_id == "d1"
