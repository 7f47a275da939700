"""The ``mailroom`` command line. Each subcommand lives in ``bot/cli_commands/<name>.py``
and exposes ``register(subparsers)``; its handler returns the process exit code."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

# Order is the order of ``mailroom --help``.
COMMAND_MODULES = (
    "dev",
    "serve",
    "templates",
    "config",
    "explain",
    "doctor",
    "audit",
    "db",
    "bench",
    "package",
    "emulator",
    "version",
)

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailroom",
        description="Mailroom: delegated sending from Microsoft Teams.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"bot.cli_commands.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
