"""``mailroom version``: print the installed version."""

from __future__ import annotations

import argparse
from importlib.metadata import version


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("version", help="print Mailroom's version")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    print(f"mailroom {version('mailroom-teams')}")
    return 0
