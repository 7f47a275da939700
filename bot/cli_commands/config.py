"""``mailroom config check``: validate the sender and policy file offline."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bot.errors import ConfigError
from bot.policy.loader import load_policy


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("config", help="check the sender and policy file (mailroom.toml)")
    actions = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="validate the file offline; exit 1 on a problem")
    check.add_argument(
        "file", nargs="?", help="the policy file (default: MAILROOM_CONFIG or ./mailroom.toml)"
    )
    check.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    path = Path(args.file or os.environ.get("MAILROOM_CONFIG") or "mailroom.toml")
    try:
        policy = load_policy(path)
    except ConfigError as error:
        print(f"{path}: {error}", file=sys.stderr)
        return 1
    print(f"{path}: OK — {len(policy.senders)} sender(s)")
    for sender in policy.senders:
        groups = f", groups {len(sender.allowed_groups)}" if sender.allowed_groups else ""
        rights = f", rights {sender.rights.value}"
        print(f"  {sender.address:32} {sender.kind.value:15} {sender.mode.value}{rights}{groups}")
    return 0
