"""``mailroom doctor``: check the configuration against the real services, sending nothing."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.cli_commands.serve import load_settings
from bot.errors import ConfigError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "doctor",
        help="check settings, templates, and every grant and setting Mailroom needs from the "
        "tenant (bot/tenant-requirements.toml)",
    )
    parser.add_argument(
        "--sso-token-file",
        metavar="FILE",
        help="a user's token from the OAuth connection (Azure Bot → Configuration → the "
        "connection → Test Connection): also checks single sign-on and the delegated "
        "permissions",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.doctor import Check, run_checks  # noqa: PLC0415 - heavy imports only when run
    from bot.tenant_checks import FileUserTokens, NoUserTokens  # noqa: PLC0415

    users: FileUserTokens | NoUserTokens = NoUserTokens()
    if args.sso_token_file:
        try:
            with open(args.sso_token_file, encoding="utf-8") as handle:
                users = FileUserTokens(handle.read())
        except OSError as error:
            print(f"FAIL --sso-token-file — {error.strerror}: {args.sso_token_file}")
            return 1

    try:
        settings = load_settings(args)
    except ConfigError as error:
        print(f"FAIL settings — {error}")
        return 1
    print("PASS settings")

    def report(check: Check) -> None:
        verdict = "SKIP" if check.skipped else "PASS" if check.ok else "FAIL"
        print(f"{verdict} {check.name} — {check.detail}")
        if (check.skipped or not check.ok) and check.fix:
            print(f"     {'by hand' if check.skipped else 'fix'}: {check.fix}")
        sys.stdout.flush()

    return 0 if asyncio.run(run_checks(settings, report, users)) else 1
