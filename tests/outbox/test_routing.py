"""Which Graph call each sender kind and mode makes (the table in bot/outbox/routing.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.send_request import (
    OutgoingMessage,
    Recipients,
    RenderedContent,
    SenderKind,
    SendMode,
    SendRequest,
    new_draft,
)
from bot.graph import APP, AsUser
from bot.outbox.routing import build_message, route_for, where_to_check
from bot.store.records import Job, JobState

K, M = SenderKind, SendMode
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
USER = AsUser(oid="oid-adele", mailbox="adele@contoso.com")


def request(kind: SenderKind, mode: SendMode, sender: str) -> SendRequest:
    message = OutgoingMessage(
        Recipients(to=("x@example.com",)), RenderedContent("s", "<p>b</p>", "b")
    )
    return new_draft(
        requester_oid="oid-adele",
        requester_upn="adele@contoso.com",
        tenant_id="t",
        sender_address=sender,
        sender_kind=kind,
        mode=mode,
        template="t",
        values={},
        messages=[message],
        now=NOW,
    )


@pytest.mark.parametrize(
    ("kind", "mode", "sender", "caller", "mailbox", "from_", "sent_items"),
    [
        (K.SELF, M.DELEGATED, "adele@contoso.com", USER, None, None, "adele@contoso.com"),
        (K.SELF, M.APPLICATION, "adele@contoso.com", APP, "adele@contoso.com", None,
         "adele@contoso.com"),
        (K.SEND_AS, M.DELEGATED, "support@contoso.com", USER, None, "support@contoso.com",
         "adele@contoso.com"),
        (K.SEND_ON_BEHALF, M.DELEGATED, "megan@contoso.com", USER, None, "megan@contoso.com",
         "adele@contoso.com"),
        # The app acts in the sender mailbox, the one its RBAC scope holds: not the user's.
        (K.SEND_AS, M.APPLICATION, "support@contoso.com", APP, "support@contoso.com", None,
         "support@contoso.com"),
        # "on behalf of" needs the user's own mailbox in the URL (Graph's ``sender`` rule).
        (K.SEND_ON_BEHALF, M.APPLICATION, "megan@contoso.com", APP, "adele@contoso.com",
         "megan@contoso.com", "adele@contoso.com"),
        (K.SHARED, M.DELEGATED, "support@contoso.com", USER, "support@contoso.com", None,
         "support@contoso.com"),
        (K.SHARED, M.APPLICATION, "support@contoso.com", APP, "support@contoso.com", None,
         "support@contoso.com"),
        (K.NOREPLY, M.APPLICATION, "noreply@contoso.com", APP, "noreply@contoso.com", None,
         "noreply@contoso.com"),
    ],
)  # fmt: skip
def test_each_sender_kind_and_mode_has_its_mailbox_token_and_sent_items(
    kind: SenderKind,
    mode: SendMode,
    sender: str,
    caller: object,
    mailbox: str | None,
    from_: str | None,
    sent_items: str,
) -> None:
    sent = request(kind, mode, sender)
    route = route_for(sent)

    assert route.caller == caller
    assert route.mailbox == mailbox
    assert route.from_address == from_
    assert route.sent_items_mailbox == sent_items
    assert where_to_check(sent) == sent_items


def test_a_delegated_noreply_sender_is_refused() -> None:
    with pytest.raises(ValueError, match="application mode"):
        route_for(request(K.NOREPLY, M.DELEGATED, "noreply@contoso.com"))


def test_the_message_is_the_stored_content_byte_for_byte_with_its_mailroom_id() -> None:
    body = "<p>Hello  Zoë,</p>\r\n<p>“Quotes” &amp; <b>bold</b></p>  "
    job = Job(
        id="j1",
        request_id="r1",
        seq=0,
        mailroom_id="2f6f0c2e-9d1f-4c39-9a43-0c4ee1f1f0aa",
        sender_address="support@contoso.com",
        recipients=Recipients(to=("a@example.com",), cc=("b@example.com",), bcc=("c@example.com",)),
        values={},
        subject="Re: ticket",
        content=RenderedContent("Re: ticket — done", body, "text"),
        content_hash="h",
        state=JobState.SENDING,
        attempts=1,
        due_at=None,
        lease_owner="w",
        lease_expires_at=None,
        created_at=NOW,
        updated_at=NOW,
    )
    route = route_for(request(K.SEND_AS, M.DELEGATED, "support@contoso.com"))

    graph = build_message(job, route, from_name="Contoso Support", reply_to="help@contoso.com")
    data = graph.to_graph()

    assert data["subject"] == "Re: ticket — done"
    assert data["body"] == {"contentType": "HTML", "content": body}
    assert data["from"] == {
        "emailAddress": {"address": "support@contoso.com", "name": "Contoso Support"}
    }
    assert data["replyTo"] == [{"emailAddress": {"address": "help@contoso.com"}}]
    assert [r["emailAddress"]["address"] for r in data["bccRecipients"]] == ["c@example.com"]
    assert {"name": "x-mailroom-id", "value": job.mailroom_id} in data["internetMessageHeaders"]


def test_pacing_may_catch_up_only_within_the_spare_share_of_the_rate() -> None:
    from bot.domain.senders import Mode, RateLimits, SenderConfig, SenderKind
    from bot.outbox.senders import sender_details

    def pacing(per_minute: int) -> tuple[float, int]:
        config = SenderConfig(
            address="noreply@contoso.com", display_name="No reply", kind=SenderKind.NOREPLY,
            mode=Mode.APPLICATION, rate=RateLimits(per_minute=per_minute),
        )  # fmt: skip
        details = sender_details(
            lambda _a: config, "noreply@contoso.com",
            default_per_minute=30, rate_safety=0.95, max_concurrent=4,
        )  # fmt: skip
        return details.pacing.per_minute, details.pacing.burst

    assert pacing(30) == (28.5, 1)  # Exchange's default: no room to catch up
    rate, burst = pacing(300)
    assert burst == 15
    # At most the spaced rate plus the burst in any minute: never above Exchange's limit.
    assert rate + burst <= 300
