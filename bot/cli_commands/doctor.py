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
        help="check settings, tokens, Graph, the Exchange admin API, senders and templates",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.doctor import Check, run_checks  # noqa: PLC0415 - heavy imports only when run

    try:
        settings = load_settings(args)
    except ConfigError as error:
        print(f"FAIL settings — {error}")
        return 1
    print("PASS settings")

    def report(check: Check) -> None:
        print(f"{'PASS' if check.ok else 'FAIL'} {check.name} — {check.detail}")
        if not check.ok and check.fix:
            print(f"     fix: {check.fix}")
        sys.stdout.flush()

    return 0 if asyncio.run(run_checks(settings, report)) else 1
