"""No token, client secret, password or email body in any log line.

Every test of tests/security and tests/reliability is already checked line by line (the log
watch in tests/reliability/watch.py; the session's end scans every line of the run, other
suites' included). These tests make sure there is something worth checking: whole sends
with every secret in play — the bot's own credentials, genuine inbound tokens, Graph
tokens, a body marker in the template values — logged at DEBUG, in process and by a real
``mailroom serve`` with its production logging (JSON lines).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import web
from cryptography.fernet import Fernet

from bot.app import create_app
from bot.settings import Secret
from cards import verbs
from emulator.testing import RunningEmulator
from tests.reliability.figures import JWT, Figures, ReportPlugin
from tests.reliability.load import ServeProcess
from tests.reliability.watch import LogWatch
from tests.security.helpers import ADELE, JOHANNA, preview, settle_outbox
from tests.security.tokens import Minter, emulator_keys
from tests.support.botapp import BotHarness, action, bot_services, running_bot, settings_for
from tests.support.servers import serve
from tests.teams.sso_steps import JOHANNA as SSO_USER
from tests.teams.sso_steps import delivered, previewed


async def _send_with_marker(bot: BotHarness, marker: str) -> None:
    adele = bot.person(ADELE)
    card = await preview(
        bot,
        adele,
        "support@contoso.com",
        "ticket-reply",
        JOHANNA,
        var_message=f"Confidential: {marker}\n\nSecond paragraph {marker}.",
        var_customer_name=marker[:60],
    )
    await bot.act(adele, verbs.SEND, action(card, verbs.SEND)["data"])


async def test_a_send_with_credentials_and_tokens_in_play_logs_none_of_them(
    emulator: RunningEmulator,
    tmp_path: Path,
    report: ReportPlugin,
    log_watch: LogWatch,
    figures: Figures,
) -> None:
    app_registration = emulator.bot_app
    marker = report.marker("body")
    settings = settings_for(
        emulator,
        tmp_path,
        app_id=app_registration.client_id,
        app_password=Secret(app_registration.secret),
        app_tenant_id=emulator.tenant_id,
    )
    assert app_registration.secret not in repr(settings)
    emulator.control.set_connector_auth(True)
    app = create_app(
        settings, services=lambda: bot_services(settings), signing_keys=emulator_keys(emulator)
    )
    inbound = Minter.for_emulator(emulator).bot_framework()
    report.register_secret(inbound)
    async with serve(app) as url:
        # The bearer token as the Connector sends it.
        bot = BotHarness(url, emulator, app, headers={"Authorization": f"Bearer {inbound}"})
        try:
            await _send_with_marker(bot, marker)
            request = (await bot.services.store.list_requests(limit=1))[0]
            assert await settle_outbox(bot, request.id) == "sent"
        finally:
            await bot.close()
    delivered = emulator.control.mailbox(JOHANNA, "inbox")
    assert marker in str(delivered)  # the body did travel — only not into the log
    lines = log_watch.lines()
    figures.attack("secrets in logs", refused=not report.leaks_in(lines))
    assert len(lines) > 20  # DEBUG: there was plenty to check


@pytest.mark.slow  # starts a mailroom process
async def test_mailroom_serve_at_debug_in_json_logs_no_token_secret_or_body(
    emulator: RunningEmulator,
    tmp_path: Path,
    report: ReportPlugin,
    figures: Figures,
    request: pytest.FixtureRequest,
) -> None:
    marker = report.marker("body")
    process = ServeProcess(
        emulator, tmp_path, {"MAILROOM_LOG_LEVEL": "DEBUG", "MAILROOM_LOG_FORMAT": "json"}
    )
    try:
        await process.ready()
        bot = BotHarness(process.url, emulator, web.Application())
        try:
            await _send_with_marker(bot, marker)
            for _ in range(100):
                if emulator.control.mailbox(JOHANNA, "inbox"):
                    break
                await asyncio.sleep(0.05)
        finally:
            await bot.close()
    finally:
        process.stop()
    output = process.output()
    report.collector.add_external(request.node.nodeid, "mailroom serve", output)
    leaked = [
        what
        for what, found in (
            ("the body marker", marker in output),
            ("a JWT", bool(JWT.search(output))),
            ("the client secret", emulator.bot_app.secret in output),
        )
        if found
    ]
    figures.attack("secrets in logs", refused=not leaked)
    assert emulator.control.mailbox(JOHANNA, "inbox"), "the send did not happen"
    assert output.count("\n") > 50
    assert leaked == []


async def test_the_delegated_sign_in_flow_puts_no_token_in_logs_cards_or_the_audit(
    emulator: RunningEmulator,
    tmp_path: Path,
    report: ReportPlugin,
    log_watch: LogWatch,
    figures: Figures,
) -> None:
    """Every sign-in branch at DEBUG: login request, a refused SSO exchange (412), the magic
    code, the sealed cache and /signout — none of their tokens in a log line, in what the bot
    answers or posts, or in an audit row."""
    key = Fernet.generate_key().decode()
    report.register_secret(key)
    settings = settings_for(
        emulator,
        tmp_path,
        dev_token_source=False,
        oauth_connection="sso",
        token_cache_keys=(Secret(key),),
    )
    sso = emulator.control.mint_user_token(SSO_USER)
    wrong = emulator.control.mint_user_token(SSO_USER, audience="https://graph.microsoft.com")
    for token in (sso, wrong):
        report.register_secret(token)
    answers: list[object] = []
    async with running_bot(settings, emulator) as bot:
        who = bot.person(SSO_USER)
        send = await previewed(bot, who)
        answers.append(await bot.act(who, verbs.SEND, send))
        answers.append(await bot.act(who, verbs.SEND, send, authentication={"token": wrong}))
        answers.append(await bot.act(who, verbs.SEND, send, state="999999x"))
        answers.append(await bot.act(who, verbs.SEND, send, authentication={"token": sso}))
        assert await delivered(emulator) == 1
        sealed = await bot.services.store.load_token_cache(who.oid)
        assert sealed is not None
        report.register_secret(sealed)
        answers.append(await bot.say(who, "/signout"))
        audit = await bot.services.store.query_audit()
    assert [a.get("statusCode") for a in answers[:4] if isinstance(a, dict)] == [401, 412, 401, 200]
    posted = str(answers) + str(emulator.control.connector_activities())
    rows = str([vars(entry) if hasattr(entry, "__dict__") else entry for entry in audit])
    for where, text in (("an answer or posted card", posted), ("the audit log", rows)):
        assert not JWT.search(text), f"a token in {where}"
        assert key not in text, where
        assert sealed not in text, where
    assert audit, "the send was audited"
    lines = log_watch.lines()
    figures.attack("sign-in tokens in logs", refused=not report.leaks_in(lines))
    assert len(lines) > 20
