"""Only the channel may speak for a user: a token of any other caller of the tenant is
refused with 401 and changes nothing, even with the bot's app id as audience and the
tenant's own issuer; and a token is bound to the tenant of the activity it comes with.

The attacks use tokens the emulator's Entra hands any app of the tenant for the bot's app id
(``{bot app id}/.default``, client credentials), in the v1 and the v2 format; the genuine
channel's token comes from the emulator's connector. Signatures are checked for real
through the signing-key seam (tests/security/channel.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.errors import NotFound
from cards import verbs
from emulator.testing import RunningEmulator
from tests.reliability.figures import Figures
from tests.security.channel import (
    REPORTING_APP,
    REPORTING_SECRET,
    ChannelBot,
    authenticated_bot,
    authenticated_settings,
    client_credentials,
)
from tests.security.helpers import (
    ADELE,
    JOHANNA,
    activity_for,
    invoke_for,
    mail_submissions,
    preview,
    settle_outbox,
)
from tests.security.tokens import Minter
from tests.support.botapp import action

DIEGO = "diego.siciliani@contoso.com"  # HR Team: may send from hr@contoso.com
OTHER_TENANT = "5b0d1e0f-3c52-4b4e-9d1f-0a8b7c6d5e4f"


@pytest.fixture
async def bot(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[ChannelBot]:
    async with authenticated_bot(authenticated_settings(emulator, tmp_path), emulator) as bot:
        yield bot


def reporting_token(emulator: RunningEmulator) -> str:
    """What the "Contoso Reporting" app of the tenant gets for the bot's app id."""
    return client_credentials(emulator, REPORTING_APP, REPORTING_SECRET, emulator.bot_app.client_id)


def bots_own_token(emulator: RunningEmulator) -> str:
    """The bot app's own client-credentials token for itself: what the Bot Framework
    Emulator sends (appid = aud); the channel never does."""
    app = emulator.bot_app
    return client_credentials(emulator, app.client_id, app.secret, app.client_id)


def sso_token(emulator: RunningEmulator) -> str:
    """The user's Teams SSO token (aud = the bot's app, azp = the Teams client)."""
    return emulator.control.mint_user_token(DIEGO)


Attacker = Callable[[RunningEmulator], str]

ATTACKERS: dict[str, tuple[str, Attacker]] = {
    "another app of the tenant, v1 token": ("1.0", reporting_token),
    "another app of the tenant, v2 token": ("2.0", reporting_token),
    "the bot's own app, v1 token": ("1.0", bots_own_token),
    "the bot's own app, v2 token": ("2.0", bots_own_token),
    "a user's Teams SSO token": ("2.0", sso_token),
}


def attacker_token(emulator: RunningEmulator, attack: str) -> str:
    version, mint = ATTACKERS[attack]
    emulator.control.set_token_version(emulator.bot_app.client_id, version)
    return mint(emulator)


async def nothing_known_about(bot: ChannelBot, upn: str) -> bool:
    """No reply, no conversation reference, no request: the bot never heard of them."""
    person = bot.person(upn)
    try:
        await bot.services.store.get_conversation_ref(person.oid)
    except NotFound:
        known = False
    else:
        known = True
    requests = await bot.services.store.list_requests(requester_oid=person.oid)
    return not known and not requests and bot.replies(person) == []


@pytest.mark.parametrize("attack", list(ATTACKERS))
async def test_a_token_of_another_caller_of_the_tenant_cannot_speak_for_a_user(
    bot: ChannelBot, figures: Figures, attack: str
) -> None:
    """The review's attack: with such a token, "Diego" asks for a send from hr@ to an
    outsider. Every step is refused with 401; the bot never hears of it."""
    token = attacker_token(bot.emulator, attack)
    diego = bot.person(DIEGO)
    bot.emulator.control.clear_log()
    steps = [
        activity_for(bot, diego, type="message", text="/send", textFormat="plain"),
        activity_for(bot, diego, type="message", text="/send from:hr@contoso.com "
                     "template:hr-announcement to:outsider@evil.example", textFormat="plain"),
        invoke_for(bot, diego, verbs.PICK_SENDER, {"sender": "hr@contoso.com"}),
        invoke_for(bot, diego, verbs.PREVIEW, {"sender": "hr@contoso.com",
                   "template": "hr-announcement", "to": "outsider@evil.example"}),
    ]  # fmt: skip
    statuses = [(await bot.post_as(f"Bearer {token}", step)).status_code for step in steps]
    refused = statuses == [401] * len(steps)
    figures.attack("caller", refused=refused)
    assert refused, statuses
    assert await nothing_known_about(bot, DIEGO)
    touched = [e["path"] for e in bot.emulator.control.request_log()]
    assert not [p for p in touched if p.startswith(("/v1.0/", "/adminapi/", "/v3/"))], touched


@pytest.mark.parametrize("attack", list(ATTACKERS))
async def test_a_send_replayed_with_another_callers_token_is_refused_and_the_channel_still_sends(
    bot: ChannelBot, figures: Figures, attack: str
) -> None:
    """Adele previews a send through the channel; the same Send click, carried by another
    caller's token, is refused and sends nothing; carried by the channel, it sends."""
    adele = bot.person(ADELE)
    card = await preview(bot, adele, "support@contoso.com", "ticket-reply", JOHANNA)
    send = action(card, verbs.SEND)["data"]
    before = await bot.services.store.get_request(send["request"])
    token = attacker_token(bot.emulator, attack)

    forged = await bot.post_as(f"Bearer {token}", invoke_for(bot, adele, verbs.SEND, send))

    after = await bot.services.store.get_request(send["request"])
    refused = forged.status_code == 401 and (after.state, after.version) == (
        before.state,
        before.version,
    )
    figures.attack("caller", refused=refused and not mail_submissions(bot.emulator))
    assert forged.status_code == 401, forged.text
    assert (after.state, after.version) == (before.state, before.version)
    assert mail_submissions(bot.emulator) == []

    genuine = await bot.act(adele, verbs.SEND, send)
    assert genuine["statusCode"] == 200
    assert await settle_outbox(bot, send["request"]) == "sent"
    assert len(mail_submissions(bot.emulator)) >= 1


@pytest.mark.parametrize("version", ["1.0", "2.0"])
async def test_the_same_token_is_served_once_its_app_is_a_configured_trusted_caller(
    emulator: RunningEmulator, tmp_path: Path, version: str
) -> None:
    """The positive control for the attacks above: audience, issuer, signature and tenant
    of those tokens are all good — only the calling application was not trusted. (A card
    action, answered in the response: the SDK would reply to a message from an app caller
    with a token for that app, as it answers another agent.)"""
    settings = authenticated_settings(
        emulator, tmp_path, trusted_callers=("channel", REPORTING_APP)
    )
    async with authenticated_bot(settings, emulator) as bot:
        emulator.control.set_token_version(emulator.bot_app.client_id, version)
        adele = bot.person(ADELE)
        response = await bot.post_as(
            f"Bearer {reporting_token(emulator)}", invoke_for(bot, adele, verbs.HELP, {})
        )
        assert response.status_code == 200, response.text
        assert response.json()["statusCode"] == 200


async def test_with_only_a_trusted_app_configured_the_channel_itself_is_refused(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = authenticated_settings(emulator, tmp_path, trusted_callers=(REPORTING_APP,))
    async with authenticated_bot(settings, emulator) as bot:
        adele = bot.person(ADELE)
        activity = activity_for(bot, adele, type="message", text="/help", textFormat="plain")
        response = await bot.post_as(f"Bearer {bot.channel_token}", activity)
    assert response.status_code == 401


# --- the token's tenant and the activity's ---------------------------------------------------


async def test_a_trusted_callers_token_for_another_tenants_activity_is_refused(
    emulator: RunningEmulator, tmp_path: Path, figures: Figures
) -> None:
    settings = authenticated_settings(
        emulator,
        tmp_path,
        trusted_callers=("channel", REPORTING_APP),
        allowed_tenants=(emulator.tenant_id, OTHER_TENANT),
    )
    async with authenticated_bot(settings, emulator) as bot:
        adele = bot.person(ADELE)
        activity = activity_for(bot, adele, type="message", text="/help", textFormat="plain")
        activity["channelData"] = {"tenant": {"id": OTHER_TENANT}}
        activity["conversation"]["tenantId"] = OTHER_TENANT
        response = await bot.post_as(f"Bearer {reporting_token(emulator)}", activity)
        figures.attack("tenant", refused=response.status_code == 401)
        assert response.status_code == 401
        assert bot.emulator.control.connector_activities() == []


async def test_an_activity_naming_two_tenants_is_refused(bot: ChannelBot, figures: Figures) -> None:
    adele = bot.person(ADELE)
    activity = activity_for(bot, adele, type="message", text="/help", textFormat="plain")
    activity["conversation"]["tenantId"] = OTHER_TENANT
    response = await bot.post_as(f"Bearer {bot.channel_token}", activity)
    figures.attack("tenant", refused=response.status_code == 401)
    assert response.status_code == 401
    assert bot.replies(adele) == []


async def test_a_channel_token_naming_another_tenant_is_refused(
    bot: ChannelBot, figures: Figures
) -> None:
    """The channel's tokens name no tenant; one that does must name the activity's."""
    minter = Minter.for_emulator(bot.emulator)
    adele = bot.person(ADELE)
    activity = activity_for(bot, adele, type="message", text="/help", textFormat="plain")
    named_other = minter.bot_framework(tid=OTHER_TENANT)
    named_ours = minter.bot_framework(tid=bot.emulator.tenant_id)

    refused = await bot.post_as(f"Bearer {named_other}", activity)
    served = await bot.post_as(f"Bearer {named_ours}", activity)

    figures.attack("tenant", refused=refused.status_code == 401)
    assert refused.status_code == 401
    assert served.status_code == 202


async def test_the_genuine_channel_token_is_served(bot: ChannelBot) -> None:
    reply = await bot.say(bot.person(ADELE), "/help")
    assert reply["activity"]["attachments"]
