"""The Bot Connector stand-in enforces Teams' documented rate limits: per bot per thread
(7/1 s, 8/2 s, 60/30 s, 1,800/h for sends and for creating conversations; 14/16/120/3,600
for member reads) and per app per tenant (30 a second), with 429 and Retry-After."""

from __future__ import annotations

import httpx

from emulator.connector_limits import ConnectorLimiter
from emulator.testing import RunningEmulator

APP = "app-1"
TENANT = "tenant-1"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def admitted(limiter: ConnectorLimiter, count: int, thread: str = "a:chat") -> list[int | None]:
    return [limiter.admit(APP, TENANT, thread, "send") for _ in range(count)]


def test_the_eighth_send_within_a_second_is_refused_until_the_second_is_over() -> None:
    clock = Clock()
    limiter = ConnectorLimiter(clock)

    assert admitted(limiter, 7) == [None] * 7
    assert limiter.admit(APP, TENANT, "a:chat", "send") == 1
    clock.now += 1.0
    assert limiter.admit(APP, TENANT, "a:chat", "send") is None


def test_eight_in_two_seconds_is_a_window_of_its_own() -> None:
    clock = Clock()
    limiter = ConnectorLimiter(clock)
    admitted(limiter, 7)
    clock.now += 1.0
    assert limiter.admit(APP, TENANT, "a:chat", "send") is None  # the 8th in 2 s

    clock.now += 0.5
    assert limiter.admit(APP, TENANT, "a:chat", "send") == 1  # a 9th within 2 s
    clock.now += 0.5
    assert limiter.admit(APP, TENANT, "a:chat", "send") is None


def test_sixty_in_thirty_seconds_and_eighteen_hundred_an_hour() -> None:
    clock = Clock()
    limiter = ConnectorLimiter(clock)
    for _ in range(60):
        assert limiter.admit(APP, TENANT, "a:chat", "send") is None
        clock.now += 0.3  # 3.3 a second: within the short windows
    assert limiter.admit(APP, TENANT, "a:chat", "send") is not None

    hourly = ConnectorLimiter(clock)
    for _ in range(1800):
        assert hourly.admit(APP, TENANT, "a:hour", "send") is None
        clock.now += 1.0
    retry_after = hourly.admit(APP, TENANT, "a:hour", "send")
    assert retry_after is not None
    assert retry_after > 1000


def test_threads_and_scenarios_are_counted_apart_but_the_app_has_thirty_a_second() -> None:
    clock = Clock()
    limiter = ConnectorLimiter(clock)
    admitted(limiter, 7, "a:one")
    assert limiter.admit(APP, TENANT, "a:two", "send") is None
    assert limiter.admit(APP, TENANT, "a:one", "members") is None

    for n in range(21):
        assert limiter.admit(APP, TENANT, f"a:more-{n}", "send") is None
    assert len(limiter._apps[(APP, TENANT)]) == 30  # noqa: SLF001 - the count itself
    assert limiter.admit(APP, TENANT, "a:fresh", "send") == 1
    assert limiter.admit("other-app", TENANT, "a:fresh", "send") is None


def test_over_the_rate_the_connector_answers_429_with_retry_after(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    answers = [
        https.post("/v3/conversations/a:busy/activities", json={"type": "message", "text": "x"})
        for _ in range(9)
    ]

    refused = [a for a in answers if a.status_code == 429]
    assert [a.status_code for a in answers[:7]] == [200] * 7
    assert refused, [a.status_code for a in answers]
    assert int(refused[0].headers["Retry-After"]) >= 1
    assert len(emulator.control.connector_activities("a:busy")) == 9 - len(refused)
    quiet = https.post("/v3/conversations/a:quiet/activities", json={"type": "message"})
    assert quiet.status_code == 200


def test_updates_count_as_sends_and_the_per_app_limit_covers_every_conversation(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    megan = emulator.tenant.account("megan.bowen@contoso.com")
    assert megan is not None
    emulator.control.teams_apps(install_for=[megan.id])  # a 1:1 chat needs the app installed
    emulator.control.set_connector_limits(per_app_per_second=4)
    posted = https.post("/v3/conversations/a:c1/activities", json={"type": "message"})
    activity_id = posted.json()["id"]
    assert https.put(
        f"/v3/conversations/a:c1/activities/{activity_id}", json={"type": "message"}
    ).is_success
    assert https.get("/v3/conversations/a:c2/members").is_success
    created = https.post(
        "/v3/conversations",
        json={"members": [{"id": f"29:{megan.id}"}], "tenantId": emulator.tenant_id},
    )
    assert created.is_success, created.text

    refused = https.post("/v3/conversations/a:c3/activities", json={"type": "message"})

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert len(emulator.control.connector_activities("a:c3")) == 0
