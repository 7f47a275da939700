"""The send-request state machine and content hashing (pure domain, no database)."""

from __future__ import annotations

import itertools

import pytest

from bot.domain.send_request import (
    ALLOWED_TRANSITIONS,
    FINAL_STATES,
    RenderedContent,
    SendState,
    check_transition,
    content_hash,
)
from bot.errors import IllegalTransition

HAPPY_PATH = [
    SendState.DRAFT,
    SendState.PENDING_APPROVAL,
    SendState.APPROVED,
    SendState.QUEUED,
    SendState.SENDING,
    SendState.SENT,
]


def test_the_happy_path_is_a_chain_of_allowed_transitions() -> None:
    for current, new in itertools.pairwise(HAPPY_PATH):
        check_transition("r1", current, new)


@pytest.mark.parametrize("final", sorted(FINAL_STATES - {SendState.FAILED}))
def test_final_states_other_than_failed_lead_nowhere(final: SendState) -> None:
    assert ALLOWED_TRANSITIONS[final] == frozenset()


def test_only_a_failed_request_may_be_queued_again() -> None:
    assert ALLOWED_TRANSITIONS[SendState.FAILED] == {SendState.QUEUED}


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (SendState.DRAFT, SendState.SENT),
        (SendState.PENDING_APPROVAL, SendState.QUEUED),
        (SendState.SENT, SendState.QUEUED),
        (SendState.REJECTED, SendState.APPROVED),
        (SendState.QUEUED, SendState.APPROVED),
    ],
)
def test_skipping_or_reversing_a_step_is_illegal(current: SendState, new: SendState) -> None:
    with pytest.raises(IllegalTransition) as illegal:
        check_transition("r1", current, new)

    assert (illegal.value.key, illegal.value.current, illegal.value.requested) == (
        "r1",
        str(current),
        str(new),
    )


def test_every_state_has_an_entry_in_the_machine() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(SendState)


def test_content_hash_changes_with_any_byte_and_only_with_content() -> None:
    base = RenderedContent("Subject", "<p>Hi</p>", "Hi")

    assert base.content_hash == content_hash("Subject", "<p>Hi</p>", "Hi")
    assert len(base.content_hash) == 64
    assert RenderedContent("Subject", "<p>Hi</p> ", "Hi").content_hash != base.content_hash
    assert RenderedContent("Subject", "<p>Hi</p>", "Hi\r\n").content_hash != base.content_hash
    # moving text between fields is a different content, not the same bytes
    assert RenderedContent("Subj", "ect<p>Hi</p>", "Hi").content_hash != base.content_hash
