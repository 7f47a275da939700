"""Cards about a request stay current: the worker updates them in place through the Bot
Connector (the emulator's), within Teams' limits, and stops for good at a 403 that says the
bot cannot write there."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from bot.app import ADAPTER, CONNECTOR_CLIENTS, create_app
from bot.domain.send_request import JsonValue, SendState
from bot.identity import MsalTokenProvider
from bot.outbox import Worker
from bot.settings import Secret, Settings
from bot.store import CardRef, CardRole, PacingPolicy, Store, utc_now
from bot.teams.notifier import (
    ConversationPacer,
    Delivered,
    Notifier,
    NotifyRetry,
    TeamsRateLimits,
    Unreachable,
)
from emulator.testing import RunningEmulator
from tests.outbox.helpers import (
    ADELE,
    DIEGO,
    LYNNE,
    MEGAN,
    fast_config,
    oid_of,
    queue_request,
    wait_final,
)

MakeWorker = Callable[..., Worker]
MakeNotifier = Callable[..., Notifier]


def reference(
    emulator: RunningEmulator, conversation: str, user: str = ADELE
) -> dict[str, JsonValue]:
    oid = oid_of(emulator, user)
    return {
        "bot": {"id": "28:mailroom", "name": "Mailroom"},
        "user": {"id": f"29:{oid}", "aadObjectId": oid},
        "conversation": {"id": conversation, "conversationType": "personal"},
        "channelId": "msteams",
        "serviceUrl": emulator.base_url + "/",
    }


def card_text(activity: dict[str, Any]) -> str:
    return str(activity["attachments"][0]["content"])


async def post_card(
    emulator: RunningEmulator, store: Store, notifier: Notifier, request_id: str, conversation: str
) -> CardRef:
    ref = reference(emulator, conversation)
    posted = await notifier.send_card(ref, {"type": "AdaptiveCard", "version": "1.5", "body": []})
    assert isinstance(posted, Delivered)
    assert posted.activity_id is not None
    card = CardRef(
        request_id, posted.activity_id, CardRole.REQUESTER, ref, utc_now(), oid_of(emulator, ADELE)
    )
    await store.save_card(card)
    return card


class RecordedSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_the_worker_updates_the_card_in_place_up_to_the_final_summary(
    emulator: RunningEmulator,
    store: Store,
    make_worker: MakeWorker,
    notifier_for: MakeNotifier,
) -> None:
    notifier = notifier_for(store)
    request = await queue_request(store, emulator, recipients=(MEGAN, DIEGO, LYNNE))
    card = await post_card(emulator, store, notifier, request.id, "a:progress")
    await make_worker(store, notifier=notifier).start()

    await wait_final(store, request.id)

    async def final_text() -> str:
        [record] = emulator.control.connector_activities("a:progress")
        return card_text(record["activity"]) if record["updates"] else ""

    for _ in range(100):
        if "Sent 3 of 3" in await final_text():
            break
        await asyncio.sleep(0.05)
    [record] = emulator.control.connector_activities("a:progress")
    assert record["id"] == card.activity_id
    assert "Bulk send finished" in card_text(record["activity"])
    assert "Sent 3 of 3" in card_text(record["activity"])
    [stored] = await store.list_cards(request.id)
    assert stored.last_updated_at is not None


async def test_a_bot_removed_from_the_conversation_is_recorded_and_not_retried(
    emulator: RunningEmulator, store: Store, notifier_for: MakeNotifier
) -> None:
    notifier = notifier_for(store)
    request = await queue_request(store, emulator, state=SendState.DRAFT)
    card = await post_card(emulator, store, notifier, request.id, "a:removed")
    emulator.control.add_fault(
        "PUT", "/v3/conversations/*", "error", status=403, code="BotNotInConversationRoster"
    )

    first = await notifier.update_card(card, {"type": "AdaptiveCard", "body": []})
    [stored] = await store.list_cards(request.id)
    second = await notifier.update_card(stored, {"type": "AdaptiveCard", "body": []})

    assert first == Unreachable("BotNotInConversationRoster", 403)
    assert second == Unreachable("BotNotInConversationRoster", 403)
    assert stored.blocked_code == "BotNotInConversationRoster"
    puts = [e for e in emulator.control.request_log() if e["method"] == "PUT"]
    assert len(puts) == 1


async def test_a_throttled_update_is_retried_with_backoff(
    emulator: RunningEmulator, store: Store, notifier_for: MakeNotifier
) -> None:
    sleeps = RecordedSleep()
    notifier = notifier_for(store, sleep=sleeps, retry=NotifyRetry(max_attempts=4))
    request = await queue_request(store, emulator, state=SendState.DRAFT)
    card = await post_card(emulator, store, notifier, request.id, "a:busy")
    emulator.control.add_fault("PUT", "/v3/conversations/*", "throttle", count=1, retry_after=2)
    emulator.control.add_fault("PUT", "/v3/conversations/*", "error", status=502, count=1)

    outcome = await notifier.update_card(card, {"type": "AdaptiveCard", "body": []})

    assert outcome == Delivered(card.activity_id)
    puts = [e["status"] for e in emulator.control.request_log() if e["method"] == "PUT"]
    assert puts == [429, 502, 200]
    assert len(sleeps.waits) == 2
    assert 2 <= sleeps.waits[0] <= 3  # Retry-After, plus jitter


async def test_a_user_who_blocked_the_bot_is_not_messaged_again(
    emulator: RunningEmulator, store: Store, notifier_for: MakeNotifier
) -> None:
    notifier = notifier_for(store)
    adele = oid_of(emulator, ADELE)
    await store.save_conversation_ref(adele, reference(emulator, "a:blocked"))
    emulator.control.add_fault(
        "POST", "/v3/conversations/*", "error", status=403, code="MessageWritesBlocked"
    )

    first = await notifier.notify_user(adele, {"type": "AdaptiveCard", "body": []})
    second = await notifier.notify_user(adele, {"type": "AdaptiveCard", "body": []})

    assert first == second == Unreachable("MessageWritesBlocked", 403)
    ref = await store.get_conversation_ref(adele)
    assert ref.blocked_code == "MessageWritesBlocked"
    posts = [e for e in emulator.control.request_log() if e["path"].startswith("/v3/")]
    assert len(posts) == 1


async def test_the_pacer_keeps_to_eight_in_two_seconds_and_thirty_a_second_for_the_app() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = ConversationPacer(TeamsRateLimits(), clock=lambda: now[0], sleep=sleep)
    stamps = []
    for _ in range(17):
        async with pacer.slot("a:chat"):
            stamps.append(now[0])
    for i in range(len(stamps) - 8):
        assert stamps[i + 8] - stamps[i] >= 2.0

    others = []
    for n in range(31):
        async with pacer.slot(f"a:user-{n}"):
            others.append(now[0])
    for i in range(len(others) - 30):
        assert others[i + 30] - others[i] >= 1.0


class RealSleep(RecordedSleep):
    """The notifier's backoff, recorded and really waited."""

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(seconds)


async def test_a_burst_to_one_chat_stays_within_the_connectors_limits(
    emulator: RunningEmulator, store: Store, notifier_for: MakeNotifier
) -> None:
    notifier = notifier_for(store)
    ref = reference(emulator, "a:burst")

    outcomes = await asyncio.gather(
        *(notifier.send_card(ref, {"type": "AdaptiveCard", "body": []}) for _ in range(10))
    )

    assert all(isinstance(o, Delivered) for o in outcomes), outcomes
    statuses = [e["status"] for e in emulator.control.request_log() if "a:burst" in e["path"]]
    assert statuses == [200] * 10


async def test_a_429_from_the_connectors_own_limit_is_waited_out_and_retried(
    emulator: RunningEmulator, store: Store, notifier_for: MakeNotifier
) -> None:
    """Another replica used the chat's second: this process's pacer cannot know, Teams
    answers 429 with Retry-After and the notifier waits it out."""
    sleeps = RealSleep()
    notifier = notifier_for(store, sleep=sleeps, jitter=lambda: 0.0)
    async with httpx.AsyncClient(
        verify=emulator.ssl_context(), base_url=emulator.base_url
    ) as other:
        for _ in range(7):
            posted = await other.post("/v3/conversations/a:shared/activities", json={})
            assert posted.status_code == 200

    outcome = await notifier.send_card(
        reference(emulator, "a:shared"), {"type": "AdaptiveCard", "body": []}
    )

    assert isinstance(outcome, Delivered)
    statuses = [e["status"] for e in emulator.control.request_log() if "a:shared" in e["path"]]
    assert statuses[7:] == [429, 200]
    assert sleeps.waits == [1.0]  # the connector's Retry-After
    assert len(emulator.control.connector_activities("a:shared")) == 8


async def test_the_pacer_keeps_to_seven_a_second_and_sixty_in_thirty_seconds() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = ConversationPacer(TeamsRateLimits(), clock=lambda: now[0], sleep=sleep)
    stamps = []
    for _ in range(61):
        async with pacer.slot("a:chat"):
            stamps.append(now[0])

    assert stamps[6] == 0.0
    assert stamps[7] >= 1.0
    for i in range(len(stamps) - 7):
        assert stamps[i + 7] - stamps[i] >= 1.0
    assert stamps[60] - stamps[0] >= 30.0
    assert pacer.wait_needed("a:other") == 0.0


async def test_an_expired_request_is_closed_audited_and_its_requester_told(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker, notifier_for: MakeNotifier
) -> None:
    notifier = notifier_for(store)
    adele = oid_of(emulator, ADELE)
    await store.save_conversation_ref(adele, reference(emulator, "a:adele-chat"))
    request = await queue_request(store, emulator, state=SendState.PENDING_APPROVAL, expires_in=-1)
    worker = make_worker(store, notifier=notifier)

    await worker.run_chores()

    expired = await store.get_request(request.id)
    assert expired.state is SendState.EXPIRED
    [row] = await store.query_audit()
    assert (row.outcome, row.request_id, row.mailroom_id) == ("expired", request.id, None)
    [record] = emulator.control.connector_activities("a:adele-chat")
    assert "Request expired" in card_text(record["activity"])
    [card] = await store.list_cards(request.id)
    assert (card.activity_id, card.role) == (record["id"], CardRole.REQUESTER)


async def test_the_sweep_closes_a_request_whose_worker_died_before_closing_it(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    request = await queue_request(store, emulator)
    [claimed] = await store.claim_due_jobs("dead-worker", 1, 30, utc_now())
    await store.acquire_send_slot(claimed.lease, PacingPolicy(per_minute=600), 30, utc_now())
    await store.record_sent(claimed.lease, "graph-request-1")  # ... and then it died
    assert (await store.get_request(request.id)).state is SendState.QUEUED

    await make_worker(store).run_chores()

    closed = await store.get_request(request.id)
    assert (closed.state, closed.graph_request_id) == (SendState.SENT, "graph-request-1")


async def test_retention_blanks_the_bodies_of_finished_requests(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    request = await queue_request(store, emulator)
    worker = make_worker(store, config=fast_config(retention_body_days=0))
    await worker.start()
    await wait_final(store, request.id)

    await worker.run_chores()

    purged = await store.get_request(request.id)
    assert purged.content is None
    assert purged.content_hash == request.content_hash
    [job] = await store.list_jobs(request.id)
    assert job.content is None


async def test_an_abandoned_draft_expires_without_a_new_message(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker, notifier_for: MakeNotifier
) -> None:
    adele = oid_of(emulator, ADELE)
    await store.save_conversation_ref(adele, reference(emulator, "a:quiet"))
    request = await queue_request(store, emulator, state=SendState.DRAFT, expires_in=-1)

    await make_worker(store, notifier=notifier_for(store)).run_chores()

    assert (await store.get_request(request.id)).state is SendState.EXPIRED
    assert emulator.control.connector_activities("a:quiet") == []


async def test_with_an_app_id_updates_carry_the_bots_token(
    emulator: RunningEmulator, store: Store, msal_tokens: MsalTokenProvider
) -> None:
    app = emulator.bot_app
    settings = Settings(
        app_id=app.client_id,
        app_password=Secret(app.secret),
        app_tenant_id=emulator.tenant_id,
        host="127.0.0.1",
        ca_bundle=emulator.ca_path,
    )
    bot = create_app(settings, app_token_source=msal_tokens.app_token)
    notifier = Notifier(bot[ADAPTER], store, app_id=app.client_id)
    emulator.control.set_connector_auth(True)
    request = await queue_request(store, emulator, state=SendState.DRAFT)

    try:
        card = await post_card(emulator, store, notifier, request.id, "a:signed")
        outcome = await notifier.update_card(card, {"type": "AdaptiveCard", "body": []})
    finally:
        await bot[CONNECTOR_CLIENTS].aclose()

    assert outcome == Delivered(card.activity_id)
    calls = [e for e in emulator.control.request_log() if e["path"].startswith("/v3/")]
    assert [(e["method"], e["status"]) for e in calls] == [("POST", 200), ("PUT", 200)]
    assert {e["app_id"] for e in calls} == {app.client_id}
