"""``mailroom doctor``: check a real configuration end to end without sending mail.

Each check answers pass or fail with a one-line detail and, for a failure, the fix. A
failing check does not stop the others, except where they depend on it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.domain.senders import Mode, SenderConfig
from bot.errors import ExchangeError, GraphError, IdentityError, MailroomError
from bot.graph import APP
from bot.identity.provider import EXCHANGE_RESOURCE, GRAPH_RESOURCE
from bot.rendering import check_templates
from bot.services import Services, build_services, load_static
from bot.settings import Settings


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


Report = Callable[[Check], None]


async def run_checks(settings: Settings, report: Report) -> bool:
    """Run every check, calling ``report`` as each finishes; True when all passed."""
    results: list[Check] = []

    def record(check: Check) -> None:
        results.append(check)
        report(check)

    try:
        policy, _ = load_static(settings)
    except MailroomError as error:
        record(Check("configuration", False, str(error), "fix the file named above"))
        return False
    problems = check_templates(settings.templates_dir)
    record(
        Check(
            "templates",
            not problems,
            f"{len(problems)} problem(s)" if problems else "all load",
            "; ".join(str(p) for p in problems[:3]),
        )
    )
    record(Check("policy", True, f"{len(policy.senders)} sender(s) in {settings.config_path}"))
    if settings.graph_credentials is None:
        fix = "set MicrosoftAppId, MicrosoftAppPassword and MicrosoftAppTenantId"
        record(Check("credentials", False, "no app registration configured", fix))
        return False
    try:
        async with build_services(settings) as services:
            record(Check("database", True, "reachable, schema up to date"))
            await _service_checks(services, record)
    except MailroomError as error:
        record(Check("database", False, str(error), "check MAILROOM_DATABASE_URL"))
    return all(check.ok for check in results)


async def _service_checks(services: Services, record: Report) -> None:
    graph_ok = await _probe(
        record, "Graph token", lambda: services.tokens.app_token(GRAPH_RESOURCE),
        "the app registration's id, secret and tenant must match Entra ID "
        "(Entra admin center → App registrations → Certificates & secrets)",
    )  # fmt: skip
    exchange_ok = False
    if services.exchange is not None:
        exchange_ok = await _probe(
            record, "Exchange token", lambda: services.tokens.app_token(EXCHANGE_RESOURCE),
            "grant the app the Office 365 Exchange Online application permission "
            "Exchange.ManageAsApp and admin consent (docs/deploy.md)",
        )  # fmt: skip
    else:
        record(Check("Exchange admin API", True, "turned off: delegated senders are unverified"))
    for sender in services.policy.senders:
        if graph_ok:
            await _probe(
                record, f"mailbox {sender.address}",
                lambda s=sender: services.graph.get_user(APP, s.address),  # type: ignore[misc]
                f"create the mailbox {sender.address} or fix its address in mailroom.toml",
            )  # fmt: skip
        if exchange_ok:
            await _exchange_checks(services, sender, record)


async def _exchange_checks(services: Services, sender: SenderConfig, record: Report) -> None:
    exchange = services.exchange
    assert exchange is not None
    answered = await _probe(
        record, f"Exchange knows {sender.address}",
        lambda: exchange.recipient_type(sender.address),
        "give the app an Exchange role that can read recipients (Exchange Recipient "
        "Administrator, or a role group with View-Only Recipients) — docs/deploy.md",
    )  # fmt: skip
    if not answered or sender.mode is not Mode.APPLICATION:
        return
    credentials = services.settings.graph_credentials
    assert credentials is not None
    name = f"app may send as {sender.address}"
    try:
        rows = await exchange.invoke(
            "Test-ServicePrincipalAuthorization",
            {"Identity": credentials[0], "Resource": sender.address},
        )
    except (ExchangeError, IdentityError) as error:
        record(Check(name, False, str(error), "check the Exchange admin API (above)"))
        return
    in_scope = any(
        r.get("RoleName") == "Application Mail.Send" and r.get("InScope") is True for r in rows
    )
    record(
        Check(
            name, in_scope,
            "inside the app's Mail.Send scope" if in_scope else "outside the app's Mail.Send scope",
            f"add {sender.address} to the management scope of the app's \"Application "
            "Mail.Send\" role assignment (New-ManagementScope / Set-ManagementScope; "
            "docs/deploy.md)",
        )
    )  # fmt: skip


async def _probe(
    record: Report, name: str, call: Callable[[], Awaitable[object]], fix: str
) -> bool:
    try:
        await call()
    except (GraphError, ExchangeError, IdentityError, MailroomError) as error:
        record(Check(name, False, f"{type(error).__name__}: {error}"[:300], fix))
        return False
    record(Check(name, True, "ok"))
    return True
