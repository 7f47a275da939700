"""Dates and times in the user's time zone, as Teams tells it (the activity's clientInfo
entity): a time typed without an offset is a wall-clock time there, the email names the
zone, and the cards' times are shown in it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from microsoft_agents.activity import Activity

from bot.rendering.datetimes import format_datetime, format_time
from bot.teams.time_zone import user_zone
from bot.teams.times import format_time as card_time
from cards import verbs
from emulator.testing import RunningEmulator
from tests.support.botapp import BotHarness, action, card_in, running_bot, settings_for, text_of
from tests.support.templates import shipped_catalog

CATALOG = shipped_catalog()
NOREPLY = "noreply@contoso.com"
BERLIN = {
    "entities": [
        {"type": "clientInfo", "locale": "en-US", "country": "DE", "platform": "Web",
         "timezone": "Europe/Berlin"}
    ],
    "localTimezone": "Europe/Berlin",
}  # fmt: skip
Json = dict[str, Any]


def activity(**fields: Any) -> Activity:
    return Activity.model_validate({"type": "message", **fields})


# --- reading the zone ---------------------------------------------------------------------


def test_the_client_info_entitys_zone_is_the_users_zone() -> None:
    assert user_zone(activity(**BERLIN)) == ZoneInfo("Europe/Berlin")
    only_entity = {"entities": BERLIN["entities"]}
    assert user_zone(activity(**only_entity)) == ZoneInfo("Europe/Berlin")
    assert user_zone(activity(localTimezone="America/New_York")) == ZoneInfo("America/New_York")


def test_without_a_zone_name_the_local_timestamps_offset_is_used() -> None:
    zone = user_zone(activity(localTimestamp="2026-12-01T10:00:00.000+05:30"))
    assert zone == timezone(timedelta(hours=5, minutes=30))


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"entities": [{"type": "clientInfo", "timezone": "Mars/Olympus_Mons"}]},
        {"entities": [{"type": "clientInfo", "timezone": "../../etc/passwd"}]},
        {"entities": [{"type": "clientInfo", "timezone": 7}]},
        {"entities": [{"type": "mention", "timezone": "Europe/Berlin"}]},
        {"localTimezone": "x" * 500},
    ],
)
def test_a_missing_or_unknown_zone_is_none_never_a_guess(fields: Json) -> None:
    assert user_zone(activity(**fields)) is None


# --- showing it ---------------------------------------------------------------------------


def test_a_time_in_a_named_zone_names_the_zone_and_its_offset() -> None:
    winter = datetime(2026, 11, 28, 22, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    summer = datetime(2026, 7, 1, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert format_time(winter) == "22:00 (Europe/Berlin, UTC+01:00)"
    assert format_time(summer) == "09:30 (Europe/Berlin, UTC+02:00)"
    london = datetime(2026, 11, 28, 22, 0, tzinfo=ZoneInfo("Europe/London"))
    assert format_time(london) == "22:00 (Europe/London, UTC+00:00)"
    assert format_time(datetime(2026, 11, 28, 22, 0, tzinfo=UTC)) == "22:00 UTC"
    assert format_datetime(winter, "medium") == "28 Nov 2026 at 22:00 (Europe/Berlin, UTC+01:00)"


def test_card_times_are_shown_in_the_users_zone() -> None:
    moment = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    assert card_time(moment) == "26 Nov 2026, 10:00 UTC"
    assert card_time(moment, ZoneInfo("Europe/Berlin")) == "26 Nov 2026, 11:00 Europe/Berlin"
    assert card_time(moment, timezone(timedelta(hours=-5))) == "26 Nov 2026, 05:00 UTC-0500"


def test_a_typed_time_without_an_offset_is_read_in_the_users_zone() -> None:
    values = {**CATALOG.get("maintenance-window").sample_values(), "starts_at": "2026-11-28 22:00"}
    parsed = CATALOG.validate("maintenance-window", values, ZoneInfo("Europe/Berlin"))
    assert parsed["starts_at"] == datetime(2026, 11, 28, 22, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    offset = CATALOG.validate(
        "maintenance-window", {**values, "starts_at": "2026-11-28T22:00+05:00"}, ZoneInfo("UTC")
    )
    assert offset["starts_at"].utcoffset() == timedelta(hours=5)  # what was typed wins


# --- through the bot ----------------------------------------------------------------------


@pytest.fixture
async def bot(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(settings_for(emulator, tmp_path), emulator) as harness:
        yield harness


async def test_the_email_shows_the_zone_the_user_typed_the_times_in(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    compose = card_in(await bot.act(adele, verbs.PICK_SENDER, {"sender": NOREPLY}))
    picked = action(compose, verbs.PICK_TEMPLATE)["data"]
    compose = card_in(
        await bot.act(adele, verbs.PICK_TEMPLATE, {**picked, "template": "maintenance-window"})
    )
    values = {f"var_{k}": v for k, v in CATALOG.get("maintenance-window").sample_values().items()}
    data = {
        **action(compose, verbs.PREVIEW)["data"],
        **values,
        "var_starts_at": "2026-11-28",
        "var_starts_at__time": "22:00",
        "var_ends_at": "2026-11-29 02:00",
        "to": "johanna.lorenz@contoso.com",
    }
    preview = card_in(await bot.act(adele, verbs.PREVIEW, data, extra=BERLIN))
    request_id = str(action(preview, verbs.SEND)["data"]["request"])
    stored = await bot.services.store.get_request(request_id)
    assert stored.content is not None
    assert "22:00 (Europe/Berlin, UTC+01:00)" in stored.content.text
    assert "02:00 (Europe/Berlin, UTC+01:00)" in stored.content.html
    assert "(UK time)" not in stored.content.text  # the template's manual zone is not needed
    assert "Europe/Berlin, UTC+01:00" in text_of(preview)


async def test_history_shows_times_in_the_users_zone(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    compose = card_in(await bot.act(adele, verbs.PICK_SENDER, {"sender": "support@contoso.com"}))
    values = {f"var_{k}": v for k, v in CATALOG.get("ticket-reply").sample_values().items()}
    data = {**action(compose, verbs.PREVIEW)["data"], **values, "to": "johanna.lorenz@contoso.com"}
    await bot.act(adele, verbs.PREVIEW, data)
    history = text_of(card_in(await bot.say(adele, "/history", extra=BERLIN)))
    assert "Europe/Berlin" in history
    assert " UTC" not in history
