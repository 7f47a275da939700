"""``mailroom doctor``: check a real configuration end to end without sending mail.

Each check answers pass or fail with a one-line detail and, for a failure, the fix. A
failing check does not stop the others, except where they depend on it. The tenant checks
(``bot.tenant_checks``) go through ``bot/tenant-requirements.toml`` one entry at a time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.errors import ExchangeError, GraphError, IdentityError, MailroomError
from bot.graph import APP
from bot.rendering import check_templates
from bot.services import Services, build_services, load_static
from bot.settings import Settings
from bot.tenant_checks import Check, NoUserTokens, Report, TenantChecks, UserTokenSource
from bot.tenant_requirements import load_requirements

__all__ = ["Check", "Report", "run_checks"]


async def run_checks(
    settings: Settings, report: Report, users: UserTokenSource | None = None
) -> bool:
    """Run every check, calling ``report`` as each finishes; True when none failed.
    ``users`` gives the user tokens the single sign-on and delegated checks need."""
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
    if settings.oauth_connection:
        record(_token_caches(settings))
    credentials = settings.graph_credentials
    if credentials is None:
        fix = "set MicrosoftAppId, MicrosoftAppPassword and MicrosoftAppTenantId"
        record(Check("credentials", False, "no app registration configured", fix))
        return False
    try:
        requirements = load_requirements(settings.app_id or credentials[0])
        async with build_services(settings) as services:
            record(Check("database", True, "reachable, schema up to date"))
            if await _token(services, record):
                checks = TenantChecks(
                    services, requirements, settings.app_id or credentials[0],
                    users or NoUserTokens(), record,
                )  # fmt: skip
                await checks.run()
                await _senders(services, record)
    except MailroomError as error:
        record(Check("database", False, str(error), "check MAILROOM_DATABASE_URL"))
    return all(check.ok for check in results)


def _token_caches(settings: Settings) -> Check:
    """Delegated senders need their users' token caches in the database: kept in the process,
    every restart or other replica asks everyone to sign in again."""
    keys = len(settings.token_cache_keys)
    if keys:
        return Check("token caches", True, f"sealed in the database ({keys} key(s))")
    return Check(
        "token caches", False,
        "MAILROOM_TOKEN_CACHE_KEY is not set: delegated users sign in again after a restart "
        "or on another replica",
        "set MAILROOM_TOKEN_CACHE_KEY to a Fernet key, the same on every replica: "
        "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'",
    )  # fmt: skip


async def _token(services: Services, record: Report) -> bool:
    from bot.identity.provider import GRAPH_RESOURCE  # noqa: PLC0415 - one use

    return await _probe(
        record, "Graph token", lambda: services.tokens.app_token(GRAPH_RESOURCE),
        "the app registration's id, secret and tenant must match Entra ID "
        "(Entra admin center → App registrations → Certificates & secrets)",
    )  # fmt: skip


async def _senders(services: Services, record: Report) -> None:
    """Each configured sender exists, for Graph and (when it is on) for Exchange."""
    exchange = services.exchange
    for sender in services.policy.senders:
        await _probe(
            record, f"mailbox {sender.address}",
            lambda s=sender: services.graph.get_user(APP, s.address),  # type: ignore[misc]
            f"create the mailbox {sender.address} or fix its address in mailroom.toml",
        )  # fmt: skip
        if exchange is not None:
            await _probe(
                record, f"Exchange knows {sender.address}",
                lambda s=sender: exchange.recipient_type(s.address),  # type: ignore[misc]
                f"create the mailbox {sender.address} or fix its address in mailroom.toml",
            )  # fmt: skip
    if exchange is None:
        record(Check("Exchange admin API", True, "turned off: delegated senders are unverified"))


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
