"""Leave out one step of the requirements statement and the flow it serves says what is
missing and how to fix it — the same item `mailroom doctor` fails (tests/bot/test_doctor.py)
— instead of "temporarily unavailable", a fix for the wrong grant, or a sign-in that never
ends. Every requirement of the statement is covered here (``test_every_requirement_...``).

Three flows: a send (``MISSING``); a delegated send's sign-in, with Teams acting as its
docs say — a silent SSO token when Entra gives one, else the sign-in button, whose page
either signs the user in (magic code) or shows Entra's error (``SIGN_IN``); and an approval
request to an approver who never opened Mailroom (``APPROVAL``)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.domain.explanations import explain
from bot.teams.invoke import LOGIN_TYPE
from bot.tenant_requirements import load_requirements
from cards import verbs
from emulator.requirements import app_grants, load_statement
from emulator.seed import DEMO_SEED
from emulator.state import TeamsApps
from emulator.testing import RunningEmulator, start_emulator_thread
from tests.bot.doctor_support import seed_without
from tests.support.botapp import (
    BotHarness,
    Person,
    action,
    actions_of,
    card_in,
    running_bot,
    settings_for,
    text_of,
)
from tests.teams.sso_steps import JOHANNA, previewed
from tests.teams.test_approvals import request_approval
from tests.teams.test_sender_kinds_end_to_end import CASES, Case, inputs, policy_for

STATEMENT = {r.id: r for r in load_statement()}
ADELE = "adele.vance@contoso.com"
SUPPORT = "support@contoso.com"
MAILROOM_APP = "2a1c1012-414a-4b28-bc36-e8290eddbaf4"  # the demo seed's bot app


def case(kind: str, mode: str) -> Case:
    return next(c for c in CASES if (c.kind, c.mode) == (kind, mode))


@dataclass(frozen=True)
class Missing:
    requirement: str
    flow: Case
    says: tuple[str, ...]
    """What the answer names: the missing grant and where it is fixed."""


MISSING = [
    Missing("graph-app-user-read-all", case("shared", "application"),
            ("may not read your organisation's directory", "User.Read.All", "admin consent")),
    Missing("graph-app-groupmember-read-all", case("shared", "application"),
            ("GroupMember.Read.All",)),
    Missing("exchange-app-manage-as-app", case("shared", "application"),
            ("Exchange.ManageAsApp",)),
    Missing("exchange-app-manage-as-app-v2", case("send_on_behalf", "application"),
            ("Exchange.ManageAsAppV2",)),
    Missing("exchange-recipient-reader-role", case("shared", "application"),
            ("Exchange Recipient Administrator",)),
    Missing("exchange-rbac-mail-send", case("shared", "application"),
            ("not allowed to send from support@contoso.com", "Application Mail.Send")),
    Missing("exchange-rbac-mail-readwrite", case("shared", "application"),
            ("may not write to support@contoso.com", "Application Mail.ReadWrite")),
    Missing("exchange-scope-application-senders", case("shared", "application"),
            ("management scope that holds support@contoso.com", "CustomAttribute15")),
    Missing("graph-delegated-mail-send", case("self", "delegated"),
            ("refused to send the message for you", "delegated permission", "Mail.Send",
             "admin consent")),
    Missing("graph-delegated-mail-readwrite", case("self", "delegated"),
            ("refused to create the message for you", "delegated permission", "Mail.ReadWrite",
             "admin consent")),
    Missing("graph-delegated-mail-send-shared", case("shared", "delegated"),
            ("refused to send the message for you", "Mail.Send.Shared")),
    Missing("graph-delegated-mail-readwrite-shared", case("shared", "delegated"),
            ("refused to create the message for you", "Mail.ReadWrite.Shared")),
]  # fmt: skip


@pytest.fixture
def without(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningEmulator]:
    missing: Missing = request.param
    assert missing.requirement in STATEMENT
    running = start_emulator_thread(
        seed=seed_without(tmp_path, [missing.requirement]), state_dir=tmp_path
    )
    try:
        yield running
    finally:
        running.stop()


def without_each(entries: Sequence[Any]) -> pytest.MarkDecorator:
    """One test per entry, each against a tenant without the entry's requirement."""
    return pytest.mark.parametrize(
        ("without", "missing"),
        [pytest.param(m, m, id=m.requirement) for m in entries],
        indirect=["without"],
    )


async def answer_to_send(bot: BotHarness, flow: Case) -> str:
    """Go as far as the flow gets: the text of the card that stopped it (or the request's
    final card after Send)."""
    who = bot.person(flow.who)
    senders = card_in(await bot.say(who, "/send"))
    picks = [a for a in actions_of(senders) if a.get("verb") == verbs.PICK_SENDER]
    pick = next((a for a in picks if a["data"].get("sender") == flow.sender), None)
    whys = [a for a in actions_of(senders) if a.get("verb") == verbs.WHY]
    why = next((a for a in whys if a["data"].get("sender") == flow.sender), None)
    if pick is None and why is not None:  # listed as not available: "Why?" says why
        return text_of(card_in(await bot.act(who, verbs.WHY, why["data"])))
    if pick is None:  # no sender list at all: the card says why
        return text_of(senders)
    compose = card_in(await bot.act(who, verbs.PICK_SENDER, pick["data"]))
    if not any(a.get("verb") == verbs.PREVIEW for a in actions_of(compose)):
        choose = action(compose, verbs.PICK_TEMPLATE)
        compose = card_in(
            await bot.act(who, verbs.PICK_TEMPLATE, {**choose["data"], "template": flow.template})
        )
    data = {**action(compose, verbs.PREVIEW)["data"], **inputs(flow.template, to=flow.to)}
    preview = card_in(await bot.act(who, verbs.PREVIEW, data))
    send = action(preview, verbs.SEND)["data"]
    await bot.act(who, verbs.SEND, send)
    return await finished(bot, who, str(send["request"]))


async def finished(bot: BotHarness, who: Person, request_id: str) -> str:
    """The request's card once the worker's outcome reached it."""
    for _ in range(300):
        final = (await bot.services.store.get_request(request_id)).is_final
        text = text_of(bot.current_card(who))
        if final and "This card updates as messages go out." not in text:
            return text
        await asyncio.sleep(0.05)
    raise AssertionError(f"the request did not finish: {text}")


@without_each(MISSING)
async def test_a_missing_requirement_is_explained_where_the_flow_stops(
    without: RunningEmulator, missing: Missing, tmp_path: Path
) -> None:
    settings = settings_for(without, tmp_path, policy=policy_for(missing.flow, tmp_path))
    async with running_bot(settings, without) as bot:
        text = await answer_to_send(bot, missing.flow)

    assert "temporarily unavailable" not in text
    for words in missing.says:
        assert words in text, text


DESKTOP = "1fec8e78-bce4-4aaf-ab1b-5451cc387264"  # Teams desktop and mobile
WEB = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346"  # Teams on the web
GRAPH_CONSENT = ("Mailroom needs an administrator's consent", "Grant admin consent")


@dataclass(frozen=True)
class SignInMissing:
    requirement: str
    says: tuple[str, ...]
    """What the card where the flow stops names (or "Sent": the send went out)."""
    steps: tuple[str, ...]
    """What Teams went through to get there."""
    client: str = DESKTOP
    """The Teams client the user works in."""

    @property
    def value(self) -> str:
        return STATEMENT[self.requirement].single


SIGN_IN = [
    # Entra refuses the on-behalf-of exchange with AADSTS65001: admin consent is missing.
    SignInMissing("graph-delegated-user-read", (*GRAPH_CONSENT, "User.Read"),
                  ("login request", "silent token")),
    SignInMissing("graph-delegated-openid", (*GRAPH_CONSENT, "openid", "OpenId permissions"),
                  ("login request", "silent token")),
    SignInMissing("graph-delegated-profile", (*GRAPH_CONSENT, "profile", "OpenId permissions"),
                  ("login request", "silent token")),
    SignInMissing("graph-delegated-offline-access",
                  (*GRAPH_CONSENT, "offline_access", "OpenId permissions"),
                  ("login request", "silent token")),
    # No resource api://botid-{id} (AADSTS500011): Mailroom's own app token for it is refused,
    # so it says so at once instead of a sign-in button whose page could only fail.
    SignInMissing("teams-sso-application-id-uri",
                  ("Signing in to Mailroom is not set up", "AADSTS500011", "Application ID URI",
                   "Expose an API"), ()),
    # No access_as_user (AADSTS65005): neither Teams nor the sign-in page gets a token;
    # the user selects Send again and hears what to check.
    SignInMissing("teams-sso-access-as-user",
                  ("Signing in to Mailroom did not finish", "access_as_user", "Add a scope"),
                  ("login request", "no silent token", "sign-in page error")),
    # A Teams client not pre-authorised can't get the token silently: Teams shows the
    # sign-in button (a consent the user gives there), and the magic code sends it.
    SignInMissing("teams-sso-client-desktop", ("Sent",),
                  ("login request", "no silent token", "magic code"), client=DESKTOP),
    SignInMissing("teams-sso-client-web", ("Sent",),
                  ("login request", "no silent token", "magic code"), client=WEB),
    # The connection has no usable scopes: the token service can't exchange (AADSTS90014).
    SignInMissing("oauth-connection-scope",
                  ("Signing in to Mailroom is not set up", "AADSTS90014",
                   "OAuth Connection Settings", "api://botid-"),
                  ("login request", "silent token")),
]  # fmt: skip


async def answer_to_sign_in(bot: BotHarness, client: str) -> tuple[tuple[str, ...], str]:
    """Johanna sends from her own mailbox (delegated) in the Teams ``client``; Teams answers
    a login request as sso-adaptive-cards-universal-action describes. Returns what Teams went
    through and the text of the card where the flow stopped (the final card after Send)."""
    johanna = bot.person(JOHANNA)
    send = await previewed(bot, johanna)
    control = bot.emulator.control
    steps: list[str] = []
    answer = await bot.act(johanna, verbs.SEND, send)
    while answer.get("type") == LOGIN_TYPE and len(steps) < 8:
        steps.append("login request")
        try:
            sso = control.mint_user_token(JOHANNA, client=client)
        except httpx.HTTPStatusError:
            steps.append("no silent token")
        else:
            steps.append("silent token")
            answer = await bot.act(johanna, verbs.SEND, send, authentication={"token": sso})
            if answer["statusCode"] != 412:
                continue
            steps.append("412")
        try:  # the sign-in button
            code = control.complete_sign_in(JOHANNA)
        except httpx.HTTPStatusError:  # the page shows Entra's error; the user tries again
            steps.append("sign-in page error")
            answer = await bot.act(johanna, verbs.SEND, send)
        else:
            steps.append("magic code")
            answer = await bot.act(johanna, verbs.SEND, send, state=code)
    text = text_of(card_in(answer))
    if "This card updates as messages go out." in text:
        text = await finished(bot, johanna, str(send["request"]))
    return tuple(steps), text


@without_each(SIGN_IN)
async def test_a_missing_sign_in_requirement_is_explained_instead_of_asking_to_sign_in_again(
    without: RunningEmulator,
    missing: SignInMissing,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = settings_for(without, tmp_path, dev_token_source=False, oauth_connection="sso")
    async with running_bot(settings, without) as bot:
        with caplog.at_level(logging.WARNING, logger="bot.identity.sign_in_setup"):
            steps, text = await answer_to_sign_in(bot, missing.client)

    logged = [r.getMessage() for r in caplog.records if r.name == "bot.identity.sign_in_setup"]
    if "Sent" not in missing.says:  # the operator hears of it too, without a token
        expected = missing.value if GRAPH_CONSENT[0] in text else missing.requirement
        assert any(expected in line for line in logged), logged
    assert not any("eyJ" in line for line in logged)

    assert steps == missing.steps, text
    assert "temporarily unavailable" not in text
    assert "Please sign in again" not in text
    for words in missing.says:
        assert words in text, text
    if "Sent" not in missing.says:
        assert without.control.mailbox("alex.wilber@contoso.com", "inbox") == []


@dataclass(frozen=True)
class ApprovalMissing:
    requirement: str


APPROVAL = [ApprovalMissing("graph-app-teams-app-installation-self")]


@without_each(APPROVAL)
async def test_without_installing_itself_mailroom_emails_the_approver_and_says_why(
    without: RunningEmulator,
    missing: ApprovalMissing,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Graph refuses the installation (403) to an app without the permission, so the
    approver who never opened Mailroom is emailed a link, the requester's card says so and
    the operator's log names the permission."""
    settings = settings_for(without, tmp_path, teams_app_id=TeamsApps.catalog_id)
    async with running_bot(settings, without) as bot:
        adele = bot.person(ADELE)
        with caplog.at_level(logging.WARNING, logger="bot.teams.reach"):
            card: dict[str, Any] = await request_approval(bot, adele, approvers_opened=False)
        megan = "megan.bowen@contoso.com"
        assert await approval_mail(without, megan)
        assert bot.person(megan).oid not in without.control.teams_apps()["installed"]

    assert "Megan Bowen <megan.bowen@contoso.com> — emailed a link instead" in text_of(card)
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.teams.reach"]
    assert any("TeamsAppInstallation.ReadWriteSelfForUser.All" in line for line in logged)


async def approval_mail(emulator: RunningEmulator, upn: str) -> list[dict[str, Any]]:
    """The "Approval needed" mails in the inbox, once the no-reply send arrived (or 10 s)."""
    for _ in range(200):
        inbox = emulator.control.mailbox(upn, "Inbox")
        mails = [m for m in inbox if str(m.get("subject", "")).startswith("Approval needed:")]
        if mails:
            return mails
        await asyncio.sleep(0.05)
    return []


def test_every_requirement_of_the_statement_is_covered() -> None:
    covered = [m.requirement for m in (*MISSING, *SIGN_IN, *APPROVAL)]
    assert len(covered) == len(set(covered))
    assert set(covered) == set(STATEMENT)


def test_the_consent_explanation_names_every_delegated_permission() -> None:
    """AADSTS65001 does not say which delegated permission is missing, so the card names
    them all."""
    text = explain("admin_consent_missing").why
    delegated = [r.value for r in load_requirements("app") if r.kind == "graph_delegated"]
    assert delegated
    for permission in delegated:
        assert permission in text


@pytest.fixture
def graph_scoped_connection(tmp_path: Path) -> Iterator[RunningEmulator]:
    """The demo tenant with every grant, but the OAuth connection's Scopes set to Graph
    permissions (what generic Bot Framework guides show) instead of access_as_user."""
    text = DEMO_SEED.read_text(encoding="utf-8")
    grants = app_grants(load_statement(), MAILROOM_APP)
    grants["oauth_connection_scopes"] = ["User.Read", "Mail.Send", "Mail.Send.Shared"]
    del grants["exchange_role_assignments"]  # they name the statement's scope; not needed here
    listed = "".join(f"{key} = {json.dumps(value)}\n" for key, value in grants.items())
    seed = tmp_path / "seed.toml"
    seed.write_text(text.replace('requirements = "mailroom"\n', listed), encoding="utf-8")
    running = start_emulator_thread(seed=seed, state_dir=tmp_path)
    try:
        yield running
    finally:
        running.stop()


async def test_a_connection_token_for_graph_is_explained_as_the_connections_scopes(
    graph_scoped_connection: RunningEmulator, tmp_path: Path
) -> None:
    """The token service hands over a Graph token, which Entra refuses as an on-behalf-of
    assertion (AADSTS50013): the card names the connection's Scopes and their fix."""
    emulator = graph_scoped_connection
    settings = settings_for(emulator, tmp_path, dev_token_source=False, oauth_connection="sso")
    async with running_bot(settings, emulator) as bot:
        steps, text = await answer_to_sign_in(bot, DESKTOP)

    assert steps == ("login request", "silent token")
    for words in ("Signing in to Mailroom is not set up", "AADSTS50013",
                  "OAuth Connection Settings", "access_as_user"):  # fmt: skip
        assert words in text, text
    assert emulator.control.mailbox("alex.wilber@contoso.com", "inbox") == []


@without_each([SignInMissing("teams-sso-access-as-user", (), ())])
async def test_the_development_token_source_says_a_missing_sign_in_step_too(
    without: RunningEmulator, missing: SignInMissing, tmp_path: Path
) -> None:
    """`mailroom dev` gets the user's token from the emulator's Teams stand-in, which
    refuses as Entra would (AADSTS65005): the card says so instead of asking to sign in."""
    async with running_bot(settings_for(without, tmp_path), without) as bot:
        johanna = bot.person(JOHANNA)
        send = await previewed(bot, johanna)
        text = text_of(card_in(await bot.act(johanna, verbs.SEND, send)))

    for words in ("Signing in to Mailroom is not set up", "AADSTS65005", "access_as_user"):
        assert words in text, text
