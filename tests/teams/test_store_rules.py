"""Microsoft's Teams Store validation guidelines for bots, each checked over real HTTP
against the emulator (MicrosoftDocs/msteams-docs, msteams-platform/concepts/deploy-and-publish/
appsource/prepare/teams-store-validation-guidelines.md; docs/platform.md, "Teams Store rules")."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bot.app import create_app
from bot.legal_pages import privacy_html, terms_html
from bot.packaging import PackageOptions, build_package
from bot.settings import Settings
from bot.store.records import RetentionPolicy
from emulator.testing import RunningEmulator
from tests.packaging.conftest import APP_ID, ROOT
from tests.packaging.test_checks import SchemaSays
from tests.support.activities import message
from tests.support.botapp import BotHarness, Person, card_in, running_bot, settings_for, text_of
from tests.support.servers import ConnectorStandIn, serve

BOT = {"id": "28:mailroom", "name": "Mailroom"}


def welcomes(bot: BotHarness, who: Person) -> list[str]:
    return [
        text
        for reply in bot.replies(who)
        if "Welcome to Mailroom" in (text := text_of(card_in(reply)))
    ]


async def installed(bot: BotHarness, who: Person, action: str = "add", **fields: object) -> None:
    activity = bot.activity(who, type="installationUpdate", action=action, **fields)
    response = await bot.post(activity)
    assert response.status_code in (200, 202), response.text


async def members_added(bot: BotHarness, who: Person, *members: dict[str, str]) -> None:
    activity = bot.activity(who, type="conversationUpdate", membersAdded=list(members))
    response = await bot.post(activity)
    assert response.status_code in (200, 202), response.text


async def test_one_install_is_welcomed_once_though_teams_announces_it_twice(
    bot: BotHarness,
) -> None:
    """ "Welcome message must auto trigger on app install in a personal scope", "Welcome
    messages must trigger only once on bot install", "Bot mustn't send multiple welcome
    messages when triggered on app install" [Mandatory Fix]."""
    adele = bot.person("adele.vance@contoso.com")
    install_id = str(uuid.uuid4())
    await installed(bot, adele, id=install_id)
    assert len(welcomes(bot, adele)) == 1
    await members_added(bot, adele, BOT, {"id": adele.teams_id})  # the same install
    await installed(bot, adele, id=install_id)  # a redelivery
    await installed(bot, adele)  # another install event, Mailroom still installed
    await installed(bot, adele, action="add-upgrade")  # a new app version
    assert len(welcomes(bot, adele)) == 1
    assert "Adele Vance" in welcomes(bot, adele)[0]


async def test_the_conversation_update_alone_welcomes_and_a_reinstall_is_welcomed_again(
    bot: BotHarness,
) -> None:
    alex = bot.person("alex.wilber@contoso.com")
    await members_added(bot, alex, {"id": alex.teams_id})  # someone else joined: no welcome
    assert welcomes(bot, alex) == []
    await members_added(bot, alex, BOT)
    assert len(welcomes(bot, alex)) == 1
    await installed(bot, alex, action="remove-upgrade")  # part of an upgrade: still installed
    await installed(bot, alex)
    assert len(welcomes(bot, alex)) == 1
    await installed(bot, alex, action="remove")
    await installed(bot, alex)
    assert len(welcomes(bot, alex)) == 2


async def test_hi_hello_and_help_in_any_case_are_answered_before_sign_in(
    bot: BotHarness,
) -> None:
    """ "All commands that your bot supports must work correctly, including generic commands
    such as Hi, Hello, and Help"; "Bots must provide a valid response to the help command
    typed in lowercase or uppercase … even when the user hasn't logged onto the app"
    [Mandatory Fix]. Megan has never signed in to Mailroom here."""
    megan = bot.person("megan.bowen@contoso.com")
    for text in ("hi", "Hello", "HELP", "hElLo", "HI", "help", "Hi!"):
        shown = text_of(card_in(await bot.say(megan, text)))
        assert "/send" in shown, text
        assert "/senders" in shown, text
        assert "didn't understand" not in shown, text
        assert "sign in" not in shown.lower(), text


async def test_hi_hello_and_help_are_answered_while_the_services_are_still_starting() -> None:
    """The same rule before the database, Graph and the token service are up: the bot
    without its services answers help only, and these three are help."""
    connector = ConnectorStandIn()
    async with (
        serve(connector.app) as service_url,
        serve(create_app(Settings(host="127.0.0.1"))) as bot_url,
        httpx.AsyncClient() as http,
    ):
        for text in ("HI", "hello", "Help"):
            response = await http.post(f"{bot_url}/api/messages", json=message(text, service_url))
            assert response.status_code == 202
            shown = text_of(card_in(connector.posted[-1]))
            assert "/send" in shown, text
            assert "/help" in shown, text
            assert "temporarily unavailable" not in shown, text
        assert len(connector.posted) == 3


async def test_the_manifests_privacy_and_terms_links_lead_to_pages_that_say_what_is_kept(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """ "Privacy policy … must include how you handle user data storage, retention, and
    deletion … must include your contact information … must not require authentication";
    "Terms of use … must be specific and applicable to your offering … must have a secure
    (HTTPS) link" [Mandatory Fix]. The package links the bot's own pages when the
    organisation names none; the test follows each link to the running bot."""
    package = build_package(
        PackageOptions(
            bot_app_id=APP_ID,
            version="1.0.0",
            public_url="https://mailroom.contoso.com",
            developer_name="Contoso IT",
        ),
        app_package_dir=ROOT / "appPackage",
        validator=SchemaSays(),
    )
    developer = package.manifest["developer"]
    assert isinstance(developer, dict)
    settings = settings_for(emulator, tmp_path, admin_contact="it-help@contoso.com")
    async with running_bot(settings, emulator) as bot, httpx.AsyncClient() as http:
        pages = {}
        for key in ("privacyUrl", "termsOfUseUrl"):
            link = urlsplit(str(developer[key]))
            assert link.scheme == "https"
            assert link.hostname == "mailroom.contoso.com"
            response = await http.get(f"{bot.url}{link.path}")  # no sign-in, no token
            assert response.status_code == 200, key
            assert response.headers["content-type"].startswith("text/html")
            pages[key] = response.text
    privacy, terms = pages["privacyUrl"], pages["termsOfUseUrl"]
    for stored in ("Send requests", "audit record", "encrypted", "/signout"):
        assert stored in privacy
    assert "after 30 days" in privacy  # retention_days of mailroom.example.toml
    assert f"after {RetentionPolicy().activity_days} days" in privacy
    assert "it-help@contoso.com" in privacy
    assert "it-help@contoso.com" in terms
    assert "Send As" in terms
    assert 'href="privacy"' in terms


def test_without_a_contact_the_pages_name_the_administrator_and_escape_what_they_show() -> None:
    assert "Mailroom administrator" in privacy_html(None, None)
    assert "the number of days your administrator set" in privacy_html(None, None)
    assert "<b>x</b>" not in terms_html("<b>x</b>")


async def test_a_slow_answer_is_preceded_by_a_typing_indicator_and_a_quick_one_is_not(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """ "Bots must respond to user commands within two seconds or display a typing
    indicator"; "Bots mustn't display a typing indicator after responding to the user
    command" [Mandatory Fix]. Graph is made slow by the emulator; the threshold is shortened
    from 1.5 s so the test waits on the slow Graph, not on a clock, but stays long enough
    that a busy machine (tests run in parallel) does not make the quick answer slow."""
    settings = settings_for(emulator, tmp_path, typing_after_seconds=0.3)
    async with running_bot(settings, emulator) as bot:
        adele = bot.person("adele.vance@contoso.com")
        await bot.say(adele, "hello")  # answered at once: no indicator
        assert [r["activity"]["type"] for r in bot.connector_log(adele)] == ["message"]
        emulator.control.add_fault("*", "/v1.0/*", "delay", count=20, delay=0.4)
        try:
            await bot.say(adele, "/senders")
        finally:
            emulator.control.clear_faults()
        kinds = [r["activity"]["type"] for r in bot.connector_log(adele)]
        assert kinds == ["message", "typing", "message"]
        assert "Who do you want to send as?" in text_of(card_in(bot.replies(adele)[-1]))
